"""Training on several processes (`torchrun`): who am I, the process group, and noise that does not depend
on how many processes share a batch.

The rules that make N processes train like one:
- every process builds the same global batch from (seed, step) and keeps its contiguous slice of it;
- every process starts from the same seed, so their global torch RNGs stay identical, and `batch_noise`
  draws random numbers for the whole global batch and keeps the slice, as one process would draw them;
- DDP averages the gradients, which then equal the gradient of the global batch's mean loss;
- rank 0 alone logs (metrics averaged over the processes), evaluates and writes checkpoints, with the
  unwrapped model's weights, so a checkpoint loads anywhere and resumes under any number of processes.
Two-pass scheduled sampling draws its samples with torch.multinomial per process: equal in distribution
to one process, not bit for bit.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Place:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def place() -> Place:
    """This process's place: from torchrun's environment, else a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Place()
    return Place(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))


def is_main() -> bool:
    return place().main


def ensure_process_group(device_type: str | None = None) -> Place:
    """Join the process group torchrun set up (NCCL on CUDA, gloo on the CPU); a no-op for one process."""
    here = place()
    if here.world > 1 and not dist.is_initialized():
        cuda = torch.cuda.is_available() if device_type is None else device_type == "cuda"
        if cuda:
            torch.cuda.set_device(here.local_rank)
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return here


def finish_process_group() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def any_process(flag: bool, device: torch.device) -> bool:
    """True on every process when `flag` is true on any (a collective: all processes must call it)."""
    if not (dist.is_available() and dist.is_initialized()):
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def mean_over_processes(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """The average of each value over the processes (a collective; same keys on every process)."""
    if not (dist.is_available() and dist.is_initialized()) or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    tensor /= dist.get_world_size()
    return dict(zip(keys, tensor.tolist()))


# ----------------------------------------------------------------------------- batch noise
@dataclass(frozen=True)
class Shard:
    rank: int
    world: int


_shard: contextvars.ContextVar[Shard | None] = contextvars.ContextVar("batch_shard", default=None)


@contextmanager
def batch_shard(rank: int, world: int) -> Iterator[None]:
    """Within this block, the batches a model sees are slice `rank` of `world` of a global batch."""
    token = _shard.set(Shard(rank, world) if world > 1 else None)
    try:
        yield
    finally:
        _shard.reset(token)


def batch_noise(draw: Callable[..., torch.Tensor], shape, **kwargs) -> torch.Tensor:
    """`draw(shape, **kwargs)` for noise whose first dimension runs over the batch. Inside `batch_shard`, the
    noise of the whole global batch is drawn and this process's slice kept, so it does not depend on the
    number of processes."""
    shard = _shard.get()
    shape = tuple(shape)
    if shard is None:
        return draw(shape, **kwargs)
    full = draw((shape[0] * shard.world, *shape[1:]), **kwargs)
    return full[shard.rank * shape[0] : (shard.rank + 1) * shape[0]]
