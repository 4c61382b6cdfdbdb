"""Musical attributes of melody windows, one number per window, and the statistics the quality report
compares. All take (N, T) class arrays of the melody encoding (encoding.py) and return (N,) floats.

MusicVAE's attribute-vector attributes (the paper, section 5.4):
- note_density: note onsets per step;
- average_interval: mean absolute interval between consecutive notes, in semitones;
- syncopation_16th: share of notes that start on an odd sixteenth and still sound at the next eighth;
- syncopation_8th: share of notes that start on an off-beat eighth and still sound at the next beat;
- in_scale: share of notes in C major once the window is transposed to the key that fits it best.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from musicae.autoencoding.config import Registry
from musicae.music.encodings.melody import STEPS_PER_BAR, STEPS_PER_QUARTER, window_to_notes

C_MAJOR = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=bool)
INTERVAL_BINS = 13  # |interval| 0..11 semitones, and 12 or more


def notes_of(windows: np.ndarray) -> list[list[tuple[int, int, int]]]:
    return [window_to_notes(w) for w in np.asarray(windows)]


def _per_window(function: Callable[[list[tuple[int, int, int]], int], float]):
    def apply(windows: np.ndarray) -> np.ndarray:
        windows = np.asarray(windows)
        return np.array([function(notes, windows.shape[1]) for notes in notes_of(windows)], dtype=np.float64)
    apply.__doc__ = function.__doc__
    return apply


ATTRIBUTES: Registry = Registry("attribute")


@ATTRIBUTES.register("note_density")
@_per_window
def note_density(notes, steps):
    """Note onsets per step."""
    return len(notes) / steps


@ATTRIBUTES.register("average_interval")
@_per_window
def average_interval(notes, steps):
    """Mean |interval| between consecutive notes in semitones (0 with fewer than two notes)."""
    pitches = np.array([n[0] for n in notes])
    return float(np.abs(np.diff(pitches)).mean()) if len(pitches) > 1 else 0.0


def _syncopation(notes, period: int) -> float:
    """Share of notes starting half a `period` off the grid and still sounding at the next grid point."""
    if not notes:
        return 0.0
    half = period // 2
    held = [end > start + half for _, start, end in notes if start % period == half]
    return sum(held) / len(notes)


@ATTRIBUTES.register("syncopation_16th")
@_per_window
def syncopation_16th(notes, steps):
    """Share of notes starting on an odd sixteenth that still sound at the next eighth."""
    return _syncopation(notes, 2)


@ATTRIBUTES.register("syncopation_8th")
@_per_window
def syncopation_8th(notes, steps):
    """Share of notes starting on an off-beat eighth that still sound at the next beat."""
    return _syncopation(notes, STEPS_PER_QUARTER)


def _pitch_class_counts(notes) -> np.ndarray:
    counts = np.zeros(12)
    for pitch, _, _ in notes:
        counts[pitch % 12] += 1
    return counts


@ATTRIBUTES.register("in_scale")
@_per_window
def in_scale(notes, steps):
    """Share of notes in C major after the transposition that fits best (1 for an empty window)."""
    counts = _pitch_class_counts(notes)
    if counts.sum() == 0:
        return 1.0
    return max(counts[np.roll(C_MAJOR, shift)].sum() for shift in range(12)) / counts.sum()


MUSICAL_UNITS = {"note_density": ("notes per bar", 16.0), "average_interval": ("semitones", 1.0),
                 "syncopation_16th": ("% of notes", 100.0), "syncopation_8th": ("% of notes", 100.0),
                 "in_scale": ("% of notes in key", 100.0)}
"""Each attribute in the units a musician reads (name, factor from the attribute's own value): a 2-bar
window's note density is onsets per sixteenth, 16 of them a bar."""


def attribute_table(windows: np.ndarray, names: list[str] | None = None) -> dict[str, np.ndarray]:
    return {name: ATTRIBUTES[name](windows) for name in (names or ATTRIBUTES.names())}


# ----------------------------------------------------------------------------- quality statistics
@_per_window
def pitch_range(notes, steps):
    """Highest minus lowest pitch, in semitones (0 for an empty window)."""
    return float(max(n[0] for n in notes) - min(n[0] for n in notes)) if notes else 0.0


@_per_window
def pitch_class_entropy(notes, steps):
    """Entropy of the notes' pitch classes, in bits."""
    counts = _pitch_class_counts(notes)
    if counts.sum() == 0:
        return 0.0
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def empty_beat_rate(windows: np.ndarray) -> np.ndarray:
    """Share of beats (quarters) during which no note sounds."""
    windows = np.asarray(windows)
    beats = windows.shape[1] // STEPS_PER_QUARTER
    rates = []
    for notes in notes_of(windows):
        sounding = np.zeros(windows.shape[1], dtype=bool)
        for _, start, end in notes:
            sounding[start:end] = True
        rates.append(1.0 - sounding[: beats * STEPS_PER_QUARTER].reshape(beats, -1).any(1).mean())
    return np.array(rates)


def bar_repetition(windows: np.ndarray) -> np.ndarray:
    """Self-repetition: share of bars (after the first) identical to an earlier bar of the same window."""
    windows = np.asarray(windows)
    bars = windows.shape[1] // STEPS_PER_BAR
    if bars < 2:
        return np.zeros(len(windows))
    split = windows[:, : bars * STEPS_PER_BAR].reshape(len(windows), bars, STEPS_PER_BAR)
    repeated = [sum(any(np.array_equal(w[i], w[j]) for j in range(i)) for i in range(1, bars)) / (bars - 1)
                for w in split]
    return np.array(repeated, dtype=np.float64)


@_per_window
def off_beat_rate(notes, steps):
    """Share of notes that start off the beat (not on a quarter note; 0 for an empty window)."""
    return sum(start % STEPS_PER_QUARTER != 0 for _, start, _ in notes) / len(notes) if notes else 0.0


def pitch_class_histogram(windows: np.ndarray) -> np.ndarray:
    """Normalised histogram of the notes' pitch classes (C..B) over all windows."""
    counts = sum((_pitch_class_counts(notes) for notes in notes_of(windows)), np.zeros(12))
    return counts / max(counts.sum(), 1)


def interval_histogram(windows: np.ndarray) -> np.ndarray:
    """Normalised histogram of |intervals| between consecutive notes over all windows (INTERVAL_BINS)."""
    counts = np.zeros(INTERVAL_BINS)
    for notes in notes_of(windows):
        for a, b in zip(notes, notes[1:]):
            counts[min(abs(b[0] - a[0]), INTERVAL_BINS - 1)] += 1
    return counts / max(counts.sum(), 1)


SCALAR_STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "note_density": note_density,
    "pitch_range": pitch_range,
    "pitch_class_entropy": pitch_class_entropy,
    "in_scale": in_scale,
    "empty_beat_rate": empty_beat_rate,
    "bar_repetition": bar_repetition,
}
