"""Paths between latent codes."""

from __future__ import annotations

import torch


def _weights(num_points: int, like: torch.Tensor) -> torch.Tensor:
    if num_points < 2:
        raise ValueError(f"a path needs at least 2 points (both endpoints), got {num_points}")
    return torch.linspace(0.0, 1.0, num_points, dtype=like.dtype, device=like.device)


def lerp(a: torch.Tensor, b: torch.Tensor, num_points: int, at: torch.Tensor | None = None) -> torch.Tensor:
    """num_points evenly spaced points on the segment a -> b, endpoints included: (N, *a.shape); or the points
    at the fractions `at` (N,) of the way."""
    t = (_weights(num_points, a) if at is None else at.to(a)).view(-1, *([1] * a.dim()))
    return (1 - t) * a.unsqueeze(0) + t * b.unsqueeze(0)


def slerp(a: torch.Tensor, b: torch.Tensor, num_points: int, eps: float = 1e-4,
          at: torch.Tensor | None = None) -> torch.Tensor:
    """Spherical interpolation a -> b, endpoints included: (N, *a.shape); or the points at the fractions `at`
    (N,) of the way (a slider's position), `num_points` then unused.

    Follows the great circle between the two directions while the norm moves linearly, so
    points stay in the shell where Gaussian latents live. For nearly parallel (or
    anti-parallel) vectors the angle is ill-conditioned and we fall back to lerp.
    """
    t = _weights(num_points, a) if at is None else at.to(a)
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    norm_a, norm_b = flat_a.norm(), flat_b.norm()
    if norm_a < eps or norm_b < eps:
        return lerp(a, b, num_points, t)
    unit_a, unit_b = flat_a / norm_a, flat_b / norm_b
    cos = torch.clamp(torch.dot(unit_a, unit_b), -1.0, 1.0)
    omega = torch.arccos(cos)
    sin_omega = torch.sin(omega)
    if sin_omega.abs() < eps:
        return lerp(a, b, num_points, t)
    wa = torch.sin((1 - t) * omega) / sin_omega  # (N,)
    wb = torch.sin(t * omega) / sin_omega
    norms = (1 - t) * norm_a + t * norm_b
    directions = wa[:, None] * unit_a[None] + wb[:, None] * unit_b[None]  # (N, D)
    directions = directions / directions.norm(dim=1, keepdim=True)
    points = directions * norms[:, None]
    if at is None:
        points[0], points[-1] = flat_a, flat_b  # exact endpoints, free of rounding
    return points.view(len(t), *a.shape)
