"""Shared autoencoder/VAE machinery used by both branches.

Knows nothing about music or images: posteriors, losses, KL control, latent paths,
the training loop and checkpoints.

The names below load on first use (PEP 562): importing a torch-free submodule such as
`musicae.autoencoding.cli` must not import torch, so that `musicae --help` stays fast.
"""

from importlib import import_module

_HOMES = {
    "lerp": "latent", "slerp": "latent",
    "bernoulli_nll": "losses", "elbo_breakdown": "losses", "gaussian_nll": "losses", "masked_sequence_nll": "losses",
    "DiagonalGaussian": "posterior", "nats_to_bits": "posterior",
    "BetaSchedule": "schedules", "exponential_lr": "schedules", "free_bits_per_dim": "schedules",
    "free_bits_total": "schedules", "inverse_sigmoid_sampling_probability": "schedules",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
