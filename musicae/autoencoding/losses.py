"""Reconstruction likelihoods and the ELBO breakdown every model returns to the trainer.

Each reconstruction loss returns a negative log-likelihood per example, summed over
all non-batch dimensions: shape (B,). Reductions over the batch happen in one place,
`elbo_breakdown`, so that `recon` and `kl` are always on the same scale.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from musicae.autoencoding.posterior import LN2, _sum_non_batch


def bernoulli_nll(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """-log Bernoulli(target | sigmoid(logits)), summed per example: (B,)."""
    return _sum_non_batch(F.binary_cross_entropy_with_logits(logits, target, reduction="none"))


def gaussian_nll(mean: torch.Tensor, target: torch.Tensor, std: float = 1.0) -> torch.Tensor:
    """-log N(target | mean, std^2), summed per example: (B,).

    With std fixed this is the MSE up to scale and a constant; keeping the constant makes
    the value a true NLL in nats that can be compared across models.
    """
    per_elem = 0.5 * ((target - mean) / std).pow(2) + math.log(std) + 0.5 * math.log(2 * math.pi)
    return _sum_non_batch(per_elem)


def masked_sequence_nll(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Categorical cross-entropy over padded sequences, summed over valid steps: (B,).

    logits: (B, T, C); targets: (B, T) class indices; mask: (B, T), true where a step counts.
    """
    batch, steps, classes = logits.shape
    per_step = F.cross_entropy(logits.reshape(-1, classes), targets.reshape(-1), reduction="none")
    per_step = per_step.view(batch, steps)  # (B, T)
    if mask is not None:
        per_step = per_step * mask.to(per_step.dtype)
    return per_step.sum(dim=1)


def elbo_breakdown(
    recon_nll: torch.Tensor,
    kl: torch.Tensor,
    beta: float,
    kl_penalty: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Named loss breakdown: loss = recon + beta * kl_penalty, averaged over the batch.

    recon_nll, kl: (B,) in nats. kl_penalty is what the optimiser sees (after free bits);
    it defaults to the mean KL. The reported `kl` is always the true KL.
    """
    recon = recon_nll.mean()
    kl_mean = kl.mean()
    penalty = kl_mean if kl_penalty is None else kl_penalty
    loss = recon + beta * penalty
    return {
        "loss": loss,
        "recon": recon.detach(),
        "kl": kl_mean.detach(),
        "beta": torch.tensor(float(beta)),
        "kl_bits": (kl_mean / LN2).detach(),
        "elbo": -(recon + kl_mean).detach(),
    }
