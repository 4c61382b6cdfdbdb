"""MusicVAE's trio (`hierdec-trio_16bar`): a melody, a bass line and drums, each its own stream of sixteenths.

Parts follow MusicVAE: an instrument with a GM program of 0-31 can be the melody, 32-39 the bass, and the drum
notes (channel 10) the drums. Each pitched part is read as a monophonic line (the highest note of an onset
wins, a later onset cuts a sounding note: the melody encoding's rules, 90 classes); the drums as MusicVAE's 9
drum classes (512 per step). A window of `bars` bars (16 for the trio) is kept where all three play in it;
when several instruments could be the melody (or the bass), the one with the most onsets in the window is.
"""

from __future__ import annotations

import numpy as np

from musicae.music.encodings.base import (
    MAX_STEPS,
    Extraction,
    Note,
    Rows,
    SequenceEncoding,
    Stream,
    capped_rows,
    deduplicated,
)
from musicae.music.encodings.drums import DRUM_PITCHES, NUM_CLASSES, classes_to_hits, drum_steps
from musicae.music.encodings.melody import (
    DEFAULT_VELOCITY,
    FIRST_PITCH_CLASS,
    random_shifts,
    transpose,
    window_to_notes,
)
from musicae.music.encodings.melody import (
    NUM_CLASSES as MELODY_CLASSES,
)
from musicae.music.encodings.melody_extraction import _quantize, melodies_from_notes, melody_events_to_classes

STEPS_PER_BAR = 16
MELODY_PROGRAMS = range(0, 32)
BASS_PROGRAMS = range(32, 40)
PARTS = {"melody": ("melody", 0, False), "bass": ("bass", 33, False), "drums": ("drums", 0, True)}
"""How each stream plays: a piano melody, a finger-picked electric bass, the drums on channel 10."""


def line(segment, chosen: np.ndarray, steps: int, gap_bars: int) -> np.ndarray:
    """(steps,) melody classes of the chosen notes of a segment (0 where none plays): its melodies laid where
    they start."""
    out = np.zeros(steps, np.uint8)
    start, end = _quantize(segment.start[chosen]), _quantize(segment.end[chosen])
    end = np.maximum(end, start + 1)
    for first, events in melodies_from_notes(start, end, segment.pitch[chosen].astype(np.int64), STEPS_PER_BAR,
                                             gap_bars):
        classes = melody_events_to_classes(events)[: max(steps - first, 0)]
        out[first : first + len(classes)] = classes
    return out


class TrioEncoding(SequenceEncoding):
    name = "trio"
    streams = (Stream("melody", classes=MELODY_CLASSES, onset_from=FIRST_PITCH_CLASS),
               Stream("bass", classes=MELODY_CLASSES, onset_from=FIRST_PITCH_CLASS),
               Stream("drums", classes=NUM_CLASSES, onset_from=1))
    steps_per_bar = STEPS_PER_BAR
    default_bars = 16

    def extract(self, segments, options, source: str = "") -> Extraction:
        steps = options.bars * STEPS_PER_BAR
        ends = [float(s.end.max()) for s in segments if len(s.end)]
        if any(end > MAX_STEPS for end in ends):
            return self.empty(steps, "too_long", f"a piece lasts {max(ends):.3g} steps, over the {MAX_STEPS} read")
        if not ends:
            return self.empty(steps, "no_notes", "no notes")
        rows, origins, found = {"melody": [], "bass": [], "drums": []}, [], {"melody": 0, "bass": 0, "drums": 0}
        meters = set()
        for index, segment in enumerate(segments):
            if not len(segment.pitch):
                continue
            if segment.steps_per_bar != STEPS_PER_BAR:
                meters.add(f"{segment.numerator}/{segment.denominator}")
                continue
            bars_long = int(np.ceil(float(segment.end.max()) / STEPS_PER_BAR - 1e-6))
            total = bars_long * STEPS_PER_BAR  # windows lie within the piece's bars
            sounding = segment.velocity > 0
            programs = segment.programs or {}
            program = np.array([programs.get(int(i), 0) for i in segment.instrument], np.int64)
            candidates = {}
            for part, allowed in (("melody", MELODY_PROGRAMS), ("bass", BASS_PROGRAMS)):
                instruments = np.unique(segment.instrument[sounding & ~segment.is_drum & np.isin(program, allowed)])
                candidates[part] = [line(segment, sounding & (segment.instrument == i), total, options.gap_bars)
                                    for i in instruments]
                found[part] += len(instruments)
            drums = sounding & segment.is_drum
            found["drums"] += int(drums.any())
            if not candidates["melody"] or not candidates["bass"] or not drums.any():
                continue
            beats = drum_steps(_quantize(segment.start[drums]), segment.pitch[drums].astype(np.int64), total)
            for start in range(0, total - steps + 1, STEPS_PER_BAR * options.hop_bars):
                window = slice(start, start + steps)
                picked = {part: max(lines, key=lambda one: int((one[window] >= FIRST_PITCH_CLASS).sum()))[window]
                          for part, lines in candidates.items()}
                if all((picked[p] >= FIRST_PITCH_CLASS).any() for p in ("melody", "bass")) and beats[window].any():
                    for part in ("melody", "bass"):
                        rows[part].append(picked[part])
                    rows["drums"].append(beats[window])
                    origins.append((index, 0, start, segment.start_bar + start // STEPS_PER_BAR))
        if not origins:
            return self.nothing(steps, found, meters, options)
        table = Rows({part: np.array(values, s.dtype) for (part, values), s in zip(rows.items(), self.streams)})
        origins = np.array(origins, np.int64)
        keep = deduplicated(table) if options.deduplicate else np.arange(len(origins))
        keep = keep[capped_rows(len(keep), options, source)]
        return Extraction(table.take(keep), origins[keep], counts={**found, "windows": len(keep)})

    def nothing(self, steps: int, found: dict, meters: set, options) -> Extraction:
        missing = [part for part in ("melody", "bass", "drums") if not found[part]]
        if missing:
            what = {"melody": "no melody instrument (GM programs 0-31)", "bass": "no bass (GM programs 32-39)",
                    "drums": "no drums (channel 10)"}
            return self.empty(steps, f"no_{missing[0]}", "; ".join(what[part] for part in missing))
        if meters:
            return self.empty(steps, "meter", f"no section with 16-step bars (meters found: {', '.join(sorted(meters))})")
        return self.empty(steps, "too_short", f"melody, bass and drums never all play in {options.bars} bars together")

    def to_notes(self, row) -> list[Note]:
        notes = []
        for part in ("melody", "bass"):
            notes += [Note(pitch, start, end, DEFAULT_VELOCITY, *PARTS[part])
                      for pitch, start, end in window_to_notes(row[part])]
        for step, hits in enumerate(classes_to_hits(row["drums"])):
            notes += [Note(DRUM_PITCHES[drum][0], step, step + 1, DEFAULT_VELOCITY, *PARTS["drums"])
                      for drum in np.flatnonzero(hits)]
        return notes

    def parts(self) -> list[tuple[str, int, bool]]:
        return list(PARTS.values())

    def augment(self, batch, amount, generator=None):
        """The melody and the bass moved by one random transposition within +-amount semitones; drums stay."""
        if amount <= 0:
            return batch
        melody = batch["melody"]
        shifts = random_shifts(len(melody), amount, melody.device, generator)
        return batch.with_streams(melody=transpose(melody, shifts), bass=transpose(batch["bass"], shifts))


TRIO = TrioEncoding()
