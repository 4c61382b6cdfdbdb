import math

import pytest
import torch

from musicae.autoencoding import (
    BetaSchedule,
    exponential_lr,
    free_bits_per_dim,
    free_bits_total,
    inverse_sigmoid_sampling_probability,
    lerp,
    slerp,
)


def test_beta_schedules():
    assert BetaSchedule("constant", 0.3)(0) == 0.3
    linear = BetaSchedule("linear", 1.0, warmup_steps=100)
    assert linear(0) == 0.0 and linear(50) == 0.5 and linear(1000) == 1.0
    mv = BetaSchedule("musicvae", 0.2, rate=0.99999)
    assert mv(0) == 0.0
    assert math.isclose(mv(10000), (1 - 0.99999**10000) * 0.2)
    assert math.isclose(mv(10**7), 0.2, rel_tol=1e-6)
    with pytest.raises(KeyError):
        BetaSchedule("cosine")(1)


def test_free_bits():
    kl = torch.tensor([10 * math.log(2), 2 * math.log(2)])  # 10 and 2 bits
    assert math.isclose(float(free_bits_total(kl, 4.0)), 3 * math.log(2), rel_tol=1e-6)  # (6 + 0) / 2
    per_dim = torch.tensor([[0.0, 2.0], [0.0, 4.0]])
    lam = 1.0 / math.log(2)  # one nat per dimension
    assert math.isclose(float(free_bits_per_dim(per_dim, lam)), 1.0 + 3.0, rel_tol=1e-6)


def test_learning_rate_and_sampling_schedules():
    assert exponential_lr(0, 1e-3, 0.9999, 1e-5) == pytest.approx(1e-3)
    assert exponential_lr(10000, 1e-3, 0.9999, 1e-5) == pytest.approx((1e-3 - 1e-5) * 0.9999**10000 + 1e-5)
    assert exponential_lr(10**7, 1e-3, 0.9999, 1e-5) == pytest.approx(1e-5)
    assert inverse_sigmoid_sampling_probability(0, 1000) == pytest.approx(1 - 1000 / 1001)
    assert inverse_sigmoid_sampling_probability(10000, 1000) == pytest.approx(1 - 1000 / (1000 + math.exp(10)))
    assert inverse_sigmoid_sampling_probability(10**9, 1000) == 1.0


def test_lerp_and_slerp_endpoints_and_norms():
    torch.manual_seed(0)
    a, b = torch.randn(16), torch.randn(16) * 2
    for path in (lerp(a, b, 7), slerp(a, b, 7)):
        assert path.shape == (7, 16)
        torch.testing.assert_close(path[0], a)
        torch.testing.assert_close(path[-1], b)
    norms = slerp(a, b, 7).norm(dim=1)
    expected = torch.linspace(float(a.norm()), float(b.norm()), 7)
    torch.testing.assert_close(norms, expected, rtol=1e-5, atol=1e-5)
    # slerp keeps the norm where lerp's midpoint shrinks
    c = torch.tensor([1.0, 0.0])
    d = torch.tensor([0.0, 1.0])
    assert float(slerp(c, d, 3)[1].norm()) == pytest.approx(1.0)
    assert float(lerp(c, d, 3)[1].norm()) < 0.8


def test_slerp_nearly_parallel_and_shapes():
    a = torch.tensor([1.0, 2.0, 3.0])
    path = slerp(a, a * (1 + 1e-7), 5)
    assert torch.isfinite(path).all()
    torch.testing.assert_close(path[2], a, rtol=1e-5, atol=1e-5)
    img = slerp(torch.randn(2, 3, 3), torch.randn(2, 3, 3), 4)
    assert img.shape == (4, 2, 3, 3)
    with pytest.raises(ValueError):
        slerp(a, a, 1)
