"""Short real training runs on shared MNIST, evaluated on the official test set."""

import json

import pytest
from conftest import SHARED_MNIST

from image_ae.cli import main as image_main
from image_ae.metrics import ssim
from image_ae.plots import plot_run
from image_ae.run import evaluate_run, train_image


def test_denoiser_beats_its_noisy_input(tmp_path, mnist_dir):
    run = tmp_path / "denoise"
    train_image("denoise", mnist_dir, run, epochs=4, limit=600, progress=False, batch_size=32)
    result = evaluate_run(run, mnist_dir, limit=500)
    if mnist_dir == SHARED_MNIST:
        assert result["input_psnr"] == pytest.approx(9.4, abs=0.3)
    assert result["psnr"] > result["input_psnr"] + 4
    assert result["ssim"] > result["input_ssim"]
    figures = plot_run(run, mnist_dir)
    assert [p.rsplit("/", 1)[-1] for p in figures] == ["restoration.png"]
    assert (run / "curves.png").exists()


def test_superres_beats_bicubic(tmp_path, mnist_dir):
    run = tmp_path / "sr"
    train_image("superres", mnist_dir, run, epochs=3, limit=600, progress=False, scale=2, batch_size=32)
    result = evaluate_run(run, mnist_dir, limit=500)
    assert result["psnr"] > result["input_psnr"] + 0.5
    names = [p.rsplit("/", 1)[-1] for p in plot_run(run, mnist_dir)]
    assert names == ["superres.png"]


def test_2d_vae_cli_evaluate_and_lesson_pictures(tmp_path, mnist_dir, capsys):
    run = tmp_path / "vae"
    code = image_main(["train", "vae", "--model", "lesson_dense_vae", "--data-dir", str(mnist_dir), "--out", str(run),
                       "--epochs", "2", "--limit", "500", "--no-progress"])
    assert code == 0
    capsys.readouterr()
    assert image_main(["evaluate", str(run), "--data-dir", str(mnist_dir), "--limit", "200", "-k", "10"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"psnr", "ssim", "input_psnr", "input_ssim", "elbo", "nll"} <= set(result)
    assert 50 < result["nll"] < 400 and result["nll"] <= -result["elbo"] + 1.0  # the IWAE bound is tighter
    assert image_main(["plot", str(run), "--data-dir", str(mnist_dir)]) == 0
    figures = json.loads(capsys.readouterr().out)["figures"]
    names = {f.rsplit("/", 1)[-1] for f in figures}
    assert {"latent_scatter.png", "latent_grid.png", "samples.png", "interpolation.png"} <= names
    for f in figures:
        assert open(f, "rb").read(4) == b"\x89PNG"


def test_ssim_of_identical_images_is_one():
    import torch

    x = torch.rand(2, 1, 28, 28)
    torch.testing.assert_close(ssim(x, x), torch.ones(2))
    assert float(ssim(x, torch.rand(2, 1, 28, 28)).mean()) < 0.2


def test_missing_data_is_a_clear_cli_error(tmp_path, capsys):
    code = image_main(["train", "ae", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r"), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "image-ae download" in err and err.count("\n") == 1
