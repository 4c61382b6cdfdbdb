"""The MusicVAE melody encoding: 90 classes per sixteenth-note step.

    0      no event: whatever sounds (a note or silence) continues
    1      note off: silence starts
    2..89  note on, MIDI pitch 21..108 (class = pitch - 19)

4 steps per quarter note, 16 per 4/4 bar: a 2-bar window is 32 steps, a 16-bar window 256.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.distributed import batch_noise

NO_EVENT = 0
NOTE_OFF = 1
MIN_PITCH = 21
MAX_PITCH = 108
FIRST_PITCH_CLASS = 2
NUM_CLASSES = FIRST_PITCH_CLASS + MAX_PITCH - MIN_PITCH + 1  # 90
STEPS_PER_QUARTER = 4
STEPS_PER_BAR = 16
DEFAULT_QPM = 120.0
DEFAULT_VELOCITY = 80

# note_seq's Melody uses these event values; we translate at the boundary.
MELODY_NO_EVENT = -2
MELODY_NOTE_OFF = -1


def pitch_to_class(pitch: int) -> int:
    return pitch - MIN_PITCH + FIRST_PITCH_CLASS


def class_to_pitch(cls: int) -> int:
    return cls - FIRST_PITCH_CLASS + MIN_PITCH


def melody_events_to_classes(events) -> np.ndarray:
    """note_seq Melody events (-2 no event, -1 off, pitch) -> uint8 classes."""
    events = np.asarray(events, dtype=np.int16)
    classes = np.where(events == MELODY_NO_EVENT, NO_EVENT, np.where(events == MELODY_NOTE_OFF, NOTE_OFF, events - 19))
    return classes.astype(np.uint8)


def window_to_notes(window, steps_per_quarter: int = STEPS_PER_QUARTER) -> list[tuple[int, int, int]]:
    """(pitch, start_step, end_step) for each note of one window; a note runs until the next event."""
    notes = []
    current: tuple[int, int] | None = None
    window = [int(c) for c in window]
    for step, cls in enumerate(window):
        if cls == NO_EVENT:
            continue
        if current is not None:
            notes.append((current[0], current[1], step))
            current = None
        if cls >= FIRST_PITCH_CLASS:
            current = (class_to_pitch(cls), step)
    if current is not None:
        notes.append((current[0], current[1], len(window)))
    return notes


def windows_to_note_sequence(windows, qpm: float = DEFAULT_QPM, velocity: int = DEFAULT_VELOCITY, gap_steps: int = 0):
    """Play windows one after another (with `gap_steps` of silence between) as a NoteSequence."""
    from note_seq.protobuf import music_pb2

    seconds_per_step = 60.0 / qpm / STEPS_PER_QUARTER
    sequence = music_pb2.NoteSequence()
    sequence.tempos.add(qpm=qpm, time=0.0)
    sequence.time_signatures.add(numerator=4, denominator=4, time=0.0)
    sequence.ticks_per_quarter = 220
    offset = 0
    for window in np.atleast_2d(np.asarray(windows)):
        for pitch, start, end in window_to_notes(window):
            sequence.notes.add(
                pitch=pitch,
                velocity=velocity,
                start_time=(offset + start) * seconds_per_step,
                end_time=(offset + end) * seconds_per_step,
                instrument=0,
                program=0,
            )
        offset += len(window) + gap_steps
    sequence.total_time = offset * seconds_per_step
    return sequence


def chord_notes(chords) -> list[tuple[int, int, int]]:
    """(pitch, start_step, end_step) of a simple voicing of (T,) chord classes: a root-position triad below
    middle C, struck at each change of chord and held until the next."""
    from musicae.music.chords import chord_pitches

    chords = [int(c) for c in chords]
    notes, start = [], 0
    for step in range(1, len(chords) + 1):
        if step == len(chords) or chords[step] != chords[start]:
            notes += [(pitch, start, step) for pitch in chord_pitches(chords[start])]
            start = step
    return notes


def windows_to_pretty_midi(windows, qpm: float = DEFAULT_QPM, velocity: int = DEFAULT_VELOCITY, gap_steps: int = 0,
                           to_notes=window_to_notes, chords=None):
    """Windows (one (T,) window or several (N, T), played in order) as a pretty_midi.PrettyMIDI: a `melody`
    instrument, and with `chords` (per-step chord classes, shaped like the windows) a `chords` one."""
    import pretty_midi

    if chords is not None:
        midi = windows_to_pretty_midi(windows, qpm, velocity, gap_steps, to_notes)
        accompaniment = windows_to_pretty_midi(chords, qpm, velocity - 20, gap_steps, chord_notes).instruments[0]
        accompaniment.name = "chords"
        midi.instruments.append(accompaniment)
        return midi

    seconds_per_step = 60.0 / qpm / STEPS_PER_QUARTER
    midi = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    midi.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    instrument = pretty_midi.Instrument(program=0, name="melody")
    offset = 0
    for window in np.atleast_2d(np.asarray(windows)):
        for pitch, start, end in to_notes(window):
            instrument.notes.append(
                pretty_midi.Note(velocity, pitch, (offset + start) * seconds_per_step, (offset + end) * seconds_per_step)
            )
        offset += len(window) + gap_steps
    midi.instruments.append(instrument)
    return midi


def windows_to_midi(windows, path: Path, qpm: float = DEFAULT_QPM, velocity: int = DEFAULT_VELOCITY, gap_steps: int = 0) -> Path:
    """Write windows (one (T,) window or several (N, T), played in order) to a MIDI file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    windows_to_pretty_midi(windows, qpm, velocity, gap_steps).write(str(path))
    return path


def transpose(windows: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Transpose each window by its own number of semitones: (B, T) classes, (B,) shifts.

    A note pushed out of 21..108 is dropped: its onset becomes a note-off, so the
    window keeps its rhythm and stays a valid melody.
    """
    windows = windows.long()
    is_pitch = windows >= FIRST_PITCH_CLASS
    moved = windows + shifts.view(-1, 1).long()
    in_range = (moved >= FIRST_PITCH_CLASS) & (moved < NUM_CLASSES)
    out = torch.where(is_pitch & in_range, moved, windows)
    return torch.where(is_pitch & ~in_range, torch.full_like(out, NOTE_OFF), out)


def random_transpose(windows: torch.Tensor, max_shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform transposition in [-max_shift, max_shift] semitones per window."""
    if max_shift <= 0:
        return windows.long()
    shifts = batch_noise(lambda shape, **kw: torch.randint(-max_shift, max_shift + 1, shape, **kw),
                         (windows.shape[0],), generator=generator)
    return transpose(windows, shifts.to(windows.device))
