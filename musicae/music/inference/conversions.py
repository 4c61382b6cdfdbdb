"""In-memory conversions: MIDI bytes -> windows, and windows -> MIDI, WAV and PNG bytes.

The file-writing commands are thin wrappers over these, and a server needs no temporary files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from musicae.music.data.inputs import (
    DEFAULT_MAX_FILE_MB,
    BadInput,
    midi_segments_from_bytes,
    read_input_bytes,
)
from musicae.music.encodings import get_encoding
from musicae.music.encodings.base import Extraction, ExtractOptions, Rows, SequenceEncoding
from musicae.music.encodings.notes import rows_to_midi_bytes, rows_to_pretty_midi
from musicae.music.inference.render import drum_grid_png, piano_roll_png, wav_bytes


class NoWindows(ValueError):
    """An input gave no usable window; the message says why and what to try."""


@dataclass(frozen=True)
class MidiFacts:
    """What the commands keep of an input beside its windows, read in one parse of the file."""

    qpm: float | None = None
    """The tempo it starts at (quarter notes a minute), None when it names none: outputs line up with it."""
    meter: tuple[int, int] = (4, 4)
    """The time signature it starts in (4/4 when it names none)."""
    track_names: tuple[str, ...] = ()
    """Its tracks' names, by the index the windows' origins give."""


def midi_facts(data: bytes) -> MidiFacts:
    """The tempo, meter and track names of MIDI bytes (the defaults when they are unreadable)."""
    import symusic

    try:
        score = symusic.Score.from_midi(data)
    except Exception:
        return MidiFacts()
    tempo = min(score.tempos, key=lambda t: t.time, default=None)
    # MIDI stores whole microseconds per quarter: 90 qpm reads back as 90.00009
    qpm = round(float(tempo.qpm), 3) if tempo is not None and 1 <= tempo.qpm <= 1000 else None
    signature = min(score.time_signatures, key=lambda t: t.time, default=None)
    meter = (4, 4)
    if signature is not None and 1 <= signature.numerator <= 32 and signature.denominator in (1, 2, 4, 8, 16, 32):
        meter = (int(signature.numerator), int(signature.denominator))
    return MidiFacts(qpm, meter, tuple(str(t.name) for t in score.tracks))


def file_facts(path: Path) -> MidiFacts:
    try:
        return midi_facts(read_input_bytes(Path(path)))
    except (BadInput, OSError):
        return MidiFacts()


def windows_from_midi_bytes(data: bytes, bars: int, hop_bars: int | None = None, name: str = "<MIDI bytes>",
                            encoding: SequenceEncoding | str | None = None, max_file_mb: float = DEFAULT_MAX_FILE_MB,
                            any_notes: bool = False) -> Extraction:
    """Windows of MIDI bytes in order (not deduplicated), `hop_bars` apart (default: one window apart),
    each with its origin (segment, track, start step, start bar from the start of the file).

    Follows the training semantics first (16-step bars); pieces in other meters are windowed too
    rather than refused. Raises NoWindows naming `name` and the reason.
    """
    try:
        segments = midi_segments_from_bytes(data, max_file_mb)
    except BadInput as err:
        raise NoWindows(f"{name}: {err.detail}") from None
    codec = encoding_of(encoding)
    options = ExtractOptions(bars=bars, hop_bars=bars if hop_bars is None else hop_bars, deduplicate=False,
                             any_notes=any_notes)
    result = codec.extract(segments, options, name)
    if len(result.windows) == 0 and result.reason == "meter":
        result = codec.extract(segments, replace(options, any_meter=True), name)
    if len(result.windows) == 0:
        raise NoWindows(f"{name}: no {bars}-bar window ({result.detail})")
    return result


def windows_from_midi_file(path: Path, bars: int, hop_bars: int | None = None,
                           encoding: SequenceEncoding | str | None = None, any_notes: bool = False) -> Extraction:
    try:
        data = read_input_bytes(Path(path))
    except BadInput as err:
        raise NoWindows(f"{path}: {err.detail}") from None
    except FileNotFoundError:
        raise NoWindows(f"{path}: no such file") from None
    return windows_from_midi_bytes(data, bars, hop_bars, str(path), encoding, any_notes=any_notes)


def window_at_bar(extraction: Extraction, bar: int, name: str, flag: str = "--bar") -> np.ndarray:
    """The (1, T) window that starts at `bar` (counted from the file's start; the lowest track first)."""
    row = row_at_bar(extraction, bar, name, flag)
    return extraction.windows[row : row + 1]


def row_at_bar(extraction: Extraction, bar: int, name: str, flag: str = "--bar") -> int:
    """The index of the window that starts at `bar`; NoWindows listing where windows do start otherwise."""
    starts = extraction.origins[:, 3]
    hits = np.flatnonzero(starts == bar)
    if len(hits) == 0:
        known = sorted(set(starts.tolist()))
        shown = ", ".join(map(str, known[:20])) + (", ..." if len(known) > 20 else "")
        raise NoWindows(f"{name}: {flag} {bar}: no window starts at bar {bar}; windows start at bars {shown} "
                        f"(counted from 0 at the start of the file)")
    return int(hits[0])


def encoding_of(encoding: SequenceEncoding | str | None) -> SequenceEncoding:
    """An encoding, or its registered name; there is no default: callers pass their model's."""
    if encoding is None:
        raise TypeError("an encoding is needed (the model's: TrainedModel.encoding)")
    return get_encoding(encoding) if isinstance(encoding, str) else encoding


def _played_rows(encoding: SequenceEncoding, windows, chords=None) -> Rows:
    """What the renderers play: Rows, or bare windows where one (T,) window stands for one row."""
    if not isinstance(windows, dict) and np.ndim(windows) == len(encoding.outputs[0].shape(1)):
        windows = np.asarray(windows)[None]
    return encoding.rows(windows, chords)


def midi_bytes(windows, *, encoding: SequenceEncoding | str, qpm: float | None = None, gap_steps: int = 0,
               chords=None, program: int | None = None, meter: tuple[int, int] = (4, 4), starts=None) -> bytes:
    """Rows (or one-stream windows, played in order, or each at its step of `starts`) as Standard MIDI File
    bytes, each part an instrument (`program`: a General MIDI instrument for every pitched part), in `meter`
    (the input's time signature)."""
    encoding = encoding_of(encoding)
    return rows_to_midi_bytes(encoding, _played_rows(encoding, windows, chords), qpm, gap_steps, program, meter,
                              starts)


def wav_of(windows, *, encoding: SequenceEncoding | str, qpm: float | None = None, gap_steps: int = 0,
           sample_rate: int = 44100, chords=None, program: int | None = None, starts=None) -> tuple[bytes, str]:
    """Rows rendered to WAV bytes; returns (bytes, synthesizer used)."""
    encoding = encoding_of(encoding)
    return wav_bytes(rows_to_pretty_midi(encoding, _played_rows(encoding, windows, chords), qpm, gap_steps, program,
                                         starts=starts), sample_rate)


def png_of(rows: list, titles: list[str] | None = None, title: str = "", *, encoding: SequenceEncoding | str,
           chords: list[np.ndarray] | None = None) -> bytes:
    """A piano roll (a drum grid for drum encodings) of rows (each one row: Rows of one window, or a one-stream (T,) array), at most
    render.MAX_ROLL_ROWS of them drawn; a one-stream encoding's `chords` rows go with them."""
    encoding = encoding_of(encoding)
    notes = []
    for i, row in enumerate(rows):
        one = _played_rows(encoding, row, None if chords is None else chords[i])
        notes.append(encoding.to_notes(one.row(0)))
    if encoding.instruments:  # several instruments: coloured by instrument, drums in lanes
        from musicae.music.inference.render_multitrack import multitrack_roll_png

        return multitrack_roll_png(notes, titles, title, steps_per_bar=encoding.sixteenths_per_bar)
    if encoding.lanes:  # drums: a grid of instruments, not a piano roll
        return drum_grid_png(notes, encoding.lanes, titles, title, steps_per_bar=encoding.sixteenths_per_bar)
    return piano_roll_png(notes, titles, title, steps_per_bar=encoding.sixteenths_per_bar)
