"""Image quality: PSNR and SSIM, averaged per image (images in [0, 1], shape (B, 1, H, W))."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def psnr(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB with peak 1: (B,). Identical images give inf."""
    mse = (output - target).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse)


def dataset_psnr(output: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR of the mean squared error over the whole set, in dB (the usual MNIST figure)."""
    mse = float((output - target).pow(2).mean())
    return float("inf") if mse == 0 else 10 * float(torch.log10(torch.tensor(1.0 / mse)))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).float()[None, None]  # (1, 1, size, size)


def ssim(output: torch.Tensor, target: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Per-image SSIM (Wang et al. 2004: Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03): (B,)."""
    w = _gaussian_window(window, sigma).to(output)
    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = F.conv2d(output, w), F.conv2d(target, w)
    sxx = F.conv2d(output * output, w) - mu_x**2
    syy = F.conv2d(target * target, w) - mu_y**2
    sxy = F.conv2d(output * target, w) - mu_x * mu_y
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))
    return s.flatten(1).mean(1)
