"""Model kinds and runs: what can be built, saved, loaded and trained, for every branch.

A branch registers each kind of model once:

    register_model_kind("sequence_vae", SequenceVAEConfig, SequenceVAE)

and then `save_run`, `load_model` and `train_run` work for it. A checkpoint's config.json is the
model record `{"kind": ..., "config": {...}, ...}` built here and nowhere else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from musicae.autoencoding.checkpoint import (
    CHECKPOINTS_DIR,
    DamagedCheckpoint,
    intact_checkpoint,
    load_config,
    load_weights,
    resolve_checkpoint,
    save_model,
)
from musicae.autoencoding.config import ConfigError, Registry, flag_name, from_dict
from musicae.autoencoding.curves import plot_curves
from musicae.autoencoding.device import resolve_device, seeded
from musicae.autoencoding.distributed import barrier, ensure_process_group, finish_process_group, is_main
from musicae.autoencoding.trainer import METRICS_FILE, BatchSource, Trainer, TrainerConfig

# Trainer fields a resumed run may change: they alter neither the maths nor the data order.
RUNTIME_FIELDS = frozenset({"steps", "device", "progress", "log_every", "eval_every", "checkpoint_every",
                            "keep_checkpoints", "eval_batches"})
# What a run directory holds that `train` wrote (and --overwrite may remove).
RUN_FILES = (CHECKPOINTS_DIR, METRICS_FILE, "curves.png", "summary.json")


@dataclass(frozen=True)
class ModelKind:
    name: str
    config_class: type
    build: Callable[[Any], nn.Module]


MODEL_KINDS = Registry("model kind")
KIND_ENTRY_POINTS = "musicae.model_kinds"
"""The entry-point group where a branch names the module that registers each of its model kinds
(pyproject.toml): a checkpoint names its kind, and loading it must not depend on which modules the caller
happened to import, nor the core on which branches exist."""


def kind_modules() -> dict[str, str]:
    """Kind name -> the module that registers it, from the installed packages' entry points."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=KIND_ENTRY_POINTS)}


def model_kind(name: str) -> ModelKind:
    if name not in MODEL_KINDS:
        module = kind_modules().get(name)
        if module is not None:
            importlib.import_module(module)
    return MODEL_KINDS[name]


def register_model_kind(name: str, config_class: type, build: Callable[[Any], nn.Module],
                        aliases: tuple[str, ...] = ()) -> ModelKind:
    kind = ModelKind(name, config_class, build)
    for key in (name, *aliases):
        MODEL_KINDS.register(key, kind)
    return kind


def kind_of(config: Any) -> ModelKind:
    for _, kind in MODEL_KINDS.items():
        if isinstance(config, kind.config_class):
            return kind
    raise KeyError(f"no model kind registered for {type(config).__name__}")


def model_record(config: Any, **extra: Any) -> dict[str, Any]:
    """What a checkpoint's config.json holds: the kind, the config's fields, and any extra facts."""
    return {"kind": kind_of(config).name, "config": asdict(config), **extra}


def read_model_config(path: Path | str, expect: str | None = None) -> tuple[ModelKind, Any, dict]:
    """(kind, config, record) of a checkpoint, a run directory or an exported model directory."""
    record = load_config(Path(path))
    kind_name = record.get("kind")
    try:
        kind = model_kind(kind_name)
    except KeyError as err:
        raise ValueError(f"{path}: {err.args[0]}") from None
    if expect is not None and kind is not model_kind(expect):
        raise ValueError(f"{path}: a {kind_name!r} checkpoint, not a {expect!r} one")
    return kind, from_dict(kind.config_class, record["config"]), record


def load_model(path: Path | str, device: str | torch.device = "cpu", expect: str | None = None) -> tuple[nn.Module, Any]:
    """Build the model a checkpoint describes and load its weights: (model in eval mode, config)."""
    return load_resolved(resolve_checkpoint(Path(path)), device, expect)


def load_resolved(checkpoint: Path, device: str | torch.device = "cpu", expect: str | None = None
                  ) -> tuple[nn.Module, Any]:
    """load_model for a checkpoint folder that resolve_checkpoint has already checked (and hashed)."""
    kind, config, _ = read_model_config(checkpoint, expect)
    model = kind.build(config)
    load_weights(checkpoint, model)
    return model.to(device).eval(), config


def save_run(directory: Path | str, model: nn.Module, config: Any, **extra: Any) -> Path:
    """Export a model (weights + record) atomically into `directory`, loadable by `load_model`."""
    return save_model(Path(directory), model, model_record(config, **extra))


# ----------------------------------------------------------------------------- training runs
def conflict(flag: str, value: Any, stored: Any, run_dir: Path) -> ConfigError:
    return ConfigError(f"{flag_name(flag)} {value} conflicts with the run in {run_dir} ({stored}); resume without "
                       f"it, or train into a new --out")


def _clear_run(run_dir: Path) -> None:
    for name in RUN_FILES:
        target = run_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)


@dataclass
class RunPlan:
    config: Any
    trainer: TrainerConfig
    resume_from: Path | None
    notes: list[str]
    lock: Any = None
    """The run's lock, held by this process until it exits (see lock_run)."""
    created: bool = False
    """Whether planning made the run folder (then abandon_run removes it again)."""


LOCK_FILE = ".lock"


