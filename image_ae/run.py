"""Train, evaluate and load image runs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from image_ae.data import load_mnist
from image_ae.metrics import dataset_psnr, ssim
from image_ae.tasks import MODEL_KIND, ImageVAE, get_image_config
from musicae.autoencoding.config import ConfigError
from musicae.autoencoding.runs import load_model, plan_run, read_model_config, train_run
from musicae.autoencoding.trainer import TensorData, TrainerConfig


def as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images)[:, None]  # (N, 1, 28, 28)


def train_image(
    task: str,
    data_dir: Path,
    out: Path,
    config: str | None = None,
    epochs: float | None = None,
    limit: int | None = None,
    seed: int | None = None,
    device: str | None = None,
    progress: bool = True,
    resume: bool = False,
    overwrite: bool = False,
    precision: str | None = None,
    **overrides,
) -> dict:
    """Train (or resume) an image run. On resume the stored config and trainer settings are used; a value
    given here that differs from them is refused, and --epochs may only extend the run."""
    if epochs is not None and not (math.isfinite(epochs) and epochs > 0):
        raise ConfigError(f"--epochs {epochs}: must be a finite number > 0")
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit {limit}: must be at least 1")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    cfg = get_image_config(task, config, **overrides)
    requested = {**overrides, "task": task, "seed": seed, "device": device, "name": config, "precision": precision}
    if resume:  # the stored run decides the data and the schedule
        _, stored, record = read_model_config(Path(out), expect=MODEL_KIND.name) if _has_checkpoint(out) else (None, None, {})
        if stored is not None:
            stored_limit = record.get("data", {}).get("limit")
            if limit is not None and limit != stored_limit:
                raise ConfigError(f"--limit {limit} conflicts with the run in {out} (limit {stored_limit}); resume without it")
            limit = stored_limit
            cfg = stored
    images, _ = load_mnist(data_dir, "train", limit)
    test, _ = load_mnist(data_dir, "test", 1000)
    per_epoch = max(1, len(images) // cfg.batch_size)
    steps = max(1, round((10 if epochs is None else epochs) * per_epoch))
    trainer_cfg = TrainerConfig(steps=steps, batch_size=cfg.batch_size, lr=cfg.lr, seed=0 if seed is None else seed,
                                device=device or "auto", log_every=max(1, per_epoch // 4), eval_every=per_epoch,
                                checkpoint_every=per_epoch, eval_batches=4, progress=progress,
                                precision=precision or "fp32")
    if epochs is not None or not resume:
        requested["steps"] = steps
    plan = plan_run(Path(out), cfg, trainer_cfg, resume=resume, overwrite=overwrite, requested=requested,
                    expect=MODEL_KIND.name)
    summary, _ = train_run(plan, Path(out), TensorData(as_tensor(images)), eval_data=TensorData(as_tensor(test)),
                           curves=("loss", "recon", "kl", "psnr"),
                           data={"train_images": len(images), "limit": limit, "epochs": plan.trainer.steps / per_epoch})
    summary["config"] = plan.config.name
    return summary


def _has_checkpoint(run: Path) -> bool:
    return (Path(run) / "checkpoints").is_dir()


def load_run(run: Path, device: str = "cpu") -> torch.nn.Module:
    return load_model(Path(run), device, expect=MODEL_KIND.name)[0]


def _finite(value: float) -> float | None:
    return None if math.isinf(value) or math.isnan(value) else round(value, 4)


@torch.no_grad()
def evaluate_run(run: Path, data_dir: Path, limit: int | None = None, k: int = 100, seed: int = 0, batch_size: int = 500) -> dict:
    """Metrics on the official test set: PSNR/SSIM of the output and of the input baseline; ELBO and NLL for VAEs."""
    model = load_run(run)
    images, _ = load_mnist(data_dir, "test", limit)
    clean = as_tensor(images)
    generator = torch.Generator().manual_seed(seed)
    outputs, baselines, elbos, nlls = [], [], [], []
    for start in range(0, len(clean), batch_size):
        x = clean[start : start + batch_size]
        if isinstance(model, ImageVAE):
            target = model.target(x, generator)  # a fixed binarization of the test set
            outputs.append(model.reconstruct(target))
            baselines.append(x)
            elbos.append(float(model.loss_breakdown(target, generator=generator)["elbo"]) * len(x))
            nlls.append(model.importance_weighted_nll(target, k, generator).sum().item())
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
