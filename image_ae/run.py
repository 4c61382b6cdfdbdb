"""Train, evaluate and load image runs."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from image_ae.data import load_mnist
from image_ae.metrics import dataset_psnr, ssim
from image_ae.tasks import ImageConfig, ImageVAE, build_model, get_image_config
from musicae.autoencoding.checkpoint import load_config, load_weights, resolve_checkpoint
from musicae.autoencoding.config import from_dict
from musicae.autoencoding.curves import plot_curves
from musicae.autoencoding.trainer import TensorData, Trainer, TrainerConfig, seed_everything

MODEL_KIND = "image_ae"


def as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images)[:, None]  # (N, 1, 28, 28)


def train_image(
    task: str,
    data_dir: Path,
    out: Path,
    config: str | None = None,
    epochs: float = 10,
    limit: int | None = None,
    seed: int = 0,
    device: str = "auto",
    progress: bool = True,
    resume: bool = False,
    **overrides,
) -> dict:
    cfg = get_image_config(task, config, **overrides)
    images, _ = load_mnist(data_dir, "train", limit)
    test, _ = load_mnist(data_dir, "test", 1000)
    per_epoch = max(1, len(images) // cfg.batch_size)
    steps = max(1, round(epochs * per_epoch))
    trainer_cfg = TrainerConfig(steps=steps, batch_size=cfg.batch_size, lr=cfg.lr, seed=seed, device=device,
                                log_every=max(1, per_epoch // 4), eval_every=per_epoch, checkpoint_every=per_epoch,
                                eval_batches=4, progress=progress)
    seed_everything(seed)
    model = build_model(cfg)
    trainer = Trainer(model, TensorData(as_tensor(images)), trainer_cfg, out,
                      {"kind": MODEL_KIND, "config": asdict(cfg), "data": {"train_images": len(images), "epochs": epochs}},
                      eval_data=TensorData(as_tensor(test)))
    summary = trainer.fit(resume=resume)
    plot_curves(out, keys=("loss", "recon", "kl", "psnr"))
    summary["config"] = cfg.name
    return summary


def load_run(run: Path, device: str = "cpu") -> torch.nn.Module:
    path = resolve_checkpoint(run)
    config = load_config(path)
    if config.get("kind") != MODEL_KIND:
        raise ValueError(f"{path}: a {config.get('kind')!r} checkpoint, not an image model")
    model = build_model(from_dict(ImageConfig, config["config"]))
    load_weights(path, model)
    return model.to(device).eval()


def _finite(value: float) -> float | None:
    return None if math.isinf(value) or math.isnan(value) else round(value, 4)


@torch.no_grad()
def evaluate_run(run: Path, data_dir: Path, limit: int | None = None, k: int = 100, seed: int = 0, batch_size: int = 500) -> dict:
    """Metrics on the official test set: PSNR/SSIM of the output and of the input baseline; ELBO and NLL for VAEs."""
    model = load_run(run)
    images, _ = load_mnist(data_dir, "test", limit)
    clean = as_tensor(images)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    outputs, baselines, elbos, nlls = [], [], [], []
    for start in range(0, len(clean), batch_size):
        x = clean[start : start + batch_size]
        if isinstance(model, ImageVAE):
            target = model.target(x, generator)  # a fixed binarization of the test set
            outputs.append(model.reconstruct(target))
            baselines.append(x)
            elbos.append(float(model.loss_breakdown(target)["elbo"]) * len(x))
            nlls.append(model.importance_weighted_nll(target, k).sum().item())
        else:
            corrupted = model.corruption(x, generator)
            outputs.append(model.restore(corrupted))
            baselines.append(model.corruption.baseline(corrupted))
    output, baseline = torch.cat(outputs), torch.cat(baselines)
    result = {
        "task": model.cfg.task,
        "config": model.cfg.name,
        "images": len(clean),
        "psnr": _finite(dataset_psnr(output, clean)),
        "ssim": round(float(ssim(output, clean).mean()), 4),
        "input_psnr": _finite(dataset_psnr(baseline, clean)),
        "input_ssim": round(float(ssim(baseline, clean).mean()), 4),
    }
    if isinstance(model, ImageVAE):
        result["elbo"] = round(sum(elbos) / len(clean), 3)
        result["nll"] = round(sum(nlls) / len(clean), 3)
        result["nll_samples"] = k
        result["likelihood"] = model.cfg.likelihood
    return result
