"""Schedules for KL weight, free bits, learning rate and scheduled sampling."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from musicae.autoencoding.posterior import LN2


@dataclass
class BetaSchedule:
    """KL weight as a function of the training step.

    kind: "constant" (max_beta throughout), "linear" (0 -> max_beta over warmup_steps),
    or "musicvae" (beta = (1 - rate**step) * max_beta, MusicVAE's annealing).
    """

    kind: str = "constant"
    max_beta: float = 1.0
    rate: float = 0.99999
    warmup_steps: int = 0

    def __call__(self, step: int) -> float:
        return _BETA_KINDS[self.kind](self, step)


def _constant(s: BetaSchedule, step: int) -> float:
    return s.max_beta


def _linear(s: BetaSchedule, step: int) -> float:
    if s.warmup_steps <= 0:
        return s.max_beta
    return s.max_beta * min(1.0, step / s.warmup_steps)


def _musicvae(s: BetaSchedule, step: int) -> float:
    return (1.0 - s.rate**step) * s.max_beta


_BETA_KINDS = {"constant": _constant, "linear": _linear, "musicvae": _musicvae}
BETA_KINDS = tuple(_BETA_KINDS)


def free_bits_total(kl: torch.Tensor, free_bits: float) -> torch.Tensor:
    """MusicVAE's free bits: the KL penalty is max(KL - free_bits, 0), per example, then averaged.

    kl: (B,) in nats. free_bits is in bits, for the whole latent vector.
    """
    free_nats = free_bits * LN2
    return torch.clamp(kl - free_nats, min=0.0).mean()


def free_bits_per_dim(kl_per_dim: torch.Tensor, free_bits: float) -> torch.Tensor:
    """Kingma et al.'s per-dimension free bits: sum_d max(E_batch[KL_d], lambda).

    kl_per_dim: (B, ...) in nats. Dimensions whose batch-mean KL is under the budget
    give no gradient, so the encoder is not pushed to collapse them.
    """
    free_nats = free_bits * LN2
    mean_per_dim = kl_per_dim.mean(dim=0)
    return torch.clamp(mean_per_dim, min=free_nats).sum()


def exponential_lr(step: int, lr0: float, decay: float, lr_min: float) -> float:
    """MusicVAE's learning rate: (lr0 - lr_min) * decay**step + lr_min."""
    return (lr0 - lr_min) * decay**step + lr_min


def inverse_sigmoid_sampling_probability(step: int, rate: float) -> float:
    """Probability of feeding the model's own sample instead of the ground truth.

    MusicVAE's inverse-sigmoid schedule: 1 - k / (k + exp(step / k)), with k = rate.
    Starts near 0 (teacher forcing) and goes to 1 (free running).
    """
    if rate <= 0:
        return 0.0
    exponent = step / rate
    if exponent > 700:  # exp overflows; the limit is 1
        return 1.0
    return 1.0 - rate / (rate + math.exp(exponent))
