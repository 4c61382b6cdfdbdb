"""Tasks (ae, denoise, superres, vae): a config registry and the model wrappers the trainer drives.

A wrapper owns its network, its corruption and its loss; `forward(batch, step)` returns
the named loss breakdown, which is all the shared trainer asks of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import torch
from torch import nn

from image_ae.corrupt import make_corruption
from image_ae.models import NETWORKS, VAE_NETWORKS
from musicae.autoencoding import BetaSchedule, bernoulli_nll, elbo_breakdown, free_bits_per_dim, gaussian_nll
from musicae.autoencoding.config import CheckedConfig, Registry, require
from musicae.autoencoding.posterior import standard_normal_log_prob
from musicae.autoencoding.runs import register_model_kind


@dataclass
class ImageConfig(CheckedConfig):
    name: str = "conv_ae"
    """Config name."""
    task: Literal["ae", "denoise", "superres", "vae"] = "ae"
    """ae, denoise, superres or vae."""
    network: str = "conv_ae"
    """Network architecture (see image_ae/models.py)."""
    channels: int = 32
    """Base channel count."""
    latent_dim: int = 0
    """Size of the dense latent (ae, vae); 0 keeps a 7x7 feature map as the code."""
    latent_channels: int = 32
    """Channels of the 7x7 code when latent_dim is 0."""
    output: Literal["logits", "values"] = "logits"
    """What the network emits: logits (through a sigmoid) or values."""
    loss: Literal["mse", "bce"] = "mse"
    """Restoration loss: mse, or bce on grey levels (the lesson's choice)."""
    noise: Literal["gaussian", "saltpepper", "offset"] = "gaussian"
    """denoise: gaussian, saltpepper or offset (the lesson's N(0.5, sigma))."""
    sigma: float = 0.5
    """Standard deviation of gaussian and offset noise."""
    p: float = 0.2
    """Salt-and-pepper probability."""
    scale: Literal[2, 4] = 2
    """superres: downsampling factor, 2 or 4."""
    likelihood: Literal["bernoulli", "gaussian"] = "bernoulli"
    """vae: bernoulli (on dynamically binarized pixels) or gaussian."""
    gaussian_std: float = 0.1
    """vae with the gaussian likelihood: its fixed standard deviation."""
    max_beta: float = 1.0
    """vae: final KL weight."""
    warmup_steps: int = 500
    """vae: steps of linear KL warm-up."""
    free_bits: float = 0.0
    """vae: free bits per latent dimension."""
    lr: float = 2e-3
    """Adam learning rate."""
    batch_size: int = 64
    """Images per step."""

    def check(self) -> None:
        networks = VAE_NETWORKS if self.task == "vae" else NETWORKS
        require(self.network in networks, "network", self.network, f"choose from {', '.join(networks.names())}")
        for name in ("channels", "latent_channels", "batch_size"):
            require(getattr(self, name) >= 1, name, getattr(self, name), "must be at least 1")
        require(self.latent_dim >= (1 if self.task == "vae" else 0), "latent_dim", self.latent_dim,
                "must be at least 1" if self.task == "vae" else "must not be negative")
        require(self.sigma >= 0, "sigma", self.sigma, "must not be negative")
        require(0 <= self.p <= 1, "p", self.p, "must be in [0, 1]")
        require(self.gaussian_std > 0, "gaussian_std", self.gaussian_std, "must be positive")
        for name in ("max_beta", "warmup_steps", "free_bits"):
            require(getattr(self, name) >= 0, name, getattr(self, name), "must not be negative")
        require(self.lr > 0, "lr", self.lr, "must be positive")


IMAGE_CONFIGS = Registry("image config")
for config in (
    ImageConfig("conv_ae", "ae", "conv_ae", channels=16, latent_dim=32),
    ImageConfig("lesson_conv_ae", "ae", "lesson_conv_ae", loss="bce", lr=1e-3),
    ImageConfig("unet_denoise", "denoise", "unet", channels=16),
    ImageConfig("lesson_denoise", "denoise", "lesson_conv_ae", loss="bce", lr=1e-3),
    ImageConfig("sr_resnet", "superres", "sr_resnet", channels=64, output="values"),
    ImageConfig("lesson_superres", "superres", "lesson_conv_ae", loss="bce", lr=1e-3),
    ImageConfig("conv_vae", "vae", "conv_vae", latent_dim=16, lr=1e-3, batch_size=64),
    ImageConfig("lesson_dense_vae", "vae", "lesson_dense_vae", latent_dim=2, lr=1e-3, warmup_steps=0),
):
    IMAGE_CONFIGS.register(config.name, config)

# task -> (our default, the lesson's reference)
TASKS = {
    "ae": ("conv_ae", "lesson_conv_ae"),
    "denoise": ("unet_denoise", "lesson_denoise"),
    "superres": ("sr_resnet", "lesson_superres"),
    "vae": ("conv_vae", "lesson_dense_vae"),
}


def get_image_config(task: str, name: str | None = None, **overrides) -> ImageConfig:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    cfg = IMAGE_CONFIGS[name or TASKS[task][0]]
    if cfg.task != task:
        raise ValueError(f"config {cfg.name!r} is for task {cfg.task!r}, not {task!r}")
    return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})


