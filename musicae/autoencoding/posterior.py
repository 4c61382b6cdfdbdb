"""Diagonal-Gaussian posterior q(z|x) = N(mean, diag(scale^2)) for latents of any shape."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from musicae.autoencoding.distributed import batch_noise

LN2 = math.log(2.0)


def nats_to_bits(nats: torch.Tensor | float) -> torch.Tensor | float:
    return nats / LN2


def _sum_non_batch(x: torch.Tensor) -> torch.Tensor:
    """Sum over every dimension but the first: (B, ...) -> (B,)."""
    return x.reshape(x.shape[0], -1).sum(dim=1)


class DiagonalGaussian:
    """A batch of diagonal Gaussians built from an encoder's (mean, raw scale) outputs.

    `raw_scale` is unconstrained; the standard deviation is softplus(raw_scale), as in
    MusicVAE, which is better behaved than exp(log_var) when the encoder is young.
    Shapes are (B, ...) for both parameters: (B, Z) and (B, C, H, W) work alike.
    """

    def __init__(self, mean: torch.Tensor, raw_scale: torch.Tensor, min_scale: float = 1e-6):
        if mean.shape != raw_scale.shape:
            raise ValueError(f"mean {tuple(mean.shape)} and raw_scale {tuple(raw_scale.shape)} differ in shape")
        self.mean = mean
        self.scale = F.softplus(raw_scale) + min_scale

    @property
    def shape(self) -> torch.Size:
        return self.mean.shape

    def rsample(self, temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Reparameterized sample mean + scale * eps, differentiable in both parameters."""
        eps = batch_noise(torch.randn, self.mean.shape, generator=generator, device=self.mean.device,
                          dtype=self.mean.dtype)
        return self.mean + temperature * self.scale * eps

    def mode(self) -> torch.Tensor:
        return self.mean

    def kl_per_dim(self) -> torch.Tensor:
        """KL(q || N(0, I)) per latent element, in nats: same shape as the mean."""
        var = self.scale.pow(2)
        return 0.5 * (var + self.mean.pow(2) - 1.0 - torch.log(var))

    def kl(self) -> torch.Tensor:
        """KL(q || N(0, I)) in nats, summed over all latent dimensions: (B,)."""
        return _sum_non_batch(self.kl_per_dim())

    def kl_bits(self) -> torch.Tensor:
        return nats_to_bits(self.kl())

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z|x) summed over latent dimensions: (B,). Used for importance sampling."""
        normalized = (z - self.mean) / self.scale
        per_dim = -0.5 * normalized.pow(2) - torch.log(self.scale) - 0.5 * math.log(2 * math.pi)
        return _sum_non_batch(per_dim)


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over non-batch dimensions: (B,)."""
    return _sum_non_batch(-0.5 * z.pow(2) - 0.5 * math.log(2 * math.pi))
