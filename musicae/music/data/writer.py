"""Writing a prepared dataset as results arrive: bounded memory whatever the collection's size.

Results carry `Rows`, one array per stream of the encoding: stream S goes to `SPLIT-S-NNNNN.npy`, row for row
across the streams, in the stream's own dtype (uint8 or uint16 classes, float16 values; `stats.json` says which).

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
from musicae.music.data.splits import NOT_LISTED, TEST_SPLIT, SplitTable
from musicae.music.encodings import get_encoding

SHARD_SIZE = 1_000_000
PENDING = "pending-valid"
DATASET_FORMAT = 2
"""2: one shard series per named stream (round 3); 1: `SPLIT-NNNNN.npy` windows and `SPLIT-cond-NNNNN.npy`."""


def _digest(row: list[np.ndarray]) -> bytes:
    return hashlib.blake2b(b"".join(np.ascontiguousarray(v).tobytes() for v in row), digest_size=16).digest()


def is_validation(source: str, fraction: float, seed: int) -> bool:
    """Split by source name, so that a source never has windows on both sides."""
    digest = hashlib.sha256(f"{seed}:{source}".encode(errors="surrogateescape")).digest()  # any file name
    return int.from_bytes(digest[:8], "little") / 2**64 < fraction


class _Shards:
    """Rows of one split and one stream, written in shards of `size` as they accumulate."""

    def __init__(self, folder: Path, prefix: str, empty: np.ndarray, size: int):
        self.folder, self.prefix, self.empty, self.size = folder, prefix, empty, size
        self.buffer: list[np.ndarray] = []
        self.buffered = self.count = self.shards = 0

    def add(self, rows: np.ndarray) -> None:
        if len(rows):
            self.buffer.append(rows)
            self.buffered += len(rows)
            self.count += len(rows)
        while self.buffered >= self.size:
            self._write(self.size)

    def _write(self, n: int) -> None:
        joined = np.concatenate(self.buffer) if self.buffer else self.empty
        np.save(self.folder / f"{self.prefix}-{self.shards:05d}.npy", joined[:n])
        self.shards += 1
        rest = joined[n:]
        self.buffer, self.buffered = ([rest] if len(rest) else []), len(rest)

    def close(self) -> list[Path]:
        if self.buffered or self.shards == 0:  # an empty split still gets its (empty) first shard
            self._write(self.buffered)
        return [self.folder / f"{self.prefix}-{i:05d}.npy" for i in range(self.shards)]


class DatasetWriter:
    """add(record, rows) for every item, in order; then finish() -> stats, or abort()."""

    def __init__(self, out_dir: Path, options, encoding=None, started: float | None = None,
                 shard_size: int = SHARD_SIZE):
        encoding = encoding or get_encoding(options.encoding)
        self.target = Path(out_dir).resolve()
        self.options, self.encoding, self.started, self.shard_size = options, encoding, started, shard_size
        self.steps = encoding.window_steps(options.extract.bars)
        self.tmp = temp_sibling(self.target)
        self.manifest = open(self.tmp / "manifest.jsonl", "w")
        self.empty = encoding.empty_rows(self.steps)
        self.split_table = SplitTable.read(options.split_file) if options.split_file else None
        self.train = self._shards("train")
        self.pending = self._shards(PENDING)
        self.train_digests: set[bytes] = set()
        self.by_status = {s: 0 for s in ("ok", "skipped", "error")}
        self.by_reason: dict[str, int] = {}
        self.items = 0

    def _shards(self, split: str) -> dict[str, _Shards]:
        return {name: _Shards(self.tmp, f"{split}-{name}", empty, self.shard_size) for name, empty in self.empty.items()}

    def _held_out(self, record: dict) -> bool | None:
        """Whether an item goes to validation; None (and the record says why) when it is left out."""
        if self.split_table is None:
            key = record.get("split_key", record["source"])
            return is_validation(key, self.options.valid_fraction, self.options.extract.seed)
        split = self.split_table.split_of(record["source"])
        if split in ("train", "valid"):
            return split == "valid"
        record.update(status="skipped", reason=TEST_SPLIT if split == "test" else NOT_LISTED, windows=0,
                      detail=f"{self.split_table.origin} " + ("puts it in the test split" if split else "does not list it"))
        return None

    def add(self, record: dict, rows) -> None:
        record = dict(record)
        held_out = self._held_out(record) if record["status"] == "ok" else None
        if record["status"] == "ok":
            if isinstance(rows, np.ndarray) and len(self.encoding.streams) == 1:  # one stream, given bare
                rows = {self.encoding.streams[0].name: rows}
            rows = self.encoding.check_rows(rows, record["source"])
            record["split"] = "valid" if held_out else "train"
            if not held_out:
                arrays = list(rows.values())
                self.train_digests.update(_digest([a[i] for a in arrays]) for i in range(len(rows)))
            for name, shards in (self.pending if held_out else self.train).items():
                shards.add(rows[name])
        record.pop("split_key", None)  # the manifest names the source; its split says where it went
        self.manifest.write(json.dumps(record) + "\n")
        self.items += 1
        self.by_status[record["status"]] += 1
        if record["reason"]:
            self.by_reason[record["reason"]] = self.by_reason.get(record["reason"], 0) + 1

    def finish(self) -> dict:
        """Write the held-out shards and stats.json, and move the dataset into place. With no window at
        all, a dataset already in the output folder that has windows is kept (`kept_previous`)."""
        self.manifest.close()
        for shards in self.train.values():
            shards.close()
        valid = self._shards("valid")
        removed = 0
        pending = {name: shards.close() for name, shards in self.pending.items()}
        names = list(pending)
        for paths in zip(*(pending[n] for n in names)):
            arrays = [np.load(p) for p in paths]
            fresh = np.array([_digest([a[i] for a in arrays]) not in self.train_digests for i in range(len(arrays[0]))],
                             dtype=bool)
            removed += int((~fresh).sum())
            for name, array, path in zip(names, arrays, paths):
                valid[name].add(array[fresh] if len(array) else array)
                path.unlink()
        for shards in valid.values():
            shards.close()
        stats = self._stats(valid[names[0]].count, removed)
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
        train = next(iter(self.train.values())).count
        stats = {
            "items": self.items,
            **self.by_status,
            "windows": int(train + valid_windows),
            "train_windows": int(train),
            "valid_windows": int(valid_windows),
            "valid_windows_seen_in_train_removed": removed,
            "by_reason": dict(sorted(self.by_reason.items(), key=lambda kv: -kv[1])),
            "bars": o.extract.bars,
            "steps": self.steps,
            "encoding": o.encoding,
            "streams": [s.describe() for s in self.encoding.streams],
            "format": DATASET_FORMAT,
            "options": {**asdict(o.extract), "valid_fraction": o.valid_fraction, "abc_parser": o.abc_parser,
                        "split_file": str(o.split_file) if o.split_file else None},
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


def write_dataset(out_dir: Path, results, options, encoding=None, started: float | None = None) -> dict:
    """Write (record, rows) results as a dataset (atomically); returns its stats."""
    writer = DatasetWriter(out_dir, options, encoding, started)
    try:
        for record, rows in results:
            writer.add(record, rows)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise
