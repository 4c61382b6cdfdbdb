"""Corruptions applied on the fly, fresh for every batch: noise and downsampling.

Each takes clean images (B, 1, H, W) in [0, 1] and returns the network's input; `baseline`
maps that input back to a full-size image, the "do nothing clever" answer we must beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from musicae.autoencoding.config import Registry
from musicae.autoencoding.distributed import batch_noise

CORRUPTIONS = Registry("corruption")


def _noise(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return batch_noise(torch.randn, like.shape, generator=generator, device=like.device, dtype=like.dtype)


@CORRUPTIONS.register("none")
@dataclass
class Identity:
    def __call__(self, x, generator=None):
        return x

    def baseline(self, corrupted):
        return corrupted


@CORRUPTIONS.register("gaussian")
@dataclass
class AdditiveNoise:
    """x + N(mean, sigma^2), clipped to [0, 1]. mean 0.5 is the lesson's offset noise, which turns the
    background grey as well as noisy."""

    sigma: float = 0.5
    mean: float = 0.0

    def __call__(self, x, generator=None):
        return (x + self.mean + self.sigma * _noise(x, generator)).clamp(0, 1)

    def baseline(self, corrupted):
        return corrupted


@CORRUPTIONS.register("saltpepper")
@dataclass
class SaltPepper:
    """Each pixel, with probability p, becomes black or white (half each)."""

    p: float = 0.2

    def __call__(self, x, generator=None):
        hit = batch_noise(torch.rand, x.shape, generator=generator, device=x.device) < self.p
        salt = batch_noise(torch.rand, x.shape, generator=generator, device=x.device) < 0.5
        return torch.where(hit, salt.to(x.dtype), x)

    def baseline(self, corrupted):
        return corrupted


@CORRUPTIONS.register("downsample")
@dataclass
class Downsample:
    """Average pooling by `scale`; the baseline is bicubic upscaling back to full size."""

    scale: int = 2

    def __call__(self, x, generator=None):
        return F.avg_pool2d(x, self.scale)

    def baseline(self, corrupted):
        return bicubic(corrupted, self.scale)


def bicubic(x: torch.Tensor, scale: int) -> torch.Tensor:
    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)


def make_corruption(kind: str, sigma: float = 0.5, p: float = 0.2, scale: int = 2):
    if kind == "offset":
        return AdditiveNoise(sigma, mean=0.5)
    params = {"gaussian": {"sigma": sigma}, "saltpepper": {"p": p}, "downsample": {"scale": scale}}
    return CORRUPTIONS[kind](**params.get(kind, {}))
