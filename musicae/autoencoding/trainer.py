"""The training loop, shared by every model in both branches.

The trainer's whole contract with a model: `model(batch, step=step)` returns a dict of
scalar tensors with at least `loss`. Data is anything with `len()` and indexing by a
LongTensor of example indices that returns a batch (see `TensorData`).

Resume rules (what makes a resumed run equal an uninterrupted one):
- the data order is a pure function of (seed, step), so no data-loader state is saved;
- weights, optimizer moments and the torch RNG state are restored from the checkpoint;
- the trainer config (seed, batch size, learning-rate schedule...) comes back from the checkpoint
  too (see runs.plan_run), and a flag that would change it is refused;
- metrics logged after the checkpoint's step are dropped, since the resumed run redoes them.
The trainer owns the global torch RNG only while `fit` runs (`fork_rng`): the caller's state is
left as it was. Under `torchrun` it trains with DDP; distributed.py gives the rules that make N processes
train like one.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import torch
from tqdm.auto import tqdm

from musicae.autoencoding.checkpoint import (
    atomic_write_text,
    latest_checkpoint,
    load_training_state,
    load_weights,
    save_training_checkpoint,
)
from musicae.autoencoding.config import CheckedConfig, ConfigError, require
from musicae.autoencoding.device import resolve_device, seeded, to_device
from musicae.autoencoding.distributed import (
    any_process,
    batch_shard,
    ensure_process_group,
    mean_over_processes,
)
from musicae.autoencoding.schedules import exponential_lr

METRICS_FILE = "metrics.jsonl"


class BatchSource(Protocol):
    def __len__(self) -> int: ...
    def __getitem__(self, indices: torch.Tensor) -> Any: ...


class TensorData:
    """Tensors sharing their first dimension; indexing with a LongTensor gives a tuple batch."""

    def __init__(self, *tensors: torch.Tensor):
        if not tensors or any(len(t) != len(tensors[0]) for t in tensors):
            raise ValueError("TensorData needs tensors of equal, non-zero first dimension")
        self.tensors = tensors

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, indices: torch.Tensor):
        return tuple(t[indices] for t in self.tensors)


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite; the last checkpoint is left as it was."""


