"""Shared autoencoder/VAE machinery used by both branches.

Knows nothing about music or images: posteriors, losses, KL control, latent paths,
the training loop and checkpoints.
"""

from musicae.autoencoding.latent import lerp, slerp
from musicae.autoencoding.losses import (
    bernoulli_nll,
    elbo_breakdown,
    gaussian_nll,
    masked_sequence_nll,
)
from musicae.autoencoding.posterior import DiagonalGaussian, nats_to_bits
from musicae.autoencoding.schedules import (
    BetaSchedule,
    exponential_lr,
    free_bits_per_dim,
    free_bits_total,
    inverse_sigmoid_sampling_probability,
)

__all__ = [
    "DiagonalGaussian",
    "nats_to_bits",
    "bernoulli_nll",
    "gaussian_nll",
    "masked_sequence_nll",
    "elbo_breakdown",
    "BetaSchedule",
    "exponential_lr",
    "free_bits_total",
    "free_bits_per_dim",
    "inverse_sigmoid_sampling_probability",
    "lerp",
    "slerp",
]
