"""A learned prior over a trained model's z: MidiMe (Dinculescu et al. 2019).

A small VAE whose data are the posterior means of a user's windows under a frozen sequence VAE: its encoder
maps z (Z) to a few latent dimensions (D), its decoder maps them back. Sampling draws w ~ N(0, I) in the
small space and decodes it to a z that the big model's decoder turns into music: samples in the user's
style, from a few tunes, in seconds, without touching the big model.

p(z | w) is a Gaussian with a learned scale per dimension of z: the decoder's mean alone is an average of
the tunes' codes, shorter than any of them, and decodes to duller melodies than the tunes; the scale puts
back the spread the few latent dimensions do not explain, in the directions where the tunes do vary.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from musicae.autoencoding.posterior import DiagonalGaussian


class LatentPrior(nn.Module):
    def __init__(self, z_dim: int, latent_dim: int, hidden: int):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, z_dim))
        self.log_scale = nn.Parameter(torch.zeros(z_dim))  # (Z,) of p(z | w)
        self.latent_dim = latent_dim

    def encode(self, z: torch.Tensor) -> DiagonalGaussian:
        mean, raw_scale = self.encoder(z).chunk(2, dim=-1)  # (B, D) each
        return DiagonalGaussian(mean, raw_scale)

    def decode(self, w: torch.Tensor) -> torch.Tensor:
        return self.decoder(w)  # (B, Z)

    def loss(self, z: torch.Tensor, beta: float) -> dict[str, torch.Tensor]:
        """The named loss breakdown of a batch of z (B, Z), in nats: the Gaussian NLL of z, plus beta times the KL."""
        posterior = self.encode(z)
        error = (self.decode(posterior.rsample()) - z) * torch.exp(-self.log_scale)
        recon = (0.5 * error.pow(2) + self.log_scale + 0.5 * math.log(2 * math.pi)).sum(dim=1).mean()
        kl = posterior.kl().mean()
        return {"loss": recon + beta * kl, "recon": recon, "kl": kl}

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws of z: w ~ N(0, I), then z ~ p(z | w); the noise is drawn on the CPU, so seeds agree on any device."""
        device = self.log_scale.device
        w = torch.randn(n, self.latent_dim, generator=generator).to(device)  # (n, D)
        noise = torch.randn(n, len(self.log_scale), generator=generator).to(device)  # (n, Z)
        return self.decode(w) + torch.exp(self.log_scale) * noise