def lock_run(run_dir: Path):
    """An exclusive OS lock on the run folder (made if missing), or FileExistsError naming who holds it: two
    trainings in one run would log steps twice and prune each other's checkpoints. The OS drops the lock when
    the process ends, kill -9 included, so a stale lock never blocks."""
    import fcntl

    run_dir.mkdir(parents=True, exist_ok=True)
    handle = open(run_dir / LOCK_FILE, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise FileExistsError(f"{run_dir}: in use by another training ({holder}); wait for it to finish, or "
                              f"train into another --out") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle


def plan_run(run_dir: Path, config: Any, trainer: TrainerConfig, resume: bool = False, overwrite: bool = False,
             requested: dict[str, Any] | None = None, expect: str | None = None) -> RunPlan:
    """Decide what a `train` into `run_dir` does, before anything is written.

    - a new run refuses a directory that already holds a run, unless `overwrite`;
    - a resumed run takes its model and trainer configs from the newest intact checkpoint; `requested`
      holds the values the user gave explicitly, and one that differs from the stored run is refused
      (except RUNTIME_FIELDS, such as a larger --steps);
    - a damaged newest checkpoint is passed over for the newest intact one, and the notes say so.
    """
    ensure_process_group(resolve_device(trainer.device).type)  # under torchrun, every process plans the same run
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise FileExistsError(f"{run_dir}: is an existing file, not a run folder; choose another --out")
    created = not run_dir.exists()
    lock = lock_run(run_dir) if is_main() else None
    try:
        plan = dataclasses.replace(_plan(run_dir, config, trainer, resume, overwrite, requested, expect), lock=lock,
                                   created=created)
    except BaseException:
        abandon_run(RunPlan(config, trainer, None, [], lock, created), run_dir)
        raise
    barrier()  # nobody writes into the run before every process has looked at it
    return plan


def abandon_run(plan: RunPlan, run_dir: Path) -> None:
    """A run that never started (bad data, say): release its lock, and leave no folder that planning made."""
    if plan.lock is not None:
        plan.lock.close()
    if plan.created and is_main():
        (Path(run_dir) / LOCK_FILE).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: something else was written there, keep it
            Path(run_dir).rmdir()


def _plan(run_dir: Path, config: Any, trainer: TrainerConfig, resume: bool, overwrite: bool,
          requested: dict[str, Any] | None, expect: str | None) -> RunPlan:
    requested = {k: v for k, v in (requested or {}).items() if v is not None}
    has_run = any((run_dir / name).exists() for name in (CHECKPOINTS_DIR, METRICS_FILE))
    foreign = [name for name in RUN_FILES if (run_dir / name).exists()] if not has_run else []
    if foreign:  # a summary.json or curves.png with no run beside it is the user's, not ours to replace
        raise FileExistsError(f"{run_dir}: holds {', '.join(foreign)} but no training run; choose another --out")
    if not resume:
        if has_run and not overwrite:
            raise FileExistsError(f"{run_dir}: already holds a training run; continue it with --resume, or replace it "
                                  f"with --overwrite")
        if has_run and is_main():
            _clear_run(run_dir)
        return RunPlan(config, trainer, None, [])
    checkpoint, notes = intact_checkpoint(run_dir, full=True)
    if checkpoint is None:
        if notes:
            raise DamagedCheckpoint(f"{run_dir}: nothing to resume, no intact checkpoint ({'; '.join(notes)})")
        return RunPlan(config, trainer, None, [f"{run_dir}: no checkpoint yet, starting from step 0"])
    if notes:
        notes = notes + [f"resuming from {checkpoint.name}"]
    _, stored_config, _ = read_model_config(checkpoint, expect)
    meta = json.loads((checkpoint / "trainer.json").read_text())
    stored_trainer = from_dict(TrainerConfig, meta.get("trainer", {}))
    trainer_names = {f.name for f in dataclasses.fields(TrainerConfig)}
    config_names = {f.name for f in dataclasses.fields(stored_config)}
    runtime = {}
    for key, value in requested.items():
        if key in RUNTIME_FIELDS:
            runtime[key] = value
            continue
        if key in trainer_names and value != getattr(stored_trainer, key):
            raise conflict(key, value, f"{key} {getattr(stored_trainer, key)}", run_dir)
        if key in config_names and key not in trainer_names and value != getattr(stored_config, key):
            name = "config" if key == "name" else key
            raise conflict(name, value, f"{name} {getattr(stored_config, key)}", run_dir)
    step = int(meta["step"])
    resumed = dataclasses.replace(stored_trainer, **runtime)
    if resumed.steps < step:
        raise ConfigError(f"--steps {resumed.steps}: the run in {run_dir} is already at step {step}")
    return RunPlan(stored_config, resumed, checkpoint, notes)


def train_run(plan: RunPlan, run_dir: Path, train_data: BatchSource, eval_data: BatchSource | None = None,
              curves: tuple[str, ...] = ("loss", "recon", "kl"), init: Callable[[nn.Module], Any] | None = None,
              **record_extra: Any) -> tuple[dict, Trainer]:
    """Build the planned model (weights seeded by the trainer's seed), train it, draw its curves.
    `init` changes a new run's fresh weights (a warm start); a resumed run takes its checkpoint's."""
    for note in plan.notes if is_main() else ():
        print(f"note: {note}", file=sys.stderr)
    kind = kind_of(plan.config)
    try:  # nothing is written yet: a warm start that does not fit leaves no run behind (on --resume too)
        with seeded(plan.trainer.seed):
            model = kind.build(plan.config)
        if init is not None and plan.resume_from is None:
            init(model)
    except BaseException:
        abandon_run(plan, run_dir)
        raise
    trainer = Trainer(model, train_data, plan.trainer, run_dir, model_record(plan.config, **record_extra),
                      eval_data=eval_data)
    try:
        summary = trainer.fit(resume=plan.resume_from or False)
    finally:
        trainer.release_wrapper()
    finish_process_group()  # what follows (final evaluation, summary, curves) is rank 0's alone
    if is_main():
        plot_curves(run_dir, keys=curves)
    return summary, trainer
