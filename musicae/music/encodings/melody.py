"""The MusicVAE melody encoding: 90 classes per sixteenth-note step.

    0      no event: whatever sounds (a note or silence) continues
    1      note off: silence starts
    2..89  note on, MIDI pitch 21..108 (class = pitch - 19)

4 steps per quarter note, 16 per 4/4 bar: a 2-bar window is 32 steps, a 16-bar window 256.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # type hints only: torch is imported where it is used
    import torch

from musicae.music.encodings.base import Extraction, Note, Rows, SequenceEncoding, Stream
from musicae.music.encodings.melody_extraction import (  # noqa: F401 (the vocabulary, re-exported)
    DEFAULT_QPM,
    DEFAULT_VELOCITY,
    FIRST_PITCH_CLASS,
    MAX_PITCH,
    MELODY_NO_EVENT,
    MELODY_NOTE_OFF,
    MIN_PITCH,
    NO_EVENT,
    NOTE_OFF,
    NUM_CLASSES,
    STEPS_PER_BAR,
    STEPS_PER_QUARTER,
    class_to_pitch,
    melody_events_to_classes,
    pitch_to_class,
    windows_from_segments,
)
from musicae.music.encodings.notes import write_rows_midi


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


def windows_to_midi(windows, path: Path, qpm: float = DEFAULT_QPM, gap_steps: int = 0) -> Path:
    """Write melody windows (one (T,) window or several (N, T), played in order) to a MIDI file."""
    return write_rows_midi(MELODY, Rows(notes=np.atleast_2d(np.asarray(windows))), path, qpm, gap_steps)


def transpose(windows: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Transpose each window by its own number of semitones: (B, T) classes, (B,) shifts.

    A note pushed out of 21..108 is dropped: its onset becomes a note-off, so the
    window keeps its rhythm and stays a valid melody.
    """
    import torch  # here, not at the top: reading and writing MIDI needs no torch (`musicae --help` stays fast)

    windows = windows.long()
    is_pitch = windows >= FIRST_PITCH_CLASS
    moved = windows + shifts.view(-1, 1).long()
    in_range = (moved >= FIRST_PITCH_CLASS) & (moved < NUM_CLASSES)
    out = torch.where(is_pitch & in_range, moved, windows)
    return torch.where(is_pitch & ~in_range, torch.full_like(out, NOTE_OFF), out)


def random_shifts(batch: int, max_shift: int, device, generator: torch.Generator | None = None) -> torch.Tensor:
    """(B,) transpositions drawn uniformly in [-max_shift, max_shift]."""
    import torch

    from musicae.autoencoding.distributed import batch_noise

    shifts = batch_noise(lambda shape, **kw: torch.randint(-max_shift, max_shift + 1, shape, **kw), (batch,),
                         generator=generator)
    return shifts.to(device)


class MelodyEncoding(SequenceEncoding):
    """One `notes` stream of 90 classes per sixteenth (MusicVAE's melody), played by a `melody` part."""

    name = "melody"
    streams = (Stream("notes", classes=NUM_CLASSES, onset_from=FIRST_PITCH_CLASS),)
    steps_per_bar = STEPS_PER_BAR
    part = ("melody", 0, False)

    def extract(self, segments, options, source: str = "") -> Extraction:
        return windows_from_segments(segments, options, source)

    def to_notes(self, row) -> list[Note]:
        return [Note(pitch, start, end, DEFAULT_VELOCITY, *self.part) for pitch, start, end in window_to_notes(row["notes"])]

    def parts(self) -> list[tuple[str, int, bool]]:
        return [self.part]

    def augment(self, batch, amount, generator=None):
        """Uniform transposition within +-amount semitones; notes pushed out of range are dropped."""
        if amount <= 0:
            return batch
        notes = batch["notes"]
        return batch.with_streams(notes=transpose(notes, random_shifts(len(notes), amount, notes.device, generator)))


MELODY = MelodyEncoding()
