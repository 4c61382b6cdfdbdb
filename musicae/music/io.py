"""In-memory conversions: MIDI bytes -> windows, and windows -> MIDI, WAV and PNG bytes.

The file-writing commands are thin wrappers over these, and a server needs no temporary files.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np

from musicae.music.corpus import DEFAULT_MAX_FILE_MB, BadInput, midi_segments_from_bytes, read_input_bytes
from musicae.music.encoding import DEFAULT_QPM, windows_to_pretty_midi
from musicae.music.encodings import Extraction, get_encoding
from musicae.music.extract import ExtractOptions
from musicae.music.render import piano_roll_png, wav_bytes


class NoWindows(ValueError):
    """An input gave no usable window; the message says why and what to try."""


def windows_from_midi_bytes(data: bytes, bars: int, hop_bars: int | None = None, name: str = "<MIDI bytes>",
                            encoding: str = "melody", max_file_mb: float = DEFAULT_MAX_FILE_MB) -> Extraction:
    """Windows of MIDI bytes in order (not deduplicated), `hop_bars` apart (default: one window apart),
    each with its origin (segment, track, start step, start bar from the start of the file).

    Follows the training semantics first (16-step bars); pieces in other meters are windowed too
    rather than refused. Raises NoWindows naming `name` and the reason.
    """
    try:
        segments = midi_segments_from_bytes(data, max_file_mb)
    except BadInput as err:
        raise NoWindows(f"{name}: {err.detail}") from None
    codec = get_encoding(encoding)
    options = ExtractOptions(bars=bars, hop_bars=bars if hop_bars is None else hop_bars, deduplicate=False)
    result = codec.extract(segments, options, name)
    if len(result.windows) == 0 and result.reason == "meter":
        result = codec.extract(segments, replace(options, any_meter=True), name)
    if len(result.windows) == 0:
        raise NoWindows(f"{name}: no {bars}-bar window ({result.detail})")
    return result


def windows_from_midi_file(path: Path, bars: int, hop_bars: int | None = None, encoding: str = "melody") -> Extraction:
    try:
        data = read_input_bytes(Path(path))
    except BadInput as err:
        raise NoWindows(f"{path}: {err.detail}") from None
    except FileNotFoundError:
        raise NoWindows(f"{path}: no such file") from None
    return windows_from_midi_bytes(data, bars, hop_bars, str(path), encoding)


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


def midi_bytes(windows, qpm: float = DEFAULT_QPM, gap_steps: int = 0, encoding: str = "melody", chords=None) -> bytes:
    """Windows (one (T,) or several (N, T), played in order) as Standard MIDI File bytes; with `chords` (chord
    classes per step, shaped like the windows) a second instrument plays them."""
    buffer = io.BytesIO()
    windows_to_pretty_midi(windows, qpm, gap_steps=gap_steps, to_notes=get_encoding(encoding).to_notes,
                           chords=chords).write(buffer)
    return buffer.getvalue()


def wav_of(windows, qpm: float = DEFAULT_QPM, gap_steps: int = 0, encoding: str = "melody",
           sample_rate: int = 22050, chords=None) -> tuple[bytes, str]:
    """Windows (and their chords) rendered to WAV bytes; returns (bytes, synthesizer used)."""
    midi = windows_to_pretty_midi(windows, qpm, gap_steps=gap_steps, to_notes=get_encoding(encoding).to_notes,
                                  chords=chords)
    return wav_bytes(midi, sample_rate)


def png_of(rows: list[np.ndarray], titles: list[str] | None = None, title: str = "", encoding: str = "melody",
           chords: list[np.ndarray] | None = None) -> bytes:
    """A piano roll of (T,) rows as PNG bytes (at most render.MAX_ROLL_ROWS rows drawn), with each row's
    chords (per-step classes) under it when given."""
    codec = get_encoding(encoding)
    return piano_roll_png(rows, titles, title, to_notes=codec.to_notes, steps_per_bar=codec.steps_per_bar,
                          chords=chords)
