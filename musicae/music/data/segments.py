"""Pieces of a score with one tempo and one time signature, in unquantized sixteenth-note steps.

Splitting follows note-seq's `split_note_sequence_on_time_changes`, and tick times are turned into
seconds with pretty_midi's own arithmetic, so that the fast path quantizes exactly as the note-seq
path does, to the bit, even across dozens of tempo changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEPS_PER_QUARTER = 4
"""Scores are quantized to sixteenth notes: every encoding's step grid."""


class BadInput(Exception):
    """An input that cannot be read; str() is the one-line reason."""

    def __init__(self, reason_code: str, detail: str):
        super().__init__(detail)
        self.reason_code = reason_code
        self.detail = detail




@dataclass
class Segment:
    """One piece of a score with a single tempo and time signature.

    Times are in unrounded steps (sixteenth notes) from the piece's start.
    """

    start: np.ndarray  # (N,) float64
    end: np.ndarray  # (N,) float64
    pitch: np.ndarray  # (N,) int
    velocity: np.ndarray  # (N,) int
    instrument: np.ndarray  # (N,) int
    is_drum: np.ndarray  # (N,) bool
    numerator: int = 4
    denominator: int = 4
    start_bar: int = 0
    """Bars of the whole piece before this segment (bar numbers count from the file's start)."""
    chords: np.ndarray | None = None
    """(S,) chord class of each step from the segment's start, when the input has chords (chords.py)."""
    track_names: dict | None = None
    """Instrument index -> track name, where the file names its tracks."""
    programs: dict | None = None
    """Instrument index -> General MIDI program (0 where the file sets none)."""

    @property
    def steps_per_bar(self) -> float:
        """0 for a malformed time signature (a zero numerator or denominator): such a piece is not windowed."""
        if self.numerator <= 0 or self.denominator <= 0:
            return 0.0
        return STEPS_PER_QUARTER * 4 * self.numerator / self.denominator

    def bars(self, steps: float) -> float:
        return steps / self.steps_per_bar if self.steps_per_bar else 0.0


def split_points(total: float, ts_events, tempo_events) -> list[float]:
    """note-seq's split_note_sequence_on_time_changes: where the piece must be cut."""
    changes = sorted(
        [(t, 0, v) for t, v in ts_events] + [(t, 1, v) for t, v in tempo_events], key=lambda c: c[0]
    )
    current = {0: (4, 4), 1: 120.0}
    splits = [0.0]
    for time, kind, value in changes:
        if time >= total:
            continue
        if value == current[kind]:
            continue
        if time > splits[-1]:
            splits.append(time)
        current[kind] = value
    if total > splits[-1]:
        splits.append(total)
    return splits


def _state_at(time: float, events, default):
    """The value of the latest (time, value) event at or before `time`."""
    value = default
    for t, v in sorted(events, key=lambda e: e[0]):
        if t <= time:
            value = v
    return value


def _tick_seconds(tpq: int, tempos: list[tuple[int, int]]):
    """Tick -> seconds exactly as pretty_midi computes it (so both paths agree to the bit).

    Returns (to_seconds, tempo_events) with tempo_events as (seconds, qpm).
    """
    scales = [(0, 60.0 / (120.0 * tpq))]
    for tick, mspq in sorted(tempos, key=lambda t: t[0]):
        scale = 60.0 / ((6e7 / mspq) * tpq)
        if tick == 0:
            scales = [(0, scale)]
        elif scale != scales[-1][1]:
            scales.append((tick, scale))
    starts = np.array([tick for tick, _ in scales], dtype=np.int64)
    offsets = [0.0]
    for (tick, scale), (next_tick, _) in zip(scales[:-1], scales[1:]):
        offsets.append(offsets[-1] + scale * (next_tick - tick))
    offsets_arr = np.array(offsets)
    scale_arr = np.array([scale for _, scale in scales])

    def to_seconds(ticks: np.ndarray) -> np.ndarray:
        index = np.searchsorted(starts, ticks, side="right") - 1
        return offsets_arr[index] + scale_arr[index] * (ticks - starts[index])

    tempo_events = [(float(offsets[i]), 60.0 / (scale * tpq)) for i, (_, scale) in enumerate(scales)]
    return to_seconds, tempo_events


