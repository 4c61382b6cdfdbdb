import math

import torch

from musicae.autoencoding import (
    DiagonalGaussian,
    bernoulli_nll,
    elbo_breakdown,
    gaussian_nll,
    masked_sequence_nll,
)
from musicae.autoencoding.posterior import standard_normal_log_prob


def test_kl_matches_monte_carlo_for_vector_and_image_latents():
    torch.manual_seed(0)
    for shape in [(3, 4), (2, 2, 3, 3)]:
        q = DiagonalGaussian(torch.randn(shape), torch.randn(shape))
        z = q.mean + q.scale * torch.randn((20000, *shape))  # (S, B, ...)
        flat = z.reshape(20000 * shape[0], *shape[1:])
        mean_rep = q.mean.repeat(20000, *([1] * (len(shape) - 1)))
        scale_rep = q.scale.repeat(20000, *([1] * (len(shape) - 1)))
        log_q = DiagonalGaussian.__new__(DiagonalGaussian)
        log_q.mean, log_q.scale = mean_rep, scale_rep
        mc = (log_q.log_prob(flat) - standard_normal_log_prob(flat)).view(20000, shape[0]).mean(0)
        assert q.kl().shape == (shape[0],)
        torch.testing.assert_close(q.kl(), mc, rtol=0.03, atol=0.05)


def test_kl_zero_at_prior_and_bits():
    q = DiagonalGaussian(torch.zeros(2, 5), torch.full((2, 5), math.log(math.e - 1)))  # softplus -> 1
    assert torch.allclose(q.kl(), torch.zeros(2), atol=1e-5)
    q2 = DiagonalGaussian(torch.ones(1, 1) * 2.0, torch.full((1, 1), math.log(math.e - 1)))
    assert math.isclose(float(q2.kl()), 2.0, rel_tol=1e-4)  # 0.5 * mu^2
    assert math.isclose(float(q2.kl_bits()), 2.0 / math.log(2), rel_tol=1e-4)


def test_rsample_is_differentiable_and_mode_is_mean():
    mean = torch.zeros(4, 3, requires_grad=True)
    raw = torch.zeros(4, 3, requires_grad=True)
    q = DiagonalGaussian(mean, raw)
    q.rsample().sum().backward()
    assert mean.grad is not None and raw.grad is not None and raw.grad.abs().sum() > 0
    assert q.mode() is mean


def test_reconstruction_losses_are_per_example_nlls():
    logits = torch.zeros(2, 1, 2, 2)
    target = torch.ones(2, 1, 2, 2)
    torch.testing.assert_close(bernoulli_nll(logits, target), torch.full((2,), 4 * math.log(2)))
    g = gaussian_nll(torch.zeros(3, 4), torch.zeros(3, 4), std=1.0)
    torch.testing.assert_close(g, torch.full((3,), 4 * 0.5 * math.log(2 * math.pi)))
    logits = torch.log(torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]]))
    targets = torch.tensor([[0, 1]])
    full = masked_sequence_nll(logits, targets)
    masked = masked_sequence_nll(logits, targets, torch.tensor([[True, False]]))
    torch.testing.assert_close(full, torch.tensor([-math.log(0.5) - math.log(0.8)]))
    torch.testing.assert_close(masked, torch.tensor([-math.log(0.5)]))


def test_elbo_breakdown_names_and_values():
    out = elbo_breakdown(torch.tensor([2.0, 4.0]), torch.tensor([1.0, 3.0]), beta=0.5)
    assert set(out) >= {"loss", "recon", "kl", "beta", "kl_bits"}
    assert float(out["loss"]) == 3.0 + 0.5 * 2.0
    assert math.isclose(float(out["kl_bits"]), 2.0 / math.log(2), rel_tol=1e-6)
