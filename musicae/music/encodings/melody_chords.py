"""The chord-conditioned melody encoding (MusicVAE's `cat-mel_2bar_med_chords`): the 90 melody classes per
step, conditioned on the chord of each step (chords.py's 49 classes).

Windows are the melody encoding's; each window's conditions are the chords of its steps. The same melody
over other chords is another window (deduplication looks at both). Transposition moves notes and chords
together.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # type hints only: torch is imported where it is used
    import torch

from musicae.music.data.segments import Segment
from musicae.music.encodings.base import Extraction, Note, Rows, Stream, capped_rows, deduplicated
from musicae.music.encodings.chords import (
    CHORD_TRACK_NAMES,
    NO_CHORD,
    NUM_CHORD_CLASSES,
    chord_notes,
    chord_pitches,
    infer_chords,
)
from musicae.music.encodings.melody import (
    DEFAULT_VELOCITY,
    MelodyEncoding,
    random_shifts,
    transpose,
    window_to_notes,
)
from musicae.music.encodings.melody_extraction import windows_from_segments


def transpose_chords(chords: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """(B, T) chord classes moved by (B,) semitones; no-chord stays."""
    import torch  # at call time: the encodings import without torch

    root, quality = torch.div(chords - 1, 4, rounding_mode="floor"), (chords - 1) % 4
    moved = 1 + 4 * ((root + shifts[:, None]) % 12) + quality
    return torch.where(chords == NO_CHORD, chords, moved)


def with_chords(segment: Segment) -> Segment:
    """The segment with its chords: annotated ones as they are; else inferred from a track named `chords`
    (whose notes then leave the melody candidates), or from all pitched notes when there are several
    tracks (MusicVAE's choice for Lakh MIDI); a lone melody track has none."""
    if segment.chords is not None:
        return segment
    names = segment.track_names or {}
    pitched = (~segment.is_drum) & (segment.velocity > 0)
    chord_tracks = [i for i, name in names.items() if name.strip().lower() in CHORD_TRACK_NAMES]
    source = pitched & np.isin(segment.instrument, chord_tracks) if chord_tracks else pitched
    if not source.any() or (not chord_tracks and len(np.unique(segment.instrument[pitched])) < 2):
        return segment
    start = np.floor(segment.start[source] + 0.5).astype(np.int64)
    end = np.maximum(np.floor(segment.end[source] + 0.5).astype(np.int64), start + 1)
    steps = int(np.ceil(segment.end.max())) + 1
    chords = infer_chords(start, end, segment.pitch[source].astype(np.int64), steps)
    melodic = ~np.isin(segment.instrument, chord_tracks)
    return replace(segment, start=segment.start[melodic], end=segment.end[melodic], pitch=segment.pitch[melodic],
                   velocity=segment.velocity[melodic], instrument=segment.instrument[melodic],
                   is_drum=segment.is_drum[melodic], chords=chords)


def chord_tone_ratio(windows, chords) -> float:
    """The share of note onsets whose pitch class is in the chord sounding at that step (onsets under no chord
    are not counted): (N, T) melody windows, (N, T) chord classes."""
    hits = total = 0
    for window, row in zip(windows, chords):
        for pitch, start, _ in window_to_notes(window):
            if row[start]:
                total += 1
                hits += pitch % 12 in {p % 12 for p in chord_pitches(int(row[start]))}
    return round(hits / max(total, 1), 4)



class ChordMelodyEncoding(MelodyEncoding):
    """The melody's `notes`, with a `chords` control stream (49 classes per step) played by a `chords` part."""

    name = "melody_chords"
    streams = (*MelodyEncoding.streams, Stream("chords", classes=NUM_CHORD_CLASSES, role="control"))
    chord_part = ("chords", 0, False)

    def extract(self, segments, options, source: str = "") -> Extraction:
        steps = options.bars * self.steps_per_bar
        segments = [with_chords(s) for s in segments]
        if not any(s.chords is not None for s in segments):
            return self.empty(steps, "no_chords", "no chords: no chord annotations (chord_midi.txt), no track named "
                                                  "chords, and no accompaniment to infer them from")
        found = windows_from_segments(segments, replace(options, deduplicate=False, max_windows_per_file=0), source)
        if not len(found):
            return Extraction(self.empty_rows(steps), found.origins, found.reason, found.detail, found.counts)
        windows = found.rows["notes"]
        conditions = np.zeros_like(windows)
        for row, (segment, _, start, _) in enumerate(found.origins):
            chords = segments[segment].chords
            if chords is not None:
                part = chords[start : start + steps]
                conditions[row, : len(part)] = part
        rows = Rows(notes=windows, chords=conditions)
        keep = deduplicated(rows) if options.deduplicate else np.arange(len(windows))
        keep = keep[capped_rows(len(keep), options, source)]
        return Extraction(rows.take(keep), found.origins[keep], counts=found.counts)

    def to_notes(self, row) -> list[Note]:
        """The melody, and the chords' voicing when the row has them (a melody alone plays without)."""
        chords = chord_notes(row["chords"]) if "chords" in row else []
        return super().to_notes(row) + [Note(pitch, start, end, DEFAULT_VELOCITY - 20, *self.chord_part)
                                        for pitch, start, end in chords]

    def parts(self) -> list[tuple[str, int, bool]]:
        return [self.part, self.chord_part]

    def augment(self, batch, amount, generator=None):
        """The same uniform transposition within +-amount semitones for the notes and the chords."""
        if amount <= 0:
            return batch
        notes = batch["notes"]
        shifts = random_shifts(len(notes), amount, notes.device, generator)
        return batch.with_streams(notes=transpose(notes, shifts), chords=transpose_chords(batch["chords"].long(), shifts))


MELODY_CHORDS = ChordMelodyEncoding()
