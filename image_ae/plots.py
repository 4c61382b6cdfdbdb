"""The pictures: restoration grids, super-resolution beside bicubic, VAE samples, interpolations,
and for 2-D VAEs the lesson's latent scatter and decoded latent grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from image_ae.corrupt import bicubic
from image_ae.data import load_mnist
from image_ae.run import as_tensor, load_run
from image_ae.tasks import ImageVAE
from musicae.autoencoding import slerp


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, dpi: int = 110) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def image_rows(rows: list[torch.Tensor], labels: list[str], path: Path, title: str = "") -> Path:
    """One row of images per tensor (N, 1, H, W), all shown at the same size."""
    plt = _plt()
    n = len(rows[0])
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.9, len(rows) * 1.0 + 0.4), squeeze=False)
    for r, (row, label) in enumerate(zip(rows, labels)):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(row[c, 0].cpu().numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path, dpi=100)


def latent_scatter(z: np.ndarray, labels: np.ndarray, path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 5))
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=3, alpha=0.7)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title("test digits in the latent space (posterior means)")
    return _save(fig, path)


def latent_grid(model: ImageVAE, path: Path, n: int = 20) -> Path:
    """Decode an n x n grid of latents spaced by Gaussian quantiles, as in the lesson."""
    from statistics import NormalDist

    plt = _plt()
    quantiles = [NormalDist().inv_cdf(q) for q in np.linspace(0.05, 0.95, n)]
    grid = torch.tensor([[x, y] for y in reversed(quantiles) for x in quantiles], dtype=torch.float32)
    images = torch.sigmoid(model.net.decode(grid)).view(n, n, 28, 28).numpy()
    canvas = images.transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(canvas, cmap="gray", extent=(quantiles[0], quantiles[-1], quantiles[0], quantiles[-1]))
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title("decoded latent grid")
    return _save(fig, path)


@torch.no_grad()
def plot_run(run: Path, data_dir: Path, out: Path | None = None, n: int = 10, seed: int = 0, temperature: float = 1.0) -> list[str]:
    model = load_run(run)
    out = Path(out or Path(run) / "plots")
    out.mkdir(parents=True, exist_ok=True)
    images, labels = load_mnist(data_dir, "test", 2000)
    clean = as_tensor(images)
    generator = torch.Generator().manual_seed(seed)
    written = []
    if isinstance(model, ImageVAE):
        target = model.target(clean[:n], generator)
        written.append(image_rows([clean[:n], target, model.reconstruct(target)], ["original", "input", "reconstruction"],
                                  out / "reconstructions.png", f"{model.cfg.name}: reconstructions"))
        samples = model.sample(3 * n, temperature, generator).view(3, n, 1, 28, 28)
        written.append(image_rows(list(samples), ["sample"] * 3, out / "samples.png",
                                  f"{model.cfg.name}: samples at temperature {temperature}"))
        ends = model.net.encode(model.target(clean[:2], generator)).mode()
        path = slerp(ends[0], ends[1], n)
        strip = torch.sigmoid(model.net.decode(path))
        written.append(image_rows([strip], ["slerp"], out / "interpolation.png", "latent interpolation"))
        if model.cfg.latent_dim == 2:
            z = model.net.encode(model.target(clean, generator)).mode().numpy()
            written.append(latent_scatter(z, labels, out / "latent_scatter.png"))
            written.append(latent_grid(model, out / "latent_grid.png"))
    else:
        corrupted = model.corruption(clean[:n], generator)
        restored = model.restore(corrupted)
        if model.cfg.task == "superres":
            nearest = torch.nn.functional.interpolate(corrupted, scale_factor=model.cfg.scale, mode="nearest")
            rows = [clean[:n], nearest, bicubic(corrupted, model.cfg.scale), restored]
            written.append(image_rows(rows, ["original", f"input /{model.cfg.scale}", "bicubic", "network"],
                                      out / "superres.png", f"{model.cfg.name}: x{model.cfg.scale} super-resolution"))
        else:
            rows = [clean[:n], corrupted, restored]
            written.append(image_rows(rows, ["original", "input", "output"], out / "restoration.png",
                                      f"{model.cfg.name}: {model.cfg.task}"))
    return [str(p) for p in written]
