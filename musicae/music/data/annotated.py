"""MIDI files with beat and chord annotations beside them (POP909's layout): steps from the beats, chords
per step from the annotations.

POP909's MIDI files mostly declare a meter that is not the song's (617 say 1/4, 21 say 2/4), so their
bars cannot come from the file. `beat_midi.txt` gives every beat (time in seconds, then two flags; the
second marks the first beat of a bar): each beat is split into 4 sixteenth-note steps by linear
interpolation, step 0 is the first downbeat, and the bar length is the most common number of beats between
downbeats. `chord_midi.txt` (start, end in seconds, a chord such as `G:maj`) gives the chord of each step,
read at the step's start. Only the track named MELODY is used when there is one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from musicae.music.data.segments import STEPS_PER_QUARTER, BadInput, Segment
from musicae.music.encodings.base import MAX_STEPS
from musicae.music.encodings.chords import NO_CHORD, UnknownChord, parse_chord

BEATS = "beat_midi.txt"
MIN_BEAT_SECONDS = 0.01
CHORDS = "chord_midi.txt"
MELODY_TRACK = "MELODY"
POP909_PROGRAMS = {"MELODY": 53, "BRIDGE": 73, "PIANO": 0}
"""General MIDI programs for POP909's tracks, whose files leave them all at 0: the sung melody as Voice Oohs,
the bridge (the instrumental lead between sung lines) as a flute, the accompaniment as a piano."""


def is_annotated(path: Path) -> bool:
    return (Path(path).parent / BEATS).is_file()


def _table(path: Path, columns: int) -> list[list[str]]:
    rows = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < columns:
            raise BadInput("bad_annotation", f"{path.name} line {number}: expected {columns} columns, got {len(fields)}")
        rows.append(fields)
    return rows


def beat_grid(path: Path) -> tuple[np.ndarray, int]:
    """(beat times from the first downbeat on, beats per bar) from a beat file."""
    try:
        rows = _table(path, 3)
        times = np.array([float(r[0]) for r in rows])
        downbeat = np.array([float(r[2]) == 1.0 for r in rows])
    except ValueError as err:
        raise BadInput("bad_annotation", f"{path.name}: {err}") from None
    if not np.isfinite(times).all():
        raise BadInput("bad_annotation", f"{path.name}: a beat time is not a finite number")
    if len(times) < 2 or not downbeat.any() or np.any(np.diff(times) <= 0):
        raise BadInput("bad_annotation", f"{path.name}: needs increasing beat times and at least one downbeat")
    if np.diff(times).min() < MIN_BEAT_SECONDS:  # 6,000 beats a minute: the steps of a song would number billions
        raise BadInput("bad_annotation", f"{path.name}: beats {np.diff(times).min():.3g} s apart; a beat is at least "
                                         f"{MIN_BEAT_SECONDS * 1000:g} ms")
    first = int(np.argmax(downbeat))
    gaps = np.diff(np.flatnonzero(downbeat))
    beats_per_bar = int(np.bincount(gaps).argmax()) if len(gaps) else 4
    return times[first:], beats_per_bar


def seconds_to_steps(seconds: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Unrounded steps from the first downbeat; times outside the annotated beats extrapolate the nearest
    beat's length."""
    index = np.clip(np.searchsorted(beats, seconds, side="right") - 1, 0, len(beats) - 2)
    fraction = (seconds - beats[index]) / (beats[index + 1] - beats[index])
    return (index + fraction) * STEPS_PER_QUARTER


def steps_to_seconds(steps: np.ndarray, beats: np.ndarray) -> np.ndarray:
    beat = np.asarray(steps, dtype=np.float64) / STEPS_PER_QUARTER
    index = np.clip(np.floor(beat).astype(np.int64), 0, len(beats) - 2)
    return beats[index] + (beat - index) * (beats[index + 1] - beats[index])


def chord_steps(path: Path, beats: np.ndarray, steps: int) -> np.ndarray:
    """The chord class of each of `steps` steps (N where no chord is annotated)."""
    rows = _table(path, 3)
    try:
        starts = np.array([float(r[0]) for r in rows])
        ends = np.array([float(r[1]) for r in rows])
    except ValueError as err:
        raise BadInput("bad_annotation", f"{path.name}: {err}") from None
    try:
        classes = np.array([parse_chord(r[2]) for r in rows], dtype=np.uint8)
    except UnknownChord as err:
        raise BadInput("unknown_chord", f"{path.name}: {err}") from None
    times = steps_to_seconds(np.arange(steps), beats) + 1e-6
    row = np.searchsorted(starts, times, side="right") - 1
    inside = (row >= 0) & (times < ends[np.clip(row, 0, None)])
    return np.where(inside, classes[np.clip(row, 0, None)], NO_CHORD).astype(np.uint8)


def annotated_segments(path: Path, every_track: bool = False) -> list[Segment]:
    """One Segment of the MELODY track (of every track with `every_track`) in beat-grid steps, with `chords`
    per step when annotated."""
    import pretty_midi

    path = Path(path)
    beats, beats_per_bar = beat_grid(path.parent / BEATS)
    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as err:
        raise BadInput("unreadable", f"not a readable MIDI file ({' '.join(str(err).split())[:100]})") from None
    melody = [i for i in midi.instruments if i.name.strip().upper() == MELODY_TRACK]
    tracks = midi.instruments if every_track or not melody else melody
    notes = [(n.start, n.end, n.pitch, n.velocity, k, inst.is_drum) for k, inst in enumerate(tracks) for n in inst.notes]
    notes = [n for n in notes if n[0] >= beats[0] - 1e-3]  # before the first downbeat: a pickup, not windowed
    columns = list(zip(*notes)) if notes else [[]] * 6
    start = seconds_to_steps(np.array(columns[0], dtype=np.float64), beats)
    segment = Segment(start=np.maximum(start, 0.0), end=seconds_to_steps(np.array(columns[1], dtype=np.float64), beats),
                      pitch=np.array(columns[2], dtype=np.int64), velocity=np.array(columns[3], dtype=np.int64),
                      instrument=np.array(columns[4], dtype=np.int64), is_drum=np.array(columns[5], dtype=bool),
                      numerator=beats_per_bar, denominator=4, track_names={k: t.name for k, t in enumerate(tracks)},
                      programs={k: POP909_PROGRAMS.get(t.name.strip().upper(), t.program) if t.program == 0
                                else t.program for k, t in enumerate(tracks)})
    if len(segment.end) and float(segment.end.max()) > MAX_STEPS:
        raise BadInput("too_long", f"the song lasts {float(segment.end.max()):.3g} steps on its beats, over the "
                                   f"{MAX_STEPS} (65,536 bars) windowed")
    if (path.parent / CHORDS).is_file():
        total = int(np.ceil(segment.end.max())) + 1 if len(segment.end) else 0
        segment.chords = chord_steps(path.parent / CHORDS, beats, total)
    return [segment]
