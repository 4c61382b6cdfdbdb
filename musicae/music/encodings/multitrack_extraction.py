"""A multi-instrument MIDI file -> its 4/4 measures as multitrack bar tokens (the notebook's "Parsed N
measures"), each numbered as in the score, and every measure left out counted with its reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from musicae.music.encodings.multitrack_events import (
    MAX_TRACKS,
    STEPS_PER_BAR,
    STEPS_PER_QUARTER,
    TRACK_TOKENS,
    BarRefused,
    Track,
    bar_tokens,
)


@dataclass
class Measures:
    """The usable measures of one file."""

    numbers: list[int] = field(default_factory=list)
    """1-based measure numbers in the file, one per row of `tokens`."""
    tokens: np.ndarray = field(default_factory=lambda: np.zeros((0, MAX_TRACKS, TRACK_TOKENS), np.int16))
    """(N, tracks, tokens) bars."""
    refused: Counter = field(default_factory=Counter)
    """reason code -> how many measures it left out."""

    def __len__(self) -> int:
        return len(self.numbers)


def _quarters(midi) -> tuple[np.ndarray, np.ndarray]:
    """(beat times, beat numbers) extended a bar past the file's end, for np.interp from seconds to beats."""
    beats = np.asarray(midi.get_beats(), dtype=float)
    end = midi.get_end_time()
    if len(beats) < 2:  # a file shorter than a beat: its first tempo sets the grid
        tempi = midi.get_tempo_changes()[1]
        start = beats[0] if len(beats) else 0.0
        beats = np.array([start, start + 60.0 / (tempi[0] if len(tempi) else 120.0)])
    step = beats[-1] - beats[-2]
    extra = np.arange(1, int((end - beats[-1]) / max(step, 1e-6)) + 6) * step + beats[-1]
    times = np.concatenate([beats, extra])
    return times, np.arange(len(times), dtype=float)


def _meter_at(midi, time: float) -> tuple[int, int]:
    meter = (4, 4)
    for change in midi.time_signature_changes:
        if change.time <= time + 1e-9:
            meter = (change.numerator, change.denominator)
    return meter


def midi_measures(midi) -> Measures:
    """The 4/4 measures of a pretty_midi.PrettyMIDI with at least one note, quantized to 24 steps a quarter
    on the file's own beats (tempo changes followed); a note starts in the measure where it starts and is
    cut at its bar line."""
    times, numbers = _quarters(midi)
    downbeats = list(midi.get_downbeats())
    firsts = np.interp(downbeats, times, numbers)  # each measure's first beat
    kept: dict[int, dict[int, list]] = {}  # measure -> instrument -> its notes there, in steps
    for track, instrument in enumerate(midi.instruments):
        seconds = np.array([(n.start, n.end) for n in instrument.notes], dtype=float).reshape(-1, 2)
        starts, ends = np.interp(seconds[:, 0], times, numbers), np.interp(seconds[:, 1], times, numbers)
        # each note is looked up only among the measures that begin within a bar before it (a file of many
        # bars and notes is not measures x notes work)
        lows = np.searchsorted(firsts, starts - 4, side="right") - 1
        highs = np.searchsorted(firsts, starts + 1 / STEPS_PER_QUARTER, side="right")
        for n, start, end, low, high in zip(instrument.notes, starts, ends, lows, highs):
            for index in range(max(low, 0), high):
                begin = int(round((start - firsts[index]) * STEPS_PER_QUARTER))
                if 0 <= begin < STEPS_PER_BAR:
                    stop = min(STEPS_PER_BAR, max(begin + 1, int(round((end - firsts[index]) * STEPS_PER_QUARTER))))
                    kept.setdefault(index, {}).setdefault(track, []).append((n.pitch, begin, stop, n.velocity))
    found = Measures()
    rows = []
    for index, downbeat in enumerate(downbeats):
        if _meter_at(midi, downbeat) != (4, 4):
            found.refused["not_4_4"] += 1
            continue
        tracks = [Track(midi.instruments[track].program, midi.instruments[track].is_drum, tuple(notes))
                  for track, notes in sorted(kept.get(index, {}).items())]
        if not tracks and index >= len(downbeats) - 1:
            continue  # the bar after the last note: not a measure of the music
        try:
            rows.append(bar_tokens(tracks))
            found.numbers.append(index + 1)
        except BarRefused as refused:
            found.refused[refused.reason] += 1
    if rows:
        found.tokens = np.stack(rows)
    return found
