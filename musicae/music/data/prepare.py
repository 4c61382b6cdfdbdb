"""MIDI/ABC collections -> training windows, in parallel, cached, with every item accounted for.

Output directory (written atomically):
    train-S-00000.npy, valid-S-00000.npy   each stream S of the encoding, row for row (N, steps[, width])
    manifest.jsonl                     one line per item: source, status, reason, windows, split
    stats.json                         totals, counts per status and reason, options

What is never touched: an --out that holds an input, or files that prepare did not write, is refused;
a run that yields no window leaves a dataset already in --out as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from musicae.autoencoding.config import CheckedConfig, require
from musicae.music.data.annotated import BEATS, CHORDS
from musicae.music.data.executors import EXECUTORS, run_jobs
from musicae.music.data.inputs import (
    ABC_PARSERS,
    DEFAULT_MAX_FILE_MB,
    BadInput,
    InputFile,
    corpus_files,
    discover,
    load_midi_segments,
    load_music21_segments,
    read_abc,
    split_abc_tunes,
    tune_label,
)
from musicae.music.data.writer import DATASET_FORMAT, SHARD_SIZE, DatasetWriter, is_validation, write_dataset  # noqa: F401 (re-exported)
from musicae.music.encodings import ENCODINGS, get_encoding
from musicae.music.encodings.base import DEFAULT_ENCODING, ExtractOptions, Rows

CACHE_VERSION = 5
TUNES_PER_UNIT = 200
DATASET_FILE = re.compile(r"^((train|valid)(-[a-z][a-z0-9_]*)?-\d{5}\.npy|manifest\.jsonl|stats\.json)$")


class UnsafeOutput(ValueError):
    """An --out that prepare must not replace; the message says why."""


@dataclass
class PrepareOptions(CheckedConfig):
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    encoding: str = DEFAULT_ENCODING
    """Which encoding turns scores into windows (see encodings.py)."""
    workers: int = 0
    """Parallel worker processes; 0 uses every core."""
    valid_fraction: float = 0.1
    """Share of sources (files or tunes) held out for validation."""
    split_file: Path | None = None
    """A CSV naming each file's split (train / validation / test), used instead of valid_fraction; test files
    and files it does not list are reported and left out."""
    abc_parser: str = "symusic"
    """symusic (abc2midi, fast) or music21."""
    max_file_mb: float = DEFAULT_MAX_FILE_MB
    """Larger MIDI files are reported as errors instead of parsed."""
    cache_dir: Path | None = None
    """Where per-file results are cached; default $MUSICAE_CACHE or ~/.cache/musicae/prepare."""
    use_cache: bool = True
    progress: bool = True
    executor: str = "local"
    """local (a process pool) or dask (a dask.distributed cluster)."""
    scheduler: str | None = None
    """Dask scheduler address (tcp://HOST:PORT); without it, a local cluster of `workers` processes."""

    def check(self) -> None:
        require(self.workers >= 0, "workers", self.workers, "must not be negative (0 uses every core)")
        require(0 <= self.valid_fraction < 1, "valid_fraction", self.valid_fraction, "must be in [0, 1)")
        require(self.abc_parser in ABC_PARSERS, "abc_parser", self.abc_parser, f"choose from {', '.join(ABC_PARSERS)}")
        require(self.max_file_mb > 0, "max_file_mb", self.max_file_mb, "must be positive")
        require(self.encoding in ENCODINGS, "encoding", self.encoding, f"choose from {', '.join(ENCODINGS.names())}")
        require(self.executor in EXECUTORS, "executor", self.executor, f"choose from {', '.join(EXECUTORS.names())}")


@dataclass(frozen=True)
class Unit:
    """A piece of work for one process: a MIDI file, or a run of tunes of an ABC file."""

    file: InputFile
    first_tune: int = 0
    last_tune: int = 0  # exclusive; unused for MIDI
    header: str = ""
    tunes: tuple[str, ...] = ()
    """An ABC unit's own tunes, split once when the work is planned: a unit never reads and splits its whole
    file again (which made a large file's cost grow with the square of its size)."""


def default_cache_dir() -> Path:
    return Path(os.environ.get("MUSICAE_CACHE", Path.home() / ".cache" / "musicae" / "prepare"))


def _record(source: str, status: str, reason: str | None = None, detail: str = "", windows: int = 0) -> dict:
    return {"source": source, "status": status, "reason": reason, "detail": detail, "windows": windows}


def _empty(options: PrepareOptions) -> Rows:
    """No rows, in this encoding's streams."""
    encoding = get_encoding(options.encoding)
    return encoding.empty_rows(encoding.window_steps(options.extract.bars))


def _from_segments(source: str, segments, options: PrepareOptions) -> tuple[dict, Rows]:
    """(record, rows) of one item."""
    extraction = get_encoding(options.encoding).extract(segments, options.extract, source)
    if not len(extraction):
        return _record(source, "skipped", extraction.reason, extraction.detail), _empty(options)
    return _record(source, "ok", windows=len(extraction)), extraction.rows


def process_unit(unit: Unit, options: PrepareOptions) -> list[tuple[dict, np.ndarray]]:
    """Records and windows of every item in `unit`; never raises."""
    empty = _empty(options)
    label = unit.file.label
    if unit.file.kind in ("midi", "music21"):
        try:
            if unit.file.kind == "music21":
                segments = load_music21_segments(unit.file.path)
            else:
                every_track = get_encoding(options.encoding).reads_every_track
                segments = load_midi_segments(unit.file.path, options.max_file_mb, every_track)
            return [_from_segments(label, segments, options)]
        except BadInput as err:
            return [(_record(label, "error", err.reason_code, err.detail), empty)]
        except FileNotFoundError:  # removed between discovery and parsing
            return [(_record(label, "error", "missing", "no such file"), empty)]
        except Exception as err:  # a parser bug must not take the batch down
            return [(_record(label, "error", "internal", f"{type(err).__name__}: {err}"[:200]), empty)]
    results = []
    if unit.tunes:
        header, tunes = unit.header, dict(enumerate(unit.tunes, unit.first_tune))
    else:
        try:
            header, listed = split_abc_tunes(read_abc(unit.file.path, options.max_file_mb))
        except (BadInput, OSError) as err:
            return [(_record(label, "error", getattr(err, "reason_code", "unreadable"), str(err)), empty)]
        tunes = {i: tune for i, tune in enumerate(listed) if unit.first_tune <= i < unit.last_tune}
    parse = ABC_PARSERS[options.abc_parser]
    for index in sorted(tunes):
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
        "encoding": options.encoding,
        "abc_parser": options.abc_parser,
        "max_file_mb": options.max_file_mb,
        "annotations": [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in _annotation_files(unit.file.path)],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def _annotation_files(path: Path) -> list[Path]:
    return [p for p in (path.parent / BEATS, path.parent / CHORDS) if path.suffix.lower() in (".mid", ".midi")
            and p.is_file()]


def _cached_process(args: tuple[Unit, PrepareOptions]) -> list[tuple[dict, np.ndarray]]:
    """process_unit through the cache; each record also carries the `split_key` the writer hashes (added after
    the cache, which is keyed by the file and not by where its folder lies)."""
    unit, options = args
    results = _cached_results(unit, options)
    label, split_name = unit.file.label, unit.file.split_key
    for record, _ in results:
        record["split_key"] = split_name + record["source"][len(label):]  # an ABC tune keeps its "#tune" part
    return results


def _cached_results(unit: Unit, options: PrepareOptions) -> list[tuple[dict, np.ndarray]]:
    cache = Path(options.cache_dir) if options.cache_dir else default_cache_dir()
    path = None
    if options.use_cache:
        try:
            path = cache / f"{_cache_key(unit, options)}.npz"
        except OSError:
            path = None  # the input vanished: process_unit reports it
        cached = _read_cache_entry(path) if path is not None else None
        if cached is not None:
            return cached
    results = process_unit(unit, options)
    if path is not None:
        _write_cache_entry(path, results)
    return results


def _read_cache_entry(path: Path) -> list[tuple[dict, Rows]] | None:
    """A cached result, or None when there is none or it is damaged in any way (then it is recomputed)."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            records = json.loads(bytes(data["records"]).decode())
            streams = Rows({key[len("stream_"):]: data[key] for key in data.files if key.startswith("stream_")})
        counts = [r["windows"] for r in records]
        if not streams or any(sum(counts) != len(v) for v in streams.values()):
            return None
        offsets = np.cumsum([0, *counts])
        return [(r, streams.take(slice(offsets[i], offsets[i + 1]))) for i, r in enumerate(records)]
    except Exception:  # empty, truncated or foreign file: EOFError, BadZipFile, ValueError, KeyError...
        return None


def _write_cache_entry(path: Path, results) -> None:
    """Write-then-rename; a cache that cannot be written is skipped (the driver has warned once)."""
    records = [r for r, _ in results]
    if not results:
        return
    joined = Rows.concat([rows for _, rows in results])
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, records=np.frombuffer(json.dumps(records).encode(), np.uint8),
                     **{f"stream_{name}": values for name, values in joined.items()})
        os.replace(tmp, path)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def usable_cache(options: PrepareOptions) -> bool:
    """Whether the cache folder can be written; warns once (naming it) when it cannot."""
    if not options.use_cache:
        return False
    cache = Path(options.cache_dir) if options.cache_dir else default_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=cache, suffix=".probe")
        os.close(fd)
        os.unlink(probe)
        return True
    except OSError as err:
        print(f"warning: cache folder {cache} is not writable ({err.strerror or err}); going on without a cache "
              f"(set MUSICAE_CACHE to another folder, or pass --no-cache)", file=sys.stderr)
        return False


def plan_units(files: list[InputFile], max_file_mb: float = DEFAULT_MAX_FILE_MB
               ) -> tuple[list[Unit], list[tuple[dict, np.ndarray]]]:
    """Work units, and records for files that fail before any parsing (unreadable or oversized ABC)."""
    units, failed = [], []
    for f in files:
        if f.kind in ("midi", "music21"):
            units.append(Unit(f))
            continue
        try:
            header, tunes = split_abc_tunes(read_abc(f.path, max_file_mb))
        except (BadInput, OSError) as err:
            failed.append((_record(f.label, "error", getattr(err, "reason_code", "unreadable"), str(err)), None))
            continue
        if not tunes:
            failed.append((_record(f.label, "error", "abc_no_tunes", "no tune (no X: line) in ABC file"), None))
        for first in range(0, len(tunes), TUNES_PER_UNIT):
            units.append(Unit(f, first, first + TUNES_PER_UNIT, header, tuple(tunes[first : first + TUNES_PER_UNIT])))
    return units, failed


def prepare(
    inputs: list[str | Path],
    out_dir: Path,
    options: PrepareOptions | None = None,
    folk: bool = False,
    corpora: tuple[str, ...] = (),
) -> dict:
    """Run the whole pipeline; returns stats (also written to out_dir/stats.json). `corpora` adds music21's
    collections by name (folk, bach, quartets; `folk=True` is `corpora=("folk",)`)."""
    options = options or PrepareOptions()
    out_dir = check_output_dir(Path(out_dir), inputs)
    started = time.time()
    if not usable_cache(options):
        options = replace(options, use_cache=False)
    files, problems = discover(inputs)
    names = dict.fromkeys((("folk",) if folk else ()) + tuple(corpora))  # in order, each once
    files = [f for name in names for f in corpus_files(name)] + files
    units, failed = plan_units(files, options.max_file_mb)
    writer = DatasetWriter(out_dir, options, get_encoding(options.encoding), started)
    try:
        for path, reason, why in problems:
            writer.add(_record(path, "error", reason, why), None)
        for record, windows in failed:
            writer.add(record, windows)
        with tqdm(total=len(units), desc="prepare", unit="unit", disable=not options.progress,
                  dynamic_ncols=True) as bar:
            jobs = [(u, options) for u in units]
            for out in run_jobs(options.executor, _cached_process, jobs, options.workers, options.scheduler):
                for record, windows in out:
                    writer.add(record, windows)
                bar.update(1)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


def check_output_dir(out_dir: Path, inputs: list[str | Path] = ()) -> Path:
    """The resolved --out, or UnsafeOutput when replacing it could destroy what prepare did not write:
    an existing file, a folder holding an input, or a folder with files that are not a prepared dataset."""
    out_dir = Path(out_dir).resolve()
    for raw in inputs:
        source = Path(raw).resolve()
        if source == out_dir or out_dir in source.parents:
            raise UnsafeOutput(f"--out {out_dir}: holds the input {raw}; choose a folder outside your inputs")
    if out_dir.exists() and not out_dir.is_dir():
        raise UnsafeOutput(f"--out {out_dir}: is an existing file, not a folder")
    if out_dir.is_dir():
        entries = sorted(p.name for p in out_dir.iterdir())
        foreign = [name for name in entries if not DATASET_FILE.match(name)]
        if foreign or (entries and not {"manifest.jsonl", "stats.json"} <= set(entries)):
            shown = ", ".join((foreign or entries)[:3])
            raise UnsafeOutput(f"--out {out_dir}: holds files that prepare did not write ({shown}); choose a new or "
                               f"empty folder")
    return out_dir


def load_streams(data_dir: Path, split: str = "train", encoding=None) -> Rows:
    """Every stream of a prepared directory (split train, valid or all), checked against its encoding (the
    dataset's own, or `encoding` when given, which must match): shapes, dtypes and ranges. A bad shard or a
    dataset of another encoding is a ValueError naming the file and what is wrong."""
    data_dir = Path(data_dir)
    stats = _dataset_stats(data_dir)
    if stats.get("format", 1) < DATASET_FORMAT:
        raise ValueError(f"{data_dir}: prepared by an earlier musicae (one unnamed stream); run `musicae prepare` "
                         f"again")
    name = stats.get("encoding", DEFAULT_ENCODING)
    if encoding is not None and encoding.name != name:
        raise ValueError(f"{data_dir}: a {name!r} dataset, and the model reads {encoding.name!r}; prepare the data "
                         f"with --encoding {encoding.name}")
    encoding = encoding or get_encoding(name)
    steps = int(stats["steps"])
    splits = ("train", "valid") if split == "all" else (split,)
    if any(s not in ("train", "valid") for s in splits):
        raise ValueError(f"unknown split {split!r}: use train, valid or all")
    rows = Rows()
    for stream in encoding.streams:
        arrays = [check_shard(p, stream, steps) for s in splits
                  for p in sorted(data_dir.glob(f"{s}-{stream.name}-[0-9]*.npy"))]
        rows[stream.name] = np.concatenate(arrays) if arrays else np.zeros((0, *stream.shape(steps)), stream.dtype)
    if len({len(v) for v in rows.values()}) > 1:
        raise ValueError(f"{data_dir}: its streams have different numbers of rows; prepare the dataset again")
    return rows


def dataset_encoding(data_dir: Path):
    """The encoding a prepared directory was made with."""
    return get_encoding(_dataset_stats(Path(data_dir)).get("encoding", DEFAULT_ENCODING))


def load_windows(data_dir: Path, split: str = "train", encoding=None) -> np.ndarray:
    """The first output stream of a prepared directory (the windows of a one-stream encoding)."""
    rows = load_streams(data_dir, split, encoding)
    return rows[(encoding or dataset_encoding(data_dir)).outputs[0].name]


def load_conditions(data_dir: Path, split: str = "train", encoding=None) -> np.ndarray | None:
    """The first control stream of a prepared directory (the chords of a melody_chords dataset), or None."""
    encoding = encoding or dataset_encoding(data_dir)
    if not encoding.controls:
        return None
    return load_streams(data_dir, split, encoding)[encoding.controls[0].name]


def _dataset_stats(data_dir: Path) -> dict:
    """A prepared folder's stats.json, with its window length; FileNotFoundError/ValueError in one line."""
    if not data_dir.is_dir():
        raise FileNotFoundError(f"{data_dir}: no such dataset folder; run `musicae prepare` first")
    if not (data_dir / "stats.json").exists():
        raise FileNotFoundError(f"{data_dir}: not a prepared dataset (no stats.json); run `musicae prepare` first")
    try:
        stats = json.loads((data_dir / "stats.json").read_text())
        int(stats["steps"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{data_dir / 'stats.json'}: unreadable or without 'steps'; prepare the dataset again") from None
    return stats


def check_shard(path: Path, stream, steps: int) -> np.ndarray:
    """One shard of `stream`, in its dtype, or ValueError naming the file and the problem."""
    try:
        array = np.load(path, allow_pickle=False)
    except Exception as err:  # truncated, not .npy, pickled objects...
        raise ValueError(f"{path}: unreadable shard ({' '.join(str(err).split())[:120]})") from None
    expected = (steps, stream.width) if stream.width else (steps,)
    if array.ndim != 1 + len(expected):
        raise ValueError(f"{path}: a {array.ndim}-D array of shape {array.shape}; stream {stream.name!r} is "
                         f"(N, {', '.join(map(str, expected))})")
    if array.shape[1:] != expected:
        raise ValueError(f"{path}: rows of shape {array.shape[1:]}, but stats.json and the encoding say {expected}")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{path}: dtype {array.dtype}; stream {stream.name!r} is stored as {stream.dtype}")
    try:
        return stream.check(array)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
