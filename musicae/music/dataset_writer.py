"""Writing a prepared dataset as results arrive: bounded memory whatever the collection's size.

Results carry (N, T) windows, or (N, 2, T) for encodings with per-step conditions (windows, then their
conditions, such as the chord of each step): those go to `SPLIT-NNNNN.npy` and `SPLIT-cond-NNNNN.npy`,
row for row.

Windows go into shards of SHARD_SIZE in a temporary sibling of the output folder and records into the
manifest, as they come; `finish` writes stats.json and renames the folder into place. The driver holds at
most one shard per split, plus a 16-byte digest per training window (for the cross-split rule: a held-out
window that also occurs in training is not held out).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from musicae.autoencoding.checkpoint import replace_dir, temp_sibling

SHARD_SIZE = 1_000_000
PENDING = "pending-valid"
CONDITIONS = "cond"


def _digest(window: np.ndarray) -> bytes:
    return hashlib.blake2b(window.tobytes(), digest_size=16).digest()


class _Shards:
    """Windows of one split, written in shards of `size` as they accumulate."""

    def __init__(self, folder: Path, prefix: str, steps: int, size: int):
        self.folder, self.prefix, self.steps, self.size = folder, prefix, steps, size
        self.buffer: list[np.ndarray] = []
        self.buffered = self.count = self.shards = 0

    def add(self, windows: np.ndarray) -> None:
        if len(windows):
            self.buffer.append(windows)
            self.buffered += len(windows)
            self.count += len(windows)
        while self.buffered >= self.size:
            self._write(self.size)

    def _write(self, n: int) -> None:
        joined = np.concatenate(self.buffer) if self.buffer else np.zeros((0, self.steps), np.uint8)
        np.save(self.folder / f"{self.prefix}-{self.shards:05d}.npy", joined[:n])
        self.shards += 1
        rest = joined[n:]
        self.buffer, self.buffered = ([rest] if len(rest) else []), len(rest)

    def close(self) -> list[Path]:
        if self.buffered or self.shards == 0:  # an empty split still gets its (empty) first shard
            self._write(self.buffered)
        return [self.folder / f"{self.prefix}-{i:05d}.npy" for i in range(self.shards)]


class DatasetWriter:
    """add(record, windows) for every item, in order; then finish() -> stats, or abort()."""

    def __init__(self, out_dir: Path, options, started: float | None = None, shard_size: int = SHARD_SIZE):
        self.target = Path(out_dir).resolve()
        self.options, self.started, self.shard_size = options, started, shard_size
        self.steps = options.extract.window_steps
        self.tmp = temp_sibling(self.target)
        self.manifest = open(self.tmp / "manifest.jsonl", "w")
        self.train = _Shards(self.tmp, "train", self.steps, shard_size)
        self.pending = _Shards(self.tmp, PENDING, self.steps, shard_size)
        self.train_cond = _Shards(self.tmp, f"train-{CONDITIONS}", self.steps, shard_size)
        self.pending_cond = _Shards(self.tmp, f"{PENDING}-{CONDITIONS}", self.steps, shard_size)
        self.conditioned: bool | None = None  # known from the first windows
        self.train_digests: set[bytes] = set()
        self.by_status = {s: 0 for s in ("ok", "skipped", "error")}
        self.by_reason: dict[str, int] = {}
        self.items = 0

    def add(self, record: dict, windows: np.ndarray | None) -> None:
        from musicae.music.prepare import is_validation

        if record["status"] == "ok":
            held_out = is_validation(record["source"], self.options.valid_fraction, self.options.extract.seed)
            record["split"] = "valid" if held_out else "train"
            conditioned = windows.ndim == 3
            if self.conditioned is not None and conditioned != self.conditioned:
                raise ValueError(f"{record['source']}: windows with and without conditions in one dataset")
            self.conditioned = conditioned
            tokens, conditions = (windows[:, 0], windows[:, 1]) if conditioned else (windows, None)
            if not held_out:
                self.train_digests.update(_digest(w) for w in windows)
            (self.pending if held_out else self.train).add(tokens)
            if conditioned:
                (self.pending_cond if held_out else self.train_cond).add(conditions)
        self.manifest.write(json.dumps(record) + "\n")
        self.items += 1
        self.by_status[record["status"]] += 1
        if record["reason"]:
            self.by_reason[record["reason"]] = self.by_reason.get(record["reason"], 0) + 1

    def finish(self) -> dict:
        """Write the held-out shards and stats.json, and move the dataset into place. With no window at
        all, a dataset already in the output folder that has windows is kept (`kept_previous`)."""
        self.manifest.close()
        self.train.close()
        valid = _Shards(self.tmp, "valid", self.steps, self.shard_size)
        valid_cond = _Shards(self.tmp, f"valid-{CONDITIONS}", self.steps, self.shard_size)
        removed = 0
        pending = self.pending.close()
        pending_cond = self.pending_cond.close() if self.conditioned else [None] * len(pending)
        for path, cond_path in zip(pending, pending_cond):
            windows = np.load(path)
            conditions = np.load(cond_path) if cond_path else None
            rows = windows if conditions is None else np.stack([windows, conditions], axis=1)
            fresh = np.array([_digest(w) not in self.train_digests for w in rows], dtype=bool)
            removed += int((~fresh).sum())
            valid.add(windows[fresh] if len(windows) else windows)
            if conditions is not None:
                valid_cond.add(conditions[fresh] if len(conditions) else conditions)
                cond_path.unlink()
            path.unlink()
        valid.close()
        if self.conditioned:
            self.train_cond.close()
            valid_cond.close()
        stats = self._stats(valid.count, removed)
        if stats["windows"] == 0 and _has_windows(self.target):
            stats["kept_previous"] = True
            self.abort()
            return stats
        (self.tmp / "stats.json").write_text(json.dumps(stats, indent=2))
        replace_dir(self.tmp, self.target)
        return stats

    def abort(self) -> None:
        self.manifest.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _stats(self, valid_windows: int, removed: int) -> dict:
        o = self.options
        stats = {
            "items": self.items,
            **self.by_status,
            "windows": int(self.train.count + valid_windows),
            "train_windows": int(self.train.count),
            "valid_windows": int(valid_windows),
            "valid_windows_seen_in_train_removed": removed,
            "by_reason": dict(sorted(self.by_reason.items(), key=lambda kv: -kv[1])),
            "bars": o.extract.bars,
            "steps": self.steps,
            "encoding": o.encoding,
            "conditions": bool(self.conditioned),
            "options": {**asdict(o.extract), "valid_fraction": o.valid_fraction, "abc_parser": o.abc_parser},
        }
        if self.started is not None:
            elapsed = time.time() - self.started
            stats["seconds"] = round(elapsed, 2)
            stats["items_per_second"] = round(stats["items"] / max(elapsed, 1e-3), 1)
        return stats


def _has_windows(out_dir: Path) -> bool:
    try:
        return json.loads((out_dir / "stats.json").read_text()).get("windows", 0) > 0
    except (OSError, ValueError, AttributeError):
        return False


def write_dataset(out_dir: Path, results, options, started: float | None = None) -> dict:
    """Write (record, windows) results as a dataset (atomically); returns its stats."""
    writer = DatasetWriter(out_dir, options, started)
    try:
        for record, windows in results:
            writer.add(record, windows)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise
