"""The data contract every kind of music signs: an encoding declares its streams and converts both ways.

    score segments --extract--> Rows (named arrays, one row per window) --model--> Rows --to_notes--> Notes -> MIDI

An encoding (magenta's data converters are the idea; this is our own contract) says:
- its `streams`: for each, a name, categorical classes or continuous values, a width (values per step), and
  a role: `output` (the encoder reads it, the decoder writes it), `control` (both read it at every step, nobody
  predicts it: chords) or `input` (the encoder alone reads it: GrooVAE's quantized pattern);
- its length: a fixed window of `bars` bars, or at most that many steps ending in an end token (`end_token`;
  rows then carry their lengths and the model masks the rest);
- `extract`: segments -> an `Extraction` (rows, where each came from, or the reason there are none);
- `to_notes`: one row -> `Note`s carrying their part (name, program, is_drum), velocity and timing;
- `augment`: training-time changes of a batch (transposition), keeping controls consistent.

A new kind of music is one module with a `SequenceEncoding` subclass, registered by name in
`musicae.music.encodings`; configs and checkpoints store that name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from musicae.autoencoding.config import CheckedConfig, Registry, require

MAX_STEPS = 2**20
"""Longest piece windowed: 65,536 bars of 4/4 (over 36 hours at 120 qpm). Work and memory grow with
a piece's length in steps, so a file claiming more (one note lasting 2**24 ticks, say) is refused
as `too_long` rather than expanded."""


@dataclass(frozen=True)
class Stream:
    """One named stream of an encoding: (N, T) values per step, or (N, T, width) with `width`."""

    name: str
    kind: Literal["categorical", "bernoulli", "continuous"] = "categorical"
    classes: int = 0
    """Categorical streams: the number of classes."""
    width: int = 0
    """Values per step: 0 for one (arrays (N, T)), W for W of them (arrays (N, T, W))."""
    role: Literal["output", "control", "input"] = "output"
    low: float = 0.0
    high: float = 1.0
    """Continuous streams: the range of their values."""
    mask: str | None = None
    """Continuous outputs: their loss counts only where this Bernoulli stream is 1 (GrooVAE's velocities)."""
    onset_from: int = 0
    """Categorical streams: classes from this one on start an event (a note); the others hold or rest."""

    @property
    def categorical(self) -> bool:
        return self.kind == "categorical"

    @property
    def dtype(self) -> np.dtype:
        """Storage: the smallest unsigned integer that holds the classes, 0/1 bytes, float16 in [-1, 1]."""
        if self.kind == "categorical":
            return np.dtype(np.uint8 if self.classes <= 256 else np.uint16 if self.classes <= 65536 else np.int32)
        if self.kind == "bernoulli":
            return np.dtype(np.uint8)
        return np.dtype(np.float16 if max(abs(self.low), abs(self.high)) <= 1 else np.float32)

    def shape(self, steps: int) -> tuple[int, ...]:
        """The shape of one row."""
        return (steps, self.width) if self.width else (steps,)

    def check(self, values: np.ndarray, where: str = "") -> np.ndarray:
        """`values` stored in this stream's dtype; a value out of range raises ValueError (never wraps)."""
        values = np.asarray(values)
        prefix = f"{where}: " if where else ""
        if values.size:
            if self.kind == "continuous":
                bad = ~np.isfinite(values) | (values < self.low) | (values > self.high)
                allowed = f"finite values in [{self.low}, {self.high}]"
            else:
                top = self.classes - 1 if self.categorical else 1
                bad = (values < 0) | (values > top) | (values != np.floor(values))
                allowed = f"whole numbers in 0..{top}"
            if bad.any():
                raise ValueError(f"{prefix}stream {self.name!r} holds {values[bad].flat[0].item()!r}; it takes {allowed}")
        return values.astype(self.dtype)

    def describe(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "role": self.role, "dtype": self.dtype.name}
        if self.categorical:
            out["classes"] = self.classes
        if self.width:
            out["width"] = self.width
        return out


class Rows(dict):
    """Named arrays sharing their first dimension (one row per window): `rows["notes"]` is (N, T)."""

    def __len__(self) -> int:  # the number of rows, not of streams
        return len(next(iter(self.values()))) if dict.__len__(self) else 0

    def __bool__(self) -> bool:  # whether there are streams, even with no rows
        return dict.__len__(self) > 0

    @property
    def names(self) -> list[str]:
        return list(self.keys())

    def take(self, index) -> Rows:
        """Rows selected by a slice, an index array, or one int (kept as one row)."""
        index = slice(index, index + 1) if isinstance(index, (int, np.integer)) else index
        return Rows({name: values[index] for name, values in self.items()})

    def row(self, i: int) -> dict[str, np.ndarray]:
        """One row, each stream (T,) or (T, W)."""
        return {name: values[i] for name, values in self.items()}

    def only(self, names: Iterable[str]) -> Rows:
        return Rows({name: self[name] for name in names if name in self})

    def joined(self) -> Rows:
        """All rows played one after another, as one row: (N, T, ...) -> (1, N*T, ...)."""
        return Rows({name: values.reshape(1, -1, *values.shape[2:]) for name, values in self.items()})

    def stitched(self, starts) -> Rows:
        """The rows played at the steps where they start (N starts), as one row: where a row starts before the
        previous one ends (windows of a 6/8 tune slide by its 12-step bar), the previous one is cut there, so
        nothing plays twice; rows further apart follow each other as in `joined`."""
        starts = np.asarray(starts)
        steps = len(next(iter(self.values()))[0]) if len(self) else 0
        keep = [min(steps, int(b - a)) if b > a else steps for a, b in zip(starts[:-1], starts[1:])] + [steps]
        return Rows({name: np.concatenate([values[i, :k] for i, k in enumerate(keep)])[None]
                     for name, values in self.items()})

    def tiled(self, times: int) -> Rows:
        """The rows repeated `times` times, in order: N rows -> times * N."""
        return Rows({name: np.concatenate([values] * times) for name, values in self.items()})

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        names = parts[0].names
        return Rows({name: np.concatenate([p[name] for p in parts]) for name in names})

    def merged(self, other: Mapping | None) -> Rows:
        return Rows({**self, **(other or {})})


@dataclass
class Note:
    """A note of the output, in steps (fractions allowed: GrooVAE's timing) with its part."""

    pitch: int
    start: float
    end: float
    velocity: int = 80
    part: str = "melody"
    program: int = 0
    is_drum: bool = False


@dataclass
class ExtractOptions(CheckedConfig):
    bars: int = 2
    """Window length in bars."""
    gap_bars: int = 1
    """A silence of this many bars ends a melody."""
    max_windows_per_file: int = 0
    """Keep at most this many windows per input, sampled at random (MusicVAE: 5); 0 keeps all, deterministically."""
    any_meter: bool = False
    """Opt-in: also window pieces whose bars are not 16 steps (3/4, 6/8...), sliding by their own bar."""
    seed: int = 0
    """Seed for the per-file window sampling."""
    hop_bars: int = 1
    """Bars between window starts (MusicVAE: 1)."""
    deduplicate: bool = True
    """Drop repeated windows within a file (MusicVAE does); off keeps windows in order for playback."""
    any_notes: bool = False
    """Encodings that read a rhythm (groove_tap, for drumify): a piece with no drums gives its taps from the
    onsets of all its notes (a melody's rhythm)."""

    def check(self) -> None:
        require(self.bars >= 1, "bars", self.bars, "must be at least 1")
        require(self.gap_bars >= 1, "gap_bars", self.gap_bars, "must be at least 1")
        require(self.max_windows_per_file >= 0, "max_windows_per_file", self.max_windows_per_file,
                "must not be negative (0 keeps all)")
        require(self.hop_bars >= 1, "hop_bars", self.hop_bars, "must be at least 1")


def capped_rows(count: int, options: ExtractOptions, source: str) -> np.ndarray:
    """The rows kept of `count` windows under --max-windows-per-file: all, or a sample drawn from the file's
    name and --seed (the same whichever worker or run draws it)."""
    if not options.max_windows_per_file or count <= options.max_windows_per_file:
        return np.arange(count)
    digest = hashlib.sha256(f"{options.seed}:{source}".encode(errors="surrogateescape")).digest()  # any file name
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    return np.sort(rng.choice(count, options.max_windows_per_file, replace=False))


def deduplicated(rows: Rows) -> np.ndarray:
    """Indices of the first occurrence of each distinct row (all streams compared), in order."""
    if not len(rows):
        return np.arange(0)
    flat = np.concatenate([np.ascontiguousarray(v).reshape(len(v), -1).view(np.uint8).reshape(len(v), -1)
                           for v in rows.values()], axis=1)
    _, first = np.unique(flat, axis=0, return_index=True)
    return np.sort(first)


@dataclass
class Extraction:
    """Rows of one input, where each came from, and why there are none when there are none."""

    rows: Rows
    origins: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int64))
    """(N, 4): segment, track (index among the tracks that have notes), start step within the segment, start bar
    counted from the start of the file."""
    reason: str | None = None
    detail: str = ""
    counts: dict = field(default_factory=dict)
    lengths: np.ndarray | None = None
    """(N,) valid steps of each row, for variable-length encodings."""

    ORIGIN_FIELDS = ("segment", "track", "start_step", "start_bar")

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def windows(self) -> np.ndarray:
        """The first stream's rows: the windows of a one-stream encoding."""
        return next(iter(self.rows.values()))

    def origin(self, i: int) -> dict[str, int]:
        return dict(zip(self.ORIGIN_FIELDS, (int(v) for v in self.origins[i])))

    def take(self, index) -> Extraction:
        index = slice(index, index + 1) if isinstance(index, (int, np.integer)) else index
        return Extraction(self.rows.take(index), self.origins[index], self.reason, self.detail, self.counts,
                          None if self.lengths is None else self.lengths[index])


