"""Train a sequence VAE on prepared windows with the shared trainer and run glue."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from musicae.autoencoding.batch import StreamData
from musicae.autoencoding.distributed import is_main
from musicae.autoencoding.runs import abandon_run, plan_run, train_run
from musicae.autoencoding.trainer import TrainerConfig
from musicae.music.data.prepare import load_streams
from musicae.music.encodings.base import Rows
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.models.configs import DEFAULT_CONFIG, SequenceVAEConfig, get_config
from musicae.music.models.evaluation import evaluate_rows
from musicae.music.models.sequence_vae import MODEL_KIND, SequenceVAE

# Model-config fields that also set the trainer (pythae style: one config per model says how to train it).
TRAINING_FIELDS = ("batch_size", "lr", "lr_decay", "lr_min", "grad_clip")


def trainer_config_for(cfg: SequenceVAEConfig, **overrides) -> TrainerConfig:
    base = {name: getattr(cfg, name) for name in TRAINING_FIELDS}
    return TrainerConfig(**{**base, **{k: v for k, v in overrides.items() if v is not None}})


def stream_data(rows: Rows, lengths: np.ndarray | None = None) -> StreamData:
    return StreamData({name: torch.from_numpy(np.ascontiguousarray(v)) for name, v in rows.items()},
                      None if lengths is None else torch.from_numpy(lengths))


def planned_run(data_dir: Path, out: Path, cfg, trainer_cfg: TrainerConfig, requested: dict, resume: bool,
                overwrite: bool, kind: str) -> tuple:
    """(plan, train rows, valid rows) of a run of any model kind whose config names its encoding, bars and
    `steps` (rows per window): the run planned (resume rules, lock) and its data loaded and checked against the
    config; a dataset that does not fit abandons the plan before anything is written."""
    plan = plan_run(out, cfg, trainer_cfg, resume=resume, overwrite=overwrite, requested=requested, expect=kind)
    cfg = plan.config
    try:
        train = load_streams(data_dir, "train", cfg.encoding_spec)
        valid = load_streams(data_dir, "valid", cfg.encoding_spec)
        steps = next(iter(train.values())).shape[1]
        if steps != cfg.steps:
            raise ValueError(
                f"{data_dir}: windows have {steps} steps but config {cfg.name} expects {cfg.steps} "
                f"({cfg.bars} bars); prepare with --bars {cfg.bars}"
            )
        if len(train) == 0:
            raise ValueError(f"{data_dir}: no training windows")
    except BaseException:
        abandon_run(plan, out)
        raise
    return plan, train, valid


def warm_start(init_from: str | Path | None, build: Callable[[], nn.Module], resume: bool
               ) -> tuple[Callable[[nn.Module], object] | None, dict]:
    """What `train --init-from` gives `train_run`: the function that starts a new run's fresh model from the
    trained one (its `init_from`), and the record of where it came from. A misfit is refused here, on a model
    `build` makes, before a run folder is touched (on --resume the stored weights win, so nothing is checked)."""
    if init_from is None:
        return None, {}
    source = TrainedModel.load(init_from).model
    if not resume:
        build().init_from(source)
    return (lambda model: model.init_from(source)), {"init_from": str(init_from)}


def train_sequence_vae(
    data_dir: Path,
    out: Path,
    config: str | SequenceVAEConfig | None = None,
    resume: bool = False,
    overwrite: bool = False,
    model_overrides: dict | None = None,
    final_eval_windows: int = 2000,
    init_from: str | Path | None = None,
    **trainer_overrides,
) -> dict:
    """Train (or resume) a run in `out`; returns a summary that is also written to out/summary.json.

    On resume the stored model and trainer configs are used; an explicitly given value that differs
    from them is refused (see runs.plan_run). `config=None` means "not given": the default config for
    a new run, the stored one on resume. `init_from` (a checkpoint, run or shipped model name) starts a new
    run's segment encoder and decoder as that trained model (`SequenceVAE.init_from`); it is checked against
    the config before anything in `out` is touched.
    """
    out = Path(out)
    model_overrides = {k: v for k, v in (model_overrides or {}).items() if v is not None}
    cfg = config if isinstance(config, SequenceVAEConfig) else get_config(config or DEFAULT_CONFIG)
    cfg = replace(cfg, **model_overrides)
    trainer_cfg = trainer_config_for(cfg, **trainer_overrides)
    requested = {**model_overrides, **{k: v for k, v in trainer_overrides.items() if v is not None}}
    init, init_record = warm_start(init_from, lambda: SequenceVAE(cfg), resume)
    if isinstance(config, str):
        requested["name"] = config
    plan, train, valid = planned_run(data_dir, out, cfg, trainer_cfg, requested, resume, overwrite, MODEL_KIND.name)
    cfg = plan.config
    summary, trainer = train_run(
        plan, out, stream_data(train), init=init,
        eval_data=stream_data(valid) if len(valid) else None,
        curves=("loss", "recon", "kl_bits", "accuracy"),
        data={"dir": str(data_dir), "train_windows": len(train)}, **init_record,
    )
    if not is_main():  # under torchrun, rank 0 evaluates and writes the summary
        return summary
    if len(valid) and not summary["interrupted"]:  # an interrupted run should stop now, not evaluate
        subset = np.random.default_rng(plan.trainer.seed).permutation(len(valid))[:final_eval_windows]
        picked = np.sort(subset)
        summary["evaluation"] = evaluate_rows(trainer.model, valid.take(picked))
    summary["config"] = cfg.name
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


train_melody_vae = train_sequence_vae  # round 1's name
