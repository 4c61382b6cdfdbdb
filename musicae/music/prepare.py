"""MIDI/ABC collections -> training windows, in parallel, cached, with every item accounted for.

Output directory (written atomically):
    train-00000.npy, valid-00000.npy   uint8 class windows, shape (N, steps)
    manifest.jsonl                     one line per item: source, status, reason, windows, split
    stats.json                         totals, counts per status and reason, options
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from musicae.autoencoding.checkpoint import atomic_directory
from musicae.music.corpus import (
    ABC_PARSERS,
    DEFAULT_MAX_FILE_MB,
    BadInput,
    InputFile,
    discover,
    folk_corpus_files,
    load_midi_segments,
    read_abc,
    split_abc_tunes,
    tune_label,
)
from musicae.music.extract import ExtractOptions, windows_from_segments

CACHE_VERSION = 1
TUNES_PER_UNIT = 200
SHARD_SIZE = 1_000_000


@dataclass
class PrepareOptions:
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    workers: int = 0
    """Parallel worker processes; 0 uses every core."""
    valid_fraction: float = 0.1
    """Share of sources (files or tunes) held out for validation."""
    abc_parser: str = "symusic"
    """symusic (abc2midi, fast) or music21."""
    max_file_mb: float = DEFAULT_MAX_FILE_MB
    """Larger MIDI files are reported as errors instead of parsed."""
    cache_dir: Path | None = None
    """Where per-file results are cached; default $MUSICAE_CACHE or ~/.cache/musicae/prepare."""
    use_cache: bool = True
    progress: bool = True


@dataclass(frozen=True)
class Unit:
    """A piece of work for one process: a MIDI file, or a run of tunes of an ABC file."""

    file: InputFile
    first_tune: int = 0
    last_tune: int = 0  # exclusive; unused for MIDI


def default_cache_dir() -> Path:
    return Path(os.environ.get("MUSICAE_CACHE", Path.home() / ".cache" / "musicae" / "prepare"))


def _record(source: str, status: str, reason: str | None = None, detail: str = "", windows: int = 0) -> dict:
    return {"source": source, "status": status, "reason": reason, "detail": detail, "windows": windows}


def _from_segments(source: str, segments, options: PrepareOptions) -> tuple[dict, np.ndarray]:
    extraction = windows_from_segments(segments, options.extract, source)
    if len(extraction.windows):
        return _record(source, "ok", windows=len(extraction.windows)), extraction.windows
    return _record(source, "skipped", extraction.reason, extraction.detail), extraction.windows


def process_unit(unit: Unit, options: PrepareOptions) -> list[tuple[dict, np.ndarray]]:
    """Records and windows of every item in `unit`; never raises."""
    empty = np.zeros((0, options.extract.window_steps), np.uint8)
    label = unit.file.label
    if unit.file.kind == "midi":
        try:
            return [_from_segments(label, load_midi_segments(unit.file.path, options.max_file_mb), options)]
        except BadInput as err:
            return [(_record(label, "error", err.reason_code, err.detail), empty)]
        except Exception as err:  # a parser bug must not take the batch down
            return [(_record(label, "error", "internal", f"{type(err).__name__}: {err}"[:200]), empty)]
    results = []
    try:
        header, tunes = split_abc_tunes(read_abc(unit.file.path))
    except (BadInput, OSError) as err:
        return [(_record(label, "error", getattr(err, "reason_code", "unreadable"), str(err)), empty)]
    parse = ABC_PARSERS[options.abc_parser]
    for index in range(unit.first_tune, min(unit.last_tune, len(tunes))):
        source = f"{label}#{tune_label(tunes[index], index)}"
        try:
            results.append(_from_segments(source, parse(header + tunes[index]), options))
        except BadInput as err:
            results.append((_record(source, "error", err.reason_code, err.detail), empty))
        except Exception as err:
            results.append((_record(source, "error", "internal", f"{type(err).__name__}: {err}"[:200]), empty))
    return results


def _cache_key(unit: Unit, options: PrepareOptions) -> str:
    stat = unit.file.path.stat()
    payload = {
        "v": CACHE_VERSION,
        "path": str(unit.file.path.resolve()),
        "label": unit.file.label,
        "size": stat.st_size,
        "mtime": stat.st_mtime_ns,
        "tunes": [unit.first_tune, unit.last_tune],
        "extract": asdict(options.extract),
        "abc_parser": options.abc_parser,
        "max_file_mb": options.max_file_mb,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def _cached_process(args: tuple[Unit, PrepareOptions]) -> list[tuple[dict, np.ndarray]]:
    unit, options = args
    cache = Path(options.cache_dir) if options.cache_dir else default_cache_dir()
    path = None
    if options.use_cache:
        try:
            path = cache / f"{_cache_key(unit, options)}.npz"
            if path.exists():
                with np.load(path, allow_pickle=False) as data:
                    records = json.loads(bytes(data["records"]).decode())
                    windows = data["windows"]
                    counts = [r["windows"] for r in records]
                    offsets = np.cumsum([0, *counts])
                    return [(r, windows[offsets[i] : offsets[i + 1]]) for i, r in enumerate(records)]
        except (OSError, ValueError, KeyError):
            path = None  # unreadable cache entry: recompute
    results = process_unit(unit, options)
    if path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        records = [r for r, _ in results]
        windows = np.concatenate([w for _, w in results]) if results else np.zeros((0, options.extract.window_steps), np.uint8)
        fd, tmp = tempfile.mkstemp(dir=cache, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, records=np.frombuffer(json.dumps(records).encode(), np.uint8), windows=windows)
        os.replace(tmp, path)
    return results


def plan_units(files: list[InputFile]) -> tuple[list[Unit], list[tuple[dict, np.ndarray]]]:
    """Work units, and records for files that fail before any parsing (unreadable ABC)."""
    units, failed = [], []
    for f in files:
        if f.kind == "midi":
            units.append(Unit(f))
            continue
        try:
            _, tunes = split_abc_tunes(read_abc(f.path))
        except (BadInput, OSError) as err:
            failed.append((_record(f.label, "error", getattr(err, "reason_code", "unreadable"), str(err)), None))
            continue
        if not tunes:
            failed.append((_record(f.label, "error", "abc_no_tunes", "no tune (no X: line) in ABC file"), None))
        for first in range(0, len(tunes), TUNES_PER_UNIT):
            units.append(Unit(f, first, first + TUNES_PER_UNIT))
    return units, failed


def is_validation(source: str, fraction: float, seed: int) -> bool:
    """Split by source name, so that a source never has windows on both sides."""
    digest = hashlib.sha256(f"{seed}:{source}".encode()).digest()
    return int.from_bytes(digest[:8], "little") / 2**64 < fraction


def prepare(
    inputs: list[str | Path],
    out_dir: Path,
    options: PrepareOptions | None = None,
    folk: bool = False,
) -> dict:
    """Run the whole pipeline; returns stats (also written to out_dir/stats.json)."""
    options = options or PrepareOptions()
    if options.abc_parser not in ABC_PARSERS:
        raise ValueError(f"unknown ABC parser {options.abc_parser!r}; choose from {', '.join(ABC_PARSERS)}")
    started = time.time()
    files, problems = discover(inputs)
    if folk:
        files = folk_corpus_files() + files
    units, failed = plan_units(files)
    results: list[tuple[dict, np.ndarray | None]] = [(_record(p, "error", "missing", why), None) for p, why in problems]
    results += failed
    workers = options.workers or os.cpu_count() or 1
    bar = tqdm(total=len(units), desc="prepare", unit="unit", disable=not options.progress, dynamic_ncols=True)
    jobs = [(u, options) for u in units]
    if workers == 1 or len(units) <= 1:
        outputs = map(_cached_process, jobs)
        for out in outputs:
            results += out
            bar.update(1)
    else:
        # small chunks keep the load balanced; not too small, or the hand-off costs more than a MIDI parse
        chunksize = max(1, min(64, len(jobs) // (workers * 16)))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for out in pool.map(_cached_process, jobs, chunksize=chunksize):
                results += out
                bar.update(1)
    bar.close()
    stats = write_dataset(out_dir, results, options)
    stats["seconds"] = round(time.time() - started, 2)
    stats["items_per_second"] = round(stats["items"] / max(stats["seconds"], 1e-9), 1)
    (Path(out_dir) / "stats.json").write_text(json.dumps(stats, indent=2))
    return stats


def write_dataset(out_dir: Path, results: list[tuple[dict, np.ndarray | None]], options: PrepareOptions) -> dict:
    out_dir = Path(out_dir)
    steps = options.extract.window_steps
    train, valid = [], []
    for record, windows in results:
        if record["status"] == "ok":
            held_out = is_validation(record["source"], options.valid_fraction, options.extract.seed)
            record["split"] = "valid" if held_out else "train"
            (valid if held_out else train).append(windows)
    train_windows = np.concatenate(train) if train else np.zeros((0, steps), np.uint8)
    valid_windows = np.concatenate(valid) if valid else np.zeros((0, steps), np.uint8)
    # The same tune often sits in two collections: a held-out window the model trained on is not held out.
    seen = {w.tobytes() for w in train_windows}
    fresh = np.array([w.tobytes() not in seen for w in valid_windows], dtype=bool)
    removed = int((~fresh).sum())
    valid_windows = valid_windows[fresh] if len(valid_windows) else valid_windows

    by_status = {s: 0 for s in ("ok", "skipped", "error")}
    by_reason: dict[str, int] = {}
    for record, _ in results:
        by_status[record["status"]] += 1
        if record["reason"]:
            by_reason[record["reason"]] = by_reason.get(record["reason"], 0) + 1
    stats = {
        "items": len(results),
        **by_status,
        "windows": int(len(train_windows) + len(valid_windows)),
        "train_windows": int(len(train_windows)),
        "valid_windows": int(len(valid_windows)),
        "valid_windows_seen_in_train_removed": removed,
        "by_reason": dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
        "bars": options.extract.bars,
        "steps": steps,
        "options": {
            **asdict(options.extract),
            "valid_fraction": options.valid_fraction,
            "abc_parser": options.abc_parser,
        },
    }
    with atomic_directory(out_dir) as tmp:
        for split, windows in (("train", train_windows), ("valid", valid_windows)):
            for shard, start in enumerate(range(0, max(len(windows), 1), SHARD_SIZE)):
                np.save(tmp / f"{split}-{shard:05d}.npy", windows[start : start + SHARD_SIZE])
        with open(tmp / "manifest.jsonl", "w") as f:
            for record, _ in results:
                f.write(json.dumps(record) + "\n")
        (tmp / "stats.json").write_text(json.dumps(stats, indent=2))
    return stats


def load_windows(data_dir: Path, split: str = "train") -> np.ndarray:
    """Windows of a prepared directory: split is train, valid or all."""
    data_dir = Path(data_dir)
    if not (data_dir / "stats.json").exists():
        raise FileNotFoundError(f"{data_dir}: not a prepared dataset (no stats.json); run `musicae prepare` first")
    stats = json.loads((data_dir / "stats.json").read_text())
    splits = ("train", "valid") if split == "all" else (split,)
    if any(s not in ("train", "valid") for s in splits):
        raise ValueError(f"unknown split {split!r}: use train, valid or all")
    arrays = [np.load(p, allow_pickle=False) for s in splits for p in sorted(data_dir.glob(f"{s}-*.npy"))]
    if not arrays:
        return np.zeros((0, stats["steps"]), np.uint8)
    return np.concatenate(arrays)