class SequenceEncoding:
    """One kind of music as named streams of steps. Subclasses set `name`, `streams`, `steps_per_bar` and
    implement `extract` and `to_notes` (and `augment` where training should vary the data)."""

    name: str = ""
    streams: tuple[Stream, ...] = ()
    steps_per_bar: int = 16
    end_token: int | None = None
    """Variable-length encodings: the class of the first output stream that ends a row (None: fixed windows)."""
    qpm: float = 120.0
    """Tempo of the notes written when the input's is not known."""
    default_bars: int = 2
    """The window `prepare` makes when --bars is not given."""
    instruments: bool = False
    """Whether its rows play several instruments of their own choosing (multitrack): pictures colour them."""
    reads_every_track: bool = False
    """Whether an annotated collection (POP909) gives this encoding all its tracks, not its melody alone."""
    lanes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    """Percussion encodings: the (name, pitches) of each instrument, drawn as a grid of lanes instead of a
    piano roll (empty: a piano roll)."""

    # -- the declared contract, read by prepare, the model, evaluation and the commands
    @property
    def outputs(self) -> list[Stream]:
        return [s for s in self.streams if s.role == "output"]

    @property
    def controls(self) -> list[Stream]:
        return [s for s in self.streams if s.role == "control"]

    @property
    def encoder_streams(self) -> list[Stream]:
        """What the encoder reads: its `input` streams when there are any (GrooVAE), else the outputs; then
        the controls."""
        inputs = [s for s in self.streams if s.role == "input"]
        return (inputs or self.outputs) + self.controls

    @property
    def fixed_length(self) -> bool:
        return self.end_token is None

    def stream(self, name: str) -> Stream:
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(f"encoding {self.name!r} has no stream {name!r} (it has {', '.join(self.stream_names)})")

    @property
    def stream_names(self) -> list[str]:
        return [s.name for s in self.streams]

    def window_steps(self, bars: int) -> int:
        return bars * self.steps_per_bar

    def describe(self) -> dict:
        """What a dataset's stats.json and a checkpoint's record say of the encoding."""
        return {"name": self.name, "steps_per_bar": self.steps_per_bar, "end_token": self.end_token,
                "streams": [s.describe() for s in self.streams]}

    def rows(self, windows, controls=None) -> Rows:
        """Rows as given (a mapping of streams), or a one-stream encoding's bare (N, T) windows with the classes
        of its one control shaped like them (`controls`, when it has one)."""
        if isinstance(windows, Mapping):
            return Rows(windows)
        first = self.outputs[0]
        rows = Rows({first.name: np.asarray(windows)})
        if controls is not None and self.controls:
            rows[self.controls[0].name] = np.asarray(controls).reshape(rows[first.name].shape[:2])
        return rows

    def control_rows(self, controls) -> Rows | None:
        """Rows of this encoding's one control alone (its (N, T) classes), or None."""
        if controls is None or not self.controls:
            return None
        return Rows({self.controls[0].name: np.asarray(controls)})

    @property
    def sixteenths_per_bar(self) -> int:
        """Sixteenth notes in a bar of the notes `to_notes` gives (Note times are in sixteenths)."""
        return self.steps_per_bar

    def row_sixteenths(self, row: Mapping[str, np.ndarray]) -> int:
        """How long one row plays, in sixteenths."""
        return len(next(iter(row.values())))

    def chords_for_bars(self, classes: np.ndarray) -> np.ndarray:
        """(W, bars) one chord class per bar -> this encoding's (W, T[, width]) chords control stream."""
        return np.repeat(np.asarray(classes), self.steps_per_bar, axis=1)

    def parts(self) -> list[tuple[str, int, bool]]:
        """(name, program, is_drum) of the instruments its notes play, in order, silent ones included."""
        return []

    def empty_rows(self, steps: int) -> Rows:
        return Rows({s.name: np.zeros((0, *s.shape(steps)), s.dtype) for s in self.streams})

    def empty(self, steps: int, reason: str, detail: str) -> Extraction:
        return Extraction(self.empty_rows(steps), reason=reason, detail=detail)

    def check_rows(self, rows: Mapping, where: str = "") -> Rows:
        """Rows in the encoding's streams and dtypes; a missing stream, a wrong shape or a value out of range
        raises ValueError naming it."""
        checked = Rows()
        for s in self.streams:
            if s.name not in rows:
                raise ValueError(f"{where + ': ' if where else ''}no stream {s.name!r} (encoding {self.name} has "
                                 f"{', '.join(self.stream_names)})")
            values = np.asarray(rows[s.name])
            if values.ndim != 2 + bool(s.width) or (s.width and values.shape[-1] != s.width):
                raise ValueError(f"{where + ': ' if where else ''}stream {s.name!r} has shape {values.shape}; "
                                 f"expected (N, T{', ' + str(s.width) if s.width else ''})")
            checked[s.name] = s.check(values, where)
        return checked

    # -- what each encoding implements
    def extract(self, segments, options: ExtractOptions, source: str = "") -> Extraction:
        """Score segments -> rows of `options.bars` bars."""
        raise NotImplementedError

    def to_notes(self, row: Mapping[str, np.ndarray]) -> list[Note]:
        """The notes of one row (each stream (T,) or (T, W)), with their parts."""
        raise NotImplementedError

    def augment(self, batch, amount: int, generator=None):
        """Training augmentation of a Batch; `amount` is the config's augmentation setting."""
        return batch

    def attributes(self) -> dict:
        """Name -> function of one row's notes, for attribute vectors (none by default)."""
        return {}


ENCODINGS = Registry("encoding")
DEFAULT_ENCODING = "melody"
"""The encoding of a config or dataset that names none (round 1 knew no other), and the CLI's default."""


def register_encoding(encoding: SequenceEncoding) -> SequenceEncoding:
    ENCODINGS.register(encoding.name, encoding)
    return encoding


def get_encoding(name: str) -> SequenceEncoding:
    return ENCODINGS[name]
