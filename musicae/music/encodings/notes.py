"""Notes out: rows of any encoding -> `Note`s with their parts -> pretty_midi / MIDI bytes.

Parts become instruments in order of first appearance, each with its program and drum flag; drums play on
channel 10 (pretty_midi's `is_drum`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from musicae.music.data.segments import STEPS_PER_QUARTER
from musicae.music.encodings.base import Note, SequenceEncoding


def rows_notes(encoding: SequenceEncoding, rows: Mapping[str, np.ndarray], gap_steps: int = 0,
               starts=None) -> list[Note]:
    """The notes of rows (each stream (N, T, ...)) played one after another, `gap_steps` of silence between; or,
    with `starts` (N steps), each row at its step, cut where the next one starts: windows come back where they
    were in the input, its silences and its length kept."""
    notes, offset = [], 0
    count = len(next(iter(rows.values()))) if rows else 0
    for i in range(count):
        row = {name: values[i] for name, values in rows.items()}
        if starts is not None:
            offset = int(starts[i])
        until = int(starts[i + 1]) - offset if starts is not None and i + 1 < count else None
        for note in encoding.to_notes(row):
            if until is not None and note.start >= until:
                continue
            end = note.end if until is None else min(note.end, until)
            notes.append(Note(note.pitch, note.start + offset, end + offset, note.velocity, note.part,
                              note.program, note.is_drum))
        offset += encoding.row_sixteenths(row) + gap_steps
    return notes


def notes_to_pretty_midi(notes: list[Note], qpm: float = 120.0, steps_per_quarter: int = STEPS_PER_QUARTER,
                         meter: tuple[int, int] = (4, 4), parts: list[tuple[str, int, bool]] = (),
                         program: int | None = None):
    """A pretty_midi.PrettyMIDI with one instrument per part (name, program, is_drum); `parts` lists instruments
    to create even when they have no note (a silent melody is still a melody track). `program` (General MIDI,
    0..127) replaces every pitched part's own."""
    import pretty_midi

    seconds_per_step = 60.0 / qpm / steps_per_quarter
    midi = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    midi.time_signature_changes.append(pretty_midi.TimeSignature(*meter, 0.0))
    instruments: dict[tuple[str, int, bool], pretty_midi.Instrument] = {}

    def instrument(key):
        if key not in instruments:
            chosen = key[1] if program is None or key[2] else program
            instruments[key] = pretty_midi.Instrument(program=chosen, is_drum=key[2], name=key[0])
            midi.instruments.append(instruments[key])
        return instruments[key]

    for key in parts:
        instrument(key)
    shortest = 2 * 60.0 / (qpm * midi.resolution)  # two ticks: a note-off never shares its note-on's tick
    for note in notes:
        start = max(note.start * seconds_per_step, 0.0)
        end = max(note.end * seconds_per_step, start + shortest)
        velocity = int(np.clip(note.velocity, 1, 127))
        instrument((note.part, note.program, note.is_drum)).notes.append(pretty_midi.Note(velocity, note.pitch, start,
                                                                                          end))
    return midi


def rows_to_pretty_midi(encoding: SequenceEncoding, rows: Mapping[str, np.ndarray], qpm: float | None = None,
                        gap_steps: int = 0, program: int | None = None, meter: tuple[int, int] = (4, 4),
                        starts=None):
    return notes_to_pretty_midi(rows_notes(encoding, rows, gap_steps, starts), qpm or encoding.qpm, meter=meter,
                                parts=encoding.parts(), program=program)


def rows_to_midi_bytes(encoding: SequenceEncoding, rows: Mapping[str, np.ndarray], qpm: float | None = None,
                       gap_steps: int = 0, program: int | None = None, meter: tuple[int, int] = (4, 4),
                       starts=None) -> bytes:
    buffer = io.BytesIO()
    rows_to_pretty_midi(encoding, rows, qpm, gap_steps, program, meter, starts).write(buffer)
    return buffer.getvalue()


def write_rows_midi(encoding: SequenceEncoding, rows: Mapping[str, np.ndarray], path: Path, qpm: float | None = None,
                    gap_steps: int = 0) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rows_to_midi_bytes(encoding, rows, qpm, gap_steps))
    return path
