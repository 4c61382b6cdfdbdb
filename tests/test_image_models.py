import pytest
import torch

from image_ae.corrupt import make_corruption
from image_ae.models import NETWORKS, VAE_NETWORKS
from image_ae.tasks import IMAGE_CONFIGS, TASKS, ImageVAE, build_model, get_image_config


@pytest.mark.parametrize("name", IMAGE_CONFIGS.names())
def test_every_config_builds_and_returns_its_loss(name):
    cfg = IMAGE_CONFIGS[name]
    model = build_model(cfg)
    x = torch.rand(4, 1, 28, 28)
    out = model((x,), step=1)
    assert out["loss"].ndim == 0 and torch.isfinite(out["loss"])
    out["loss"].backward()
    if isinstance(model, ImageVAE):
        assert model.reconstruct(x).shape == (4, 1, 28, 28)
        assert model.sample(3).shape == (3, 1, 28, 28)
        assert {"recon", "kl", "elbo", "kl_bits"} <= set(out)
    else:
        corrupted = model.corruption(x)
        assert model.restore(corrupted).shape == (4, 1, 28, 28)


@pytest.mark.parametrize("scale", [2, 4])
def test_superres_shapes(scale):
    for name in ("sr_resnet", "lesson_superres"):
        model = build_model(get_image_config("superres", name, scale=scale))
        small = model.corruption(torch.rand(2, 1, 28, 28))
        assert small.shape == (2, 1, 28 // scale, 28 // scale)
        assert model.net(small).shape == (2, 1, 28, 28)


def test_networks_registries_and_tasks():
    assert set(NETWORKS.names()) >= {"lesson_conv_ae", "conv_ae", "unet", "sr_resnet"}
    assert set(VAE_NETWORKS.names()) == {"lesson_dense_vae", "conv_vae"}
    for task, (default, reference) in TASKS.items():
        assert IMAGE_CONFIGS[default].task == task and IMAGE_CONFIGS[reference].task == task
    assert IMAGE_CONFIGS["lesson_dense_vae"].latent_dim == 2
    with pytest.raises(ValueError, match="for task"):
        get_image_config("vae", "unet_denoise")


def test_corruptions():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28)
    g = make_corruption("gaussian", sigma=0.3)(x)
    assert g.min() >= 0 and g.max() <= 1 and 0.15 < float((g - x).std()) < 0.3
    o = make_corruption("offset", sigma=0.1)(torch.zeros(8, 1, 28, 28))
    assert abs(float(o.mean()) - 0.5) < 0.02  # the lesson's noise is centred on 0.5
    sp = make_corruption("saltpepper", p=0.3)(torch.full((32, 1, 28, 28), 0.5))
    changed = sp != 0.5
    assert abs(float(changed.float().mean()) - 0.3) < 0.02 and set(sp[changed].unique().tolist()) == {0.0, 1.0}
    down = make_corruption("downsample", scale=4)
    small = down(x)
    assert small.shape == (64, 1, 7, 7)
    torch.testing.assert_close(small[0, 0, 0, 0], x[0, 0, :4, :4].mean())
    assert down.baseline(small).shape == x.shape
    # fresh noise for every batch (the lesson reused one noise tensor)
    noise = make_corruption("gaussian")
    first, second = noise(x), noise(x)  # the same object, as the training loop uses it, twice
    assert not torch.equal(first, second)