def cut_segments(splits, ts_events, tempo_events, start, end, **columns) -> list[Segment]:
    """note-seq's _extract_subsequences, then times to unquantized steps at each piece's tempo."""
    segments = []
    bars_before = 0.0
    for lo, hi in zip(splits[:-1], splits[1:]):
        inside = (start >= lo) & (start < hi)
        num, den = _state_at(lo, ts_events, (4, 4))
        steps_per_second = STEPS_PER_QUARTER * _state_at(lo, tempo_events, 120.0) / 60.0
        segments.append(
            Segment(
                start=(start[inside] - lo) * steps_per_second,
                end=(np.minimum(end[inside], hi) - lo) * steps_per_second,
                numerator=num,
                denominator=den,
                start_bar=int(bars_before + 1e-6),
                **{k: v[inside] for k, v in columns.items()},
            )
        )
        bars_before += segments[-1].bars((hi - lo) * steps_per_second)
    return segments


def segments_from_score(score) -> list[Segment]:
    """Split a symusic Score at tempo and time-signature changes."""
    starts, ends, pitches, velocities, instruments, drums = [], [], [], [], [], []
    for index, track in enumerate(score.tracks):
        notes = track.notes.numpy()
        if len(notes["time"]) == 0:
            continue
        time = notes["time"].astype(np.int64)
        starts.append(time)
        ends.append(time + notes["duration"].astype(np.int64))
        pitches.append(notes["pitch"].astype(np.int16))
        velocities.append(notes["velocity"].astype(np.int16))
        instruments.append(np.full(len(time), index, dtype=np.int32))
        drums.append(np.full(len(time), bool(track.is_drum)))
    if not starts:
        return []
    to_seconds, tempo_events = _tick_seconds(score.ticks_per_quarter, [(int(t.time), int(t.mspq)) for t in score.tempos])
    start, end = to_seconds(np.concatenate(starts)), to_seconds(np.concatenate(ends))
    ts_events = [
        (float(to_seconds(np.array([t.time]))[0]), (int(t.numerator), int(t.denominator))) for t in score.time_signatures
    ]
    splits = split_points(float(end.max()), ts_events, tempo_events)
    segments = cut_segments(
        splits,
        ts_events,
        tempo_events,
        start,
        end,
        pitch=np.concatenate(pitches),
        velocity=np.concatenate(velocities),
        instrument=np.concatenate(instruments),
        is_drum=np.concatenate(drums),
    )
    names = {index: track.name for index, track in enumerate(score.tracks)}
    programs = {index: int(track.program) for index, track in enumerate(score.tracks)}
    for segment in segments:
        segment.track_names, segment.programs = names, programs
    return segments


def segments_from_note_sequence(sequence) -> list[Segment]:
    """Split an unquantized NoteSequence (seconds) with note-seq's own splitter."""
    from note_seq import sequences_lib

    segments = []
    pieces = list(sequences_lib.split_note_sequence_on_time_changes(sequence))
    offsets = [p.subsequence_info.start_time_offset for p in pieces] + [sequence.total_time]
    bars_before = 0.0
    for piece, lo, hi in zip(pieces, offsets[:-1], offsets[1:]):
        qpm = piece.tempos[0].qpm if piece.tempos else 120.0
        steps_per_second = STEPS_PER_QUARTER * qpm / 60.0
        num, den = (piece.time_signatures[0].numerator, piece.time_signatures[0].denominator) if piece.time_signatures else (4, 4)
        notes = piece.notes
        segments.append(
            Segment(
                start=np.array([n.start_time * steps_per_second for n in notes], dtype=np.float64),
                end=np.array([n.end_time * steps_per_second for n in notes], dtype=np.float64),
                pitch=np.array([n.pitch for n in notes], dtype=np.int16),
                velocity=np.array([n.velocity for n in notes], dtype=np.int16),
                instrument=np.array([n.instrument for n in notes], dtype=np.int32),
                is_drum=np.array([n.is_drum for n in notes], dtype=bool),
                numerator=num,
                denominator=den,
                start_bar=int(bars_before + 1e-6),
            )
        )
        bars_before += segments[-1].bars(max(hi - lo, 0.0) * steps_per_second)
    return segments


