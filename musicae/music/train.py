"""Train a melody VAE on prepared windows with the shared trainer."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.checkpoint import latest_checkpoint, load_config
from musicae.autoencoding.config import from_dict
from musicae.autoencoding.curves import plot_curves
from musicae.autoencoding.trainer import TensorData, Trainer, TrainerConfig, seed_everything
from musicae.music.configs import MelodyVAEConfig, get_config
from musicae.music.evaluate import evaluate_windows
from musicae.music.generate import MODEL_KIND
from musicae.music.models import MelodyVAE
from musicae.music.prepare import load_windows


def trainer_config_for(cfg: MelodyVAEConfig, **overrides) -> TrainerConfig:
    base = TrainerConfig(batch_size=cfg.batch_size, lr=cfg.lr, lr_decay=cfg.lr_decay, lr_min=cfg.lr_min, grad_clip=cfg.grad_clip)
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def train_melody_vae(
    data_dir: Path,
    out: Path,
    config: str | MelodyVAEConfig = "mel_2bar_cpu",
    resume: bool = False,
    model_overrides: dict | None = None,
    final_eval_windows: int = 2000,
    **trainer_overrides,
) -> dict:
    """Train (or resume) a run in `out`; returns a summary that is also written to out/summary.json."""
    out = Path(out)
    previous = latest_checkpoint(out) if resume else None
    if previous is not None:  # a resumed run keeps the config it started with
        cfg = from_dict(MelodyVAEConfig, load_config(previous)["config"])
    else:
        cfg = config if isinstance(config, MelodyVAEConfig) else get_config(config)
        cfg = replace(cfg, **{k: v for k, v in (model_overrides or {}).items() if v is not None})
    train = load_windows(data_dir, "train")
    valid = load_windows(data_dir, "valid")
    if train.shape[1] != cfg.steps:
        raise ValueError(
            f"{data_dir}: windows have {train.shape[1]} steps but config {cfg.name} expects {cfg.steps} "
            f"({cfg.bars} bars); prepare with --bars {cfg.bars}"
        )
    if len(train) == 0:
        raise ValueError(f"{data_dir}: no training windows")
    trainer_cfg = trainer_config_for(cfg, **trainer_overrides)
    seed_everything(trainer_cfg.seed)
    model = MelodyVAE(cfg)
    model_config = {"kind": MODEL_KIND, "config": asdict(cfg), "data": {"dir": str(data_dir), "train_windows": len(train)}}
    trainer = Trainer(
        model,
        TensorData(torch.from_numpy(train)),
        trainer_cfg,
        out,
        model_config,
        eval_data=TensorData(torch.from_numpy(valid)) if len(valid) else None,
    )
    summary = trainer.fit(resume=resume)
    plot_curves(out, keys=("loss", "recon", "kl_bits", "accuracy"))
    if len(valid):
        subset = np.random.default_rng(trainer_cfg.seed).permutation(len(valid))[:final_eval_windows]
        summary["evaluation"] = evaluate_windows(trainer.model.cpu(), valid[np.sort(subset)])
    summary["config"] = cfg.name
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