class Restorer(nn.Module):
    """ae / denoise / superres: corrupt the clean batch, restore it, score against the clean one."""

    def __init__(self, cfg: ImageConfig):
        super().__init__()
        self.cfg = cfg
        kind = {"ae": "none", "denoise": cfg.noise, "superres": "downsample"}[cfg.task]
        self.corruption = make_corruption(kind, sigma=cfg.sigma, p=cfg.p, scale=cfg.scale)
        in_scale = cfg.scale if cfg.task == "superres" else 1
        self.net = NETWORKS[cfg.network](in_scale=in_scale, channels=cfg.channels, latent_dim=cfg.latent_dim,
                                         latent_channels=cfg.latent_channels)

    def to_image(self, raw: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(raw) if self.cfg.output == "logits" else raw

    def forward(self, batch, step: int = 0) -> dict[str, torch.Tensor]:
        clean = batch[0]  # (B, 1, 28, 28)
        raw = self.net(self.corruption(clean))
        image = self.to_image(raw)
        if self.cfg.loss == "bce":
            per_image = bernoulli_nll(raw, clean)
        else:
            per_image = (image - clean).pow(2).flatten(1).sum(1)
        mse = (image.clamp(0, 1) - clean).pow(2).mean().detach()
        return {"loss": per_image.mean(), "recon": per_image.mean().detach(), "mse": mse,
                "psnr": -10 * torch.log10(mse.clamp_min(1e-10))}

    @torch.no_grad()
    def restore(self, corrupted: torch.Tensor) -> torch.Tensor:
        return self.to_image(self.net(corrupted)).clamp(0, 1)


class ImageVAE(nn.Module):
    """vae: Bernoulli likelihood on dynamically binarized pixels (or Gaussian), KL warm-up, free bits."""

    def __init__(self, cfg: ImageConfig):
        super().__init__()
        self.cfg = cfg
        self.net = VAE_NETWORKS[cfg.network](latent_dim=cfg.latent_dim, channels=cfg.channels)
        self.beta = BetaSchedule("linear", cfg.max_beta, warmup_steps=cfg.warmup_steps)

    def target(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.cfg.likelihood == "bernoulli":
            return torch.bernoulli(x, generator=generator)
        return x

    def nll(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # (B,)
        if self.cfg.likelihood == "bernoulli":
            return bernoulli_nll(logits, target)
        return gaussian_nll(torch.sigmoid(logits), target, std=self.cfg.gaussian_std)

    def forward(self, batch, step: int = 0) -> dict[str, torch.Tensor]:
        return self.loss_breakdown(self.target(batch[0]), step)

    def loss_breakdown(self, x: torch.Tensor, step: int = 0, generator: torch.Generator | None = None):
        """The ELBO breakdown of images already turned into likelihood targets (binarized or not)."""
        posterior = self.net.encode(x)
        logits = self.net.decode(posterior.rsample(generator=generator))
        kl = posterior.kl()
        penalty = free_bits_per_dim(posterior.kl_per_dim(), self.cfg.free_bits) if self.cfg.free_bits else None
        return elbo_breakdown(self.nll(logits, x), kl, self.beta(step), penalty)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net.decode(self.net.encode(x).mode()))

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn(n, self.cfg.latent_dim, generator=generator) * temperature
        return torch.sigmoid(self.net.decode(z))

    @torch.no_grad()
    def importance_weighted_nll(self, x: torch.Tensor, k: int = 100, generator: torch.Generator | None = None):
        """-log p(x) estimated with k importance samples from q(z|x) (Burda et al.), per image: (B,)."""
        posterior = self.net.encode(x)
        log_weights = []
        for _ in range(k):
            z = posterior.rsample(generator=generator)
            log_px_z = -self.nll(self.net.decode(z), x)
            log_weights.append(log_px_z + standard_normal_log_prob(z) - posterior.log_prob(z))
        stacked = torch.stack(log_weights)  # (k, B)
        return -(torch.logsumexp(stacked, 0) - math.log(k))


def build_model(cfg: ImageConfig) -> nn.Module:
    return ImageVAE(cfg) if cfg.task == "vae" else Restorer(cfg)


MODEL_KIND = register_model_kind("image_ae", ImageConfig, build_model)
