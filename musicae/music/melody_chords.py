"""The chord-conditioned melody encoding (MusicVAE's `cat-mel_2bar_med_chords`): the 90 melody classes per
step, conditioned on the chord of each step (chords.py's 49 classes).

Windows are the melody encoding's; each window's conditions are the chords of its steps. The same melody
over other chords is another window (deduplication looks at both). Transposition moves notes and chords
together.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from musicae.autoencoding.distributed import batch_noise
from musicae.music.chords import CHORD_TRACK_NAMES, NO_CHORD, NUM_CHORD_CLASSES, infer_chords
from musicae.music.encoding import transpose
from musicae.music.encodings import Extraction
from musicae.music.extract import capped_rows, windows_from_segments
from musicae.music.melody import MelodyEncoding
from musicae.music.segments import Segment


def transpose_chords(chords: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """(B, T) chord classes moved by (B,) semitones; no-chord stays."""
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


class ChordMelodyEncoding(MelodyEncoding):
    name = "melody_chords"
    condition_classes = NUM_CHORD_CLASSES

    def extract(self, segments, options, source: str = "") -> Extraction:
        steps = options.window_steps
        segments = [with_chords(s) for s in segments]
        if not any(s.chords is not None for s in segments):
            return Extraction(np.zeros((0, steps), np.uint8), reason="no_chords",
                              detail="no chords: no chord annotations (chord_midi.txt), no track named chords, and "
                                     "no accompaniment to infer them from")
        found = windows_from_segments(segments, replace(options, deduplicate=False, max_windows_per_file=0), source)
        if not len(found.windows):
            return found
        conditions = np.zeros_like(found.windows)
        for row, (segment, _, start, _) in enumerate(found.origins):
            chords = segments[segment].chords
            if chords is not None:
                part = chords[start : start + steps]
                conditions[row, : len(part)] = part
        keep = np.ones(len(found.windows), dtype=bool)
        if options.deduplicate:
            both = np.concatenate([found.windows, conditions], axis=1)
            _, first = np.unique(both, axis=0, return_index=True)
            keep[:] = False
            keep[np.sort(first)] = True
        rows = np.flatnonzero(keep)
        rows = rows[capped_rows(len(rows), options, source)]
        return Extraction(found.windows[rows], found.origins[rows], conditions[rows], counts=found.counts)

    def augment(self, tokens, conditions, amount, generator=None):
        """The same uniform transposition within +-amount semitones for the notes and the chords."""
        if amount <= 0:
            return tokens, conditions
        shifts = batch_noise(lambda shape, **kw: torch.randint(-amount, amount + 1, shape, **kw),
                             (tokens.shape[0],), generator=generator).to(tokens.device)
        return transpose(tokens, shifts), transpose_chords(conditions.long(), shifts)
