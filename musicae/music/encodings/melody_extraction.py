"""Melody extraction with MusicVAE's semantics, from MIDI files or NoteSequences.

Two paths produce the same windows:
- the fast path parses MIDI with symusic (C++) and runs the extraction rules on numpy arrays;
- the reference path is the plain note-seq pipeline (pretty_midi parse, split on time
  changes, quantize, `Melody.from_quantized_sequence`), kept for tests and benchmarks.

Rules (MusicVAE's `OneHotMelodyConverter` with `extract_melodies`):
1. split at tempo and time-signature changes; keep the pieces with 16 steps per bar;
2. drop drum notes, zero-velocity notes and pitches outside 21..108;
3. per instrument, notes sorted by onset then pitch descending: at a shared onset the
   highest note wins; a later onset cuts a sounding note;
4. a melody starts at the bar of its first note, ends at a silence of >= gap_bars bars,
   is padded to a bar boundary and must be at least one bar long;
5. windows of `bars` bars slide one bar at a time over each melody, deduplicated per file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from musicae.music.data.segments import (
    STEPS_PER_QUARTER,
    Segment,
    segments_from_note_sequence,
    segments_from_score,
)
from musicae.music.encodings.base import MAX_STEPS, Extraction, ExtractOptions, Rows, capped_rows

# The melody vocabulary (classes per step), which extraction writes and musicae.music.encodings.melody reads.
NO_EVENT = 0
NOTE_OFF = 1
MIN_PITCH = 21
MAX_PITCH = 108
FIRST_PITCH_CLASS = 2
NUM_CLASSES = FIRST_PITCH_CLASS + MAX_PITCH - MIN_PITCH + 1  # 90
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



# ----------------------------------------------------------------------------- melodies
def _quantize(steps: np.ndarray) -> np.ndarray:
    # note-seq's quantize_to_step with cutoff 0.5: int(x + 0.5)
    return np.floor(steps + 0.5).astype(np.int64)


def melodies_from_notes(start: np.ndarray, end: np.ndarray, pitch: np.ndarray, steps_per_bar: int,
                        gap_bars: int) -> list[tuple[int, list[int]]]:
    """All melodies of one instrument, as (start step, note-seq Melody events: -2 no event, -1 off, pitch).

    start/end are quantized steps; notes must already be filtered (no drums, no zero velocity).
    Mirrors `Melody.from_quantized_sequence` in a loop, as `extract_melodies` does.
    """
    order = np.lexsort((-pitch, start))
    start, end, pitch = start[order].tolist(), end[order].tolist(), pitch[order].tolist()
    melodies = []
    search_start = 0
    first = 0  # index of the first note at or after search_start
    while first < len(start):
        melody_start = start[first] - (start[first] - search_start) % steps_per_bar
        events: list[int] = []
        last_on = last_off = 0
        for i in range(first, len(start)):
            on, off = start[i] - melody_start, end[i] - melody_start
            if events:
                if on == last_on:
                    continue  # same onset, lower pitch: keep the highest
                if on - last_off >= gap_bars * steps_per_bar:
                    break
            # _add_note: resize to off + 1 (a later onset cuts a sounding note), then write
            if len(events) > off + 1:
                del events[off + 1 :]
            else:
                events.extend([MELODY_NO_EVENT] * (off + 1 - len(events)))
            events[on] = pitch[i]
            events[on + 1 : off] = [MELODY_NO_EVENT] * (off - on - 1)
            events[off] = MELODY_NOTE_OFF
            last_on, last_off = on, off
        if not events:
            break
        if events[-1] == MELODY_NOTE_OFF:
            events.pop()
        padding = -len(events) % steps_per_bar
        if padding:
            # Melody.set_length ends a note still sounding at the old end when it pads
            ends_sounding = next((e for e in reversed(events) if e != MELODY_NO_EVENT), MELODY_NOTE_OFF) >= 0
            old_length = len(events)
            events.extend([MELODY_NO_EVENT] * padding)
            if ends_sounding:
                events[old_length] = MELODY_NOTE_OFF
        end_step = melody_start + len(events)
        search_start = end_step + (0 - end_step) % steps_per_bar
        while first < len(start) and start[first] < search_start:
            first += 1
        if len(events) >= steps_per_bar:  # at least one bar
            melodies.append((melody_start, events))
    return melodies


def _windows_of(melody_classes: np.ndarray, window_steps: int, hop: int) -> list[tuple[int, bytes]]:
    """(offset, window bytes) of each window sliding `hop` steps over a melody."""
    return [(i, melody_classes[i : i + window_steps].tobytes())
            for i in range(0, len(melody_classes) - window_steps + 1, hop)]


def windows_from_segments(segments: list[Segment], options: ExtractOptions, source: str = "") -> Extraction:
    counts = {"notes": 0, "segments": len(segments), "segments_used": 0, "melodies": 0}
    # window bytes -> origin (segment, track, start step, start bar); the first occurrence is kept
    seen: dict[bytes, tuple] | list[tuple[bytes, tuple]] = {} if options.deduplicate else []
    meters, longest, drums_only, out_of_range = set(), 0, False, False
    for segment in segments:
        if len(segment.end) and float(segment.end.max()) > MAX_STEPS:
            return Extraction(Rows(notes=np.zeros((0, options.bars * STEPS_PER_BAR), np.uint8)), reason="too_long",
                              detail=f"a piece lasts {float(segment.end.max()):.3g} steps, over the {MAX_STEPS} "
                                     f"(65,536 bars) windowed")
    for index, segment in enumerate(segments):
        counts["notes"] += len(segment.pitch)
        spb = segment.steps_per_bar
        if spb != STEPS_PER_BAR and not (options.any_meter and spb == int(spb) and spb > 0):
            if len(segment.pitch):
                meters.add(f"{segment.numerator}/{segment.denominator}")
            continue
        spb = int(spb)
        keep = (~segment.is_drum) & (segment.velocity > 0) & (segment.pitch >= MIN_PITCH) & (segment.pitch <= MAX_PITCH)
        if not keep.any():
            drums_only |= bool(segment.is_drum.any())
            out_of_range |= bool(len(segment.pitch)) and not segment.is_drum.all()
            continue
        counts["segments_used"] += 1
        start, end = _quantize(segment.start[keep]), _quantize(segment.end[keep])
        end = np.where(end == start, end + 1, end)
        pitch, instrument = segment.pitch[keep].astype(np.int64), segment.instrument[keep]
        for inst in np.unique(instrument):
            mine = instrument == inst
            for melody_start, events in melodies_from_notes(start[mine], end[mine], pitch[mine], spb, options.gap_bars):
                counts["melodies"] += 1
                longest = max(longest, len(events) // spb)
                for offset, w in _windows_of(melody_events_to_classes(events), options.bars * STEPS_PER_BAR, spb * options.hop_bars):
                    step = melody_start + offset
                    origin = (index, int(inst), step, segment.start_bar + step // spb)
                    if options.deduplicate:
                        seen.setdefault(w, origin)
                    else:
                        seen.append((w, origin))
    pairs = list(seen.items()) if options.deduplicate else seen
    steps = options.bars * STEPS_PER_BAR
    windows = np.frombuffer(b"".join(w for w, _ in pairs), dtype=np.uint8).reshape(-1, steps).copy()
    origins = np.array([o for _, o in pairs], dtype=np.int64).reshape(-1, 4)
    keep_rows = capped_rows(len(windows), options, source)
    windows, origins = windows[keep_rows], origins[keep_rows]
    counts["windows"] = len(windows)
    if len(windows):
        return Extraction(Rows(notes=windows), origins, counts=counts)

    def nothing(reason: str, detail: str) -> Extraction:
        return Extraction(Rows(notes=windows), origins, reason=reason, detail=detail, counts=counts)

    if counts["notes"] == 0:
        return nothing("no_notes", "no notes")
    if counts["segments_used"] == 0 and meters:
        return nothing("meter", f"no section with 16-step bars (meters found: {', '.join(sorted(meters))}); "
                                "--any-meter windows them")
    if counts["segments_used"] == 0 and drums_only and not out_of_range:
        return nothing("drums_only", "only drum notes")
    if counts["segments_used"] == 0:
        return nothing("out_of_range", f"no melodic notes in pitch range {MIN_PITCH}..{MAX_PITCH}")
    return nothing("too_short", f"no melody as long as a {options.bars}-bar window (longest: {longest} bars)")


# ----------------------------------------------------------------------------- public API
def windows_from_note_sequence(sequence, options: ExtractOptions | None = None) -> np.ndarray:
    """(N, T) uint8 windows of a NoteSequence."""
    options = options or ExtractOptions()
    return windows_from_segments(segments_from_note_sequence(sequence), options).rows["notes"]


def load_score(path: Path):
    import symusic

    return symusic.Score(str(path))


def windows_from_midi(path: Path, options: ExtractOptions | None = None) -> np.ndarray:
    """(N, T) uint8 windows of a MIDI file (fast path)."""
    options = options or ExtractOptions()
    return windows_from_segments(segments_from_score(load_score(path)), options, str(path)).rows["notes"]


def reference_windows_from_midi(path: Path, options: ExtractOptions | None = None) -> np.ndarray:
    """The plain note-seq path, for comparison: parse, split, quantize, Melody extraction."""
    import note_seq
    from note_seq import sequences_lib

    options = options or ExtractOptions()
    sequence = note_seq.midi_file_to_note_sequence(str(path))
    seen: dict[bytes, None] = {}
    for piece in sequences_lib.split_note_sequence_on_time_changes(sequence):
        quantized = sequences_lib.quantize_note_sequence(piece, STEPS_PER_QUARTER)
        if sequences_lib.steps_per_bar_in_quantized_sequence(quantized) != STEPS_PER_BAR:
            continue
        kept = [n for n in quantized.notes if not n.is_drum and n.velocity and MIN_PITCH <= n.pitch <= MAX_PITCH]
        del quantized.notes[:]
        quantized.notes.extend(kept)
        for instrument in sorted({n.instrument for n in quantized.notes}):
            search_start = 0
            while True:
                melody = note_seq.Melody()
                melody.from_quantized_sequence(
                    quantized, search_start_step=search_start, instrument=instrument, gap_bars=options.gap_bars,
                    ignore_polyphonic_notes=True, pad_end=True,
                )
                if not melody:
                    break
                search_start = melody.end_step + (0 - melody.end_step) % melody.steps_per_bar
                if len(melody) < melody.steps_per_bar:
                    continue
                classes = melody_events_to_classes(list(melody))
                for _, w in _windows_of(classes, options.bars * STEPS_PER_BAR, STEPS_PER_BAR):
                    seen.setdefault(w, None)
    return np.frombuffer(b"".join(seen), dtype=np.uint8).reshape(-1, options.bars * STEPS_PER_BAR).copy()