def cpu_has_bf16() -> bool:
    """Whether oneDNN runs bfloat16 on this CPU: without it, its LSTM kernels refuse bf16 autocast."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch built without oneDNN
        return False


@dataclass
class TrainerConfig(CheckedConfig):
    steps: int = 1000
    """Total optimisation steps."""
    batch_size: int = 64
    """Examples per step."""
    lr: float = 1e-3
    """Initial Adam learning rate."""
    lr_decay: float = 0.0
    """Per-step exponential decay of the learning rate toward lr_min (MusicVAE: 0.9999); 0 keeps it constant."""
    lr_min: float = 1e-5
    """Floor of the decayed learning rate."""
    grad_clip: float = 1.0
    """Clip gradients to this global norm; 0 disables."""
    seed: int = 0
    """Seed for weights, data order and sampling noise."""
    device: str = "auto"
    """cpu, cuda, cuda:N or auto (CUDA when available); under torchrun each process takes cuda:LOCAL_RANK."""
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    """Mixed precision: bf16 (GPU or CPU) or fp16 (GPU, with a gradient scaler) autocast; fp32 is exact."""
    log_every: int = 10
    """Write training metrics every N steps."""
    eval_every: int = 200
    """Evaluate on the validation data every N steps; 0 disables."""
    eval_batches: int = 8
    """Validation batches per evaluation."""
    checkpoint_every: int = 500
    """Save a checkpoint every N steps (and always at the end)."""
    keep_checkpoints: int = 3
    """How many checkpoints to keep."""
    progress: bool = True
    """Show a tqdm progress bar."""

    def check(self) -> None:
        require(self.steps >= 1, "steps", self.steps, "must be at least 1")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "must be at least 1")
        require(self.lr > 0, "lr", self.lr, "must be positive")
        require(0 <= self.lr_decay < 1, "lr_decay", self.lr_decay, "must be in [0, 1)")
        require(self.lr_min >= 0, "lr_min", self.lr_min, "must not be negative")
        require(self.grad_clip >= 0, "grad_clip", self.grad_clip, "must not be negative (0 disables)")
        require(self.log_every >= 1, "log_every", self.log_every, "must be at least 1")
        require(self.eval_every >= 0, "eval_every", self.eval_every, "must not be negative (0 disables)")
        require(self.eval_batches >= 1, "eval_batches", self.eval_batches, "must be at least 1")
        require(self.checkpoint_every >= 1, "checkpoint_every", self.checkpoint_every, "must be at least 1")
        require(self.keep_checkpoints >= 1, "keep_checkpoints", self.keep_checkpoints, "must be at least 1")
        resolve_device(self.device)


class Trainer:
    def __init__(
        self,
        model: torch.nn.Module,
        train_data: BatchSource,
        config: TrainerConfig,
        run_dir: Path,
        model_config: dict[str, Any],
        eval_data: BatchSource | None = None,
    ):
        if len(train_data) == 0:
            raise ValueError("no training examples")
        self.config = config
        self.run_dir = Path(run_dir)
        self.device = resolve_device(config.device)
        self.place = ensure_process_group(self.device.type)
        if self.place.world > 1 and self.device.type == "cuda":
            self.device = torch.device("cuda", self.place.local_rank)
        if config.precision == "fp16" and self.device.type != "cuda":
            raise ConfigError("--precision fp16 needs a CUDA GPU; use bf16 or fp32 on the CPU")
        if config.precision == "bf16" and self.device.type == "cpu" and not cpu_has_bf16():
            raise ConfigError("--precision bf16: this CPU has no bfloat16 kernels (oneDNN needs AVX-512 BF16 or AMX); "
                              "use fp32")
        if config.batch_size % self.place.world:
            raise ConfigError(f"--batch-size {config.batch_size}: must be a multiple of the {self.place.world} "
                              f"processes (each takes an equal slice of the global batch)")
        self.model = model.to(self.device)  # the plain module: what is evaluated and saved
        self.trained = self.model  # what the training step calls: DDP's wrapper under torchrun
        if self.place.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.trained = DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.train_data = train_data
        self.eval_data = eval_data
        self.model_config = model_config
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.scaler = torch.amp.GradScaler("cuda", enabled=config.precision == "fp16")
        self.step = 0
        self._interrupted = False

    # --- data order: a pure function of (seed, step), so resuming needs no data state ---
    def _batch_indices(self, step: int) -> torch.Tensor:
        """The global batch of `step`, whatever the number of processes."""
        n = len(self.train_data)
        size = min(self.config.batch_size, n)
        per_epoch = n // size
        epoch, position = divmod(step, per_epoch)
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch)
        order = torch.randperm(n, generator=generator)
        return order[position * size : (position + 1) * size]

    def _local_indices(self, step: int) -> torch.Tensor:
        """This process's contiguous slice of the global batch."""
        indices = self._batch_indices(step)
        share = len(indices) // self.place.world
        return indices[self.place.rank * share : (self.place.rank + 1) * share]

    def _autocast(self):
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.config.precision)
        return torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None)

    def learning_rate(self, step: int) -> float:
        c = self.config
        if c.lr_decay <= 0:
            return c.lr
        return exponential_lr(step, c.lr, c.lr_decay, c.lr_min)

    def _log(self, record: dict[str, Any]) -> None:
        if not self.place.main:
            return
        with open(self.run_dir / METRICS_FILE, "a") as f:
            f.write(json.dumps(record) + "\n")

    def _truncate_log(self, step: int) -> None:
        """Drop metrics written after `step`, which a resumed run is about to redo, and any line a kill
        cut short."""
        path = self.run_dir / METRICS_FILE
        if not self.place.main or not path.exists():
            return
        kept = "".join(json.dumps(record) + "\n" for record in read_jsonl(path) if record.get("step", 0) <= step)
        if kept != path.read_text(errors="replace"):  # atomically: a kill mid-write must not empty the log
            atomic_write_text(path, kept)

    @torch.no_grad()
    def evaluate(self, data: BatchSource | None = None, max_batches: int | None = None) -> dict[str, float]:
        """Mean loss breakdown over a fixed random subset of `data` (max_batches batches), with fixed noise."""
        data = self.eval_data if data is None else data
        if data is None or len(data) == 0:
            return {}
        max_batches = self.config.eval_batches if max_batches is None else max_batches
        was_training = self.model.training
        self.model.eval()
        totals: dict[str, float] = {}
        count = 0
        with seeded(self.config.seed + 12345, self.device):
            # a fixed random subset: the first examples of a split are often not typical of it
            count_wanted = min(len(data), max_batches * self.config.batch_size)
            subset = torch.randperm(len(data), generator=torch.Generator().manual_seed(self.config.seed))[:count_wanted]
            for start in range(0, count_wanted, self.config.batch_size):
                indices = subset[start : start + self.config.batch_size]
                out = self.model(to_device(data[indices], self.device), step=self.step)
                for key, value in out.items():
                    totals[key] = totals.get(key, 0.0) + float(value) * len(indices)
                count += len(indices)
        self.model.train(was_training)
        return {k: v / count for k, v in totals.items()}

    def save(self) -> Path:
        # Ctrl-C or SIGTERM while the checkpoint is written must not abort the write: block them here.
        blockable = hasattr(signal, "pthread_sigmask")
        if blockable:
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            return self._write_checkpoint()
        finally:
            if blockable:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _write_checkpoint(self) -> Path | None:
        if not self.place.main:  # one writer; the others hold the same weights
            return None
        state = {"trainer": asdict(self.config)}
        if self.scaler.is_enabled():
            state["grad_scaler"] = self.scaler.state_dict()
        return save_training_checkpoint(self.run_dir, self.step, self.model, self.optimizer, self.model_config, state,
                                        keep=self.config.keep_checkpoints)

    def resume(self, checkpoint: Path | None = None) -> bool:
        """Continue from `checkpoint` (default: the run's newest intact one)."""
        checkpoint = checkpoint or latest_checkpoint(self.run_dir)
        if checkpoint is None:
            return False
        load_weights(checkpoint, self.model)
        meta = load_training_state(checkpoint, self.optimizer)
        if self.scaler.is_enabled() and "grad_scaler" in meta:
            self.scaler.load_state_dict(meta["grad_scaler"])
        self.step = int(meta["step"])
        self._truncate_log(self.step)
        return True

    def _on_signal(self, signum, frame) -> None:
        """SIGINT or SIGTERM: finish the step, save a checkpoint, stop. A second one while no checkpoint
        is being written means "now" (the last checkpoint stays as it was)."""
        if self._interrupted and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self._interrupted = True

    def release_wrapper(self) -> None:
        """Drop DDP's wrapper (and its reducer) while the process group still exists: a reducer destroyed after
        the group can abort the process at exit ("terminate called without an active exception")."""
        if self.trained is not self.model:
            import gc

            self.trained = self.model
            gc.collect()

    def fit(self, resume: bool | Path = False) -> dict[str, Any]:
        """Train to config.steps; `resume` is True (the newest intact checkpoint) or a checkpoint path.

        Returns a summary with the final metrics.
        """
        with seeded(self.config.seed, self.device):
            return self._fit(resume)

    def _fit(self, resume: bool | Path) -> dict[str, Any]:
        c = self.config
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if resume:
            self.resume(None if resume is True else Path(resume))
        elif self.place.main:
            (self.run_dir / METRICS_FILE).unlink(missing_ok=True)
        previous_handlers = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                previous_handlers[signum] = signal.signal(signum, self._on_signal)
            except ValueError:  # not the main thread: no signal handling
                break
        self.model.train()
        start_time, start_step = time.time(), self.step
        last_train: dict[str, float] = {}
        last_eval: dict[str, float] = {}
        bar = tqdm(total=c.steps, initial=self.step, disable=not (c.progress and self.place.main), desc="train",
                   dynamic_ncols=True)
        try:
            while self.step < c.steps:
                if any_process(self._interrupted, self.device):  # a signal to any process stops them all here
                    self._interrupted = True
                    break
                lr = self.learning_rate(self.step)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                batch = to_device(self.train_data[self._local_indices(self.step)], self.device)
                with batch_shard(self.place.rank, self.place.world), self._autocast():
                    out = self.trained(batch, step=self.step)
                loss = out["loss"]
                if any_process(not bool(torch.isfinite(loss)), self.device):
                    raise TrainingDiverged(
                        f"training diverged: the loss is {float(loss.detach())} at step {self.step} (try a lower --lr); "
                        f"the last checkpoint is kept"
                    )
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                self.scaler.unscale_(self.optimizer)
                grad_norm = (
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), c.grad_clip)
                    if c.grad_clip > 0
                    else torch.tensor(math.nan)
                )
                # under fp16 the scaler skips a step with inf gradients and lowers its scale: not a divergence
                if not torch.isfinite(grad_norm) and c.grad_clip > 0 and not self.scaler.is_enabled():
                    raise TrainingDiverged(
                        f"training diverged: the gradient norm is {float(grad_norm)} at step {self.step} (try a lower "
                        f"--lr); the last checkpoint is kept"
                    )
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.step += 1
                bar.update(1)
                if self.step % c.log_every == 0 or self.step == c.steps:
                    last_train = mean_over_processes({k: float(v.detach()) for k, v in out.items()}, self.device)
                    self._log({"step": self.step, "split": "train", "lr": lr, "grad_norm": float(grad_norm), **last_train})
                    bar.set_postfix(loss=f"{last_train['loss']:.3f}")
                if (c.eval_every and (self.step % c.eval_every == 0 or self.step == c.steps) and self.eval_data is not None
                        and self.place.main):
                    last_eval = self.evaluate()
                    self._log({"step": self.step, "split": "valid", **last_eval})
                if self.step % c.checkpoint_every == 0 or self.step == c.steps:
                    self.save()
            if self._interrupted:
                self.save()
        finally:
            bar.close()
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
        elapsed = time.time() - start_time
        return {
            "step": self.step,
            "interrupted": self._interrupted,
            "seconds": round(elapsed, 2),
            "examples_per_second": round((self.step - start_step) * c.batch_size / max(elapsed, 1e-9), 1),
            "train": last_train,
            "valid": last_eval,
            "checkpoint": str(latest_checkpoint(self.run_dir)),
        }


def read_jsonl(path: Path) -> list[dict]:
    """The records of a JSON-lines file; a line cut short by a kill, or otherwise unreadable, is dropped
    with a warning naming the file."""
    records, dropped = [], 0
    for line in Path(path).read_text(errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            dropped += 1
            continue
        if isinstance(record, dict):
            records.append(record)
    if dropped:
        print(f"warning: {path}: dropped {dropped} unreadable line(s) (a run killed mid-write)", file=sys.stderr)
    return records
