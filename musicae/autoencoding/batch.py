"""A batch of named tensors, from the data source to the model.

The trainer moves a `Batch` to its device and hands it to `model(batch, step)`; only the model reads the
names. `lengths` (B,) marks variable-length rows: steps at or past a row's length are padding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Batch:
    streams: dict[str, torch.Tensor]
    """Each stream (B, T) or (B, T, W), by name."""
    lengths: torch.Tensor | None = None
    """(B,) valid steps per row; None: every row is full length."""

    def __getitem__(self, name: str) -> torch.Tensor:
        return self.streams[name]

    def __contains__(self, name: str) -> bool:
        return name in self.streams

    def __len__(self) -> int:
        return len(next(iter(self.streams.values())))

    def to(self, device, non_blocking: bool = False) -> Batch:
        moved = {name: t.to(device, non_blocking=non_blocking) for name, t in self.streams.items()}
        lengths = None if self.lengths is None else self.lengths.to(device, non_blocking=non_blocking)
        return Batch(moved, lengths)

    def with_streams(self, **streams: torch.Tensor) -> Batch:
        """A copy with some streams replaced (augmentation): the others are shared, not copied."""
        return Batch({**self.streams, **streams}, self.lengths)

    def mask(self, steps: int) -> torch.Tensor | None:
        """(B, T) True on valid steps, or None when every row is full length."""
        if self.lengths is None:
            return None
        return torch.arange(steps, device=self.lengths.device)[None, :] < self.lengths[:, None]


@dataclass
class StreamData:
    """Named tensors sharing their first dimension (and optional lengths); indexing with a LongTensor of
    example indices gives a `Batch` (the trainer's `BatchSource`)."""

    streams: dict[str, torch.Tensor]
    lengths: torch.Tensor | None = field(default=None)

    def __post_init__(self):
        sizes = {len(t) for t in self.streams.values()} | ({len(self.lengths)} if self.lengths is not None else set())
        if not self.streams or len(sizes) != 1 or 0 in sizes:
            raise ValueError(f"StreamData needs streams of equal, non-zero first dimension (got {sorted(sizes)})")

    def __len__(self) -> int:
        return len(next(iter(self.streams.values())))

    def __getitem__(self, indices: torch.Tensor) -> Batch:
        lengths = None if self.lengths is None else self.lengths[indices]
        return Batch({name: t[indices] for name, t in self.streams.items()}, lengths)
