"""The multitrack encodings (issue 22): each 4/4 bar of a piece as up to 8 tracks of performance events
(multitrack_events.py holds the vocabulary), on the contract every encoding signs.

One stream, `tracks`: a row of `bars` bars is (bars * MAX_TRACKS, TRACK_TOKENS) tokens, a track per line, so a
"step" of this encoding is a track, and `steps_per_bar` is MAX_TRACKS. `multitrack_chords` adds a `chords`
control: the chord of each sixteenth of the bar (49 classes), repeated on each track's line, which is what a
user gives; the model reads, with each token, the chord sounding when that token is read (the program token
gets "no chord"), in time with the events it writes.

Extraction (magenta's MultiInstrumentPerformanceConverter, relaxed): every bar of 16 sixteenths (4/4, 2/2)
whose notes fit is kept, numbered from the file's start; a note belongs to the bar it starts in, at 24 steps a
quarter, and is cut at the bar line. The reference keeps bars of 2 to 8 tracks; this keeps bars of 1 to 8 (a
drum bar alone, a chorale's bar where three voices rest), which the README says.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

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
from musicae.music.encodings.chords import NUM_CHORD_CLASSES
from musicae.music.encodings.multitrack_events import (
    DRUMS,
    MAX_TRACKS,
    NOTE_OFF,
    SHIFT,
    STEPS_PER_BAR,
    STEPS_PER_QUARTER,
    TRACK_TOKENS,
    VELOCITY,
    VOCABULARY,
    BarRefused,
    Track,
    bar_tokens,
    tokens_to_notes,
)

SIXTEENTHS_PER_BAR = 16
FINE = STEPS_PER_QUARTER // 4  # event steps per sixteenth


def piece_bars(segment) -> dict[int, list[Track]]:
    """bar index within the segment -> its tracks: each sounding note in the bar it starts in, at 24 steps a
    quarter, cut at the bar line; tracks keep the segment's instrument order."""
    sounding = segment.velocity > 0
    onsets = np.rint(segment.start[sounding] * FINE).astype(np.int64)
    ends = np.rint(segment.end[sounding] * FINE).astype(np.int64)
    pitches, velocities = segment.pitch[sounding], segment.velocity[sounding]
    instruments, drums = segment.instrument[sounding], segment.is_drum[sounding]
    programs = segment.programs or {}
    notes: dict[int, dict[int, list]] = {}
    for onset, end, pitch, velocity, instrument in zip(onsets, ends, pitches, velocities, instruments):
        bar, begin = divmod(int(onset), STEPS_PER_BAR)
        stop = min(STEPS_PER_BAR, max(begin + 1, int(end) - bar * STEPS_PER_BAR))
        notes.setdefault(bar, {}).setdefault(int(instrument), []).append((int(pitch), begin, stop, int(velocity)))
    is_drum = dict(zip(instruments.tolist(), drums.tolist()))
    return {bar: [Track(0 if is_drum[i] else int(programs.get(i, 0)), bool(is_drum[i]), tuple(n))
                  for i, n in sorted(tracks.items())]
            for bar, tracks in notes.items()}


def token_times(tokens: np.ndarray) -> np.ndarray:
    """(..., L) tokens -> (..., L) the bar time (in event steps) at which each token is read."""
    shifts = np.where((tokens >= SHIFT) & (tokens < VELOCITY), tokens - SHIFT + 1, 0)
    return np.cumsum(shifts, axis=-1) - shifts


class MultitrackEncoding(SequenceEncoding):
    """Bars of up to 8 instruments (programs, drums, velocities), as Simon et al. 2018."""

    name = "multitrack"
    streams = (Stream("tracks", classes=VOCABULARY, width=TRACK_TOKENS, onset_from=0),)
    steps_per_bar = MAX_TRACKS
    default_bars = 1
    reads_every_track = True
    instruments = True
    """Annotated collections (POP909) give all their tracks, not the melody alone."""

    def bar_rows(self, segments, options) -> tuple[list, list, Counter, set]:
        """(tokens of each kept bar, its origin, refusal counts, meters passed over), bar by bar in file order."""
        rows, origins, refused, meters = [], [], Counter(), set()
        for index, segment in enumerate(segments):
            if not len(segment.pitch):
                continue
            if segment.steps_per_bar != SIXTEENTHS_PER_BAR:
                meters.add(f"{segment.numerator}/{segment.denominator}")
                refused["not_4_4"] += max(1, int(np.ceil(segment.bars(float(segment.end.max())))))
                continue
            for bar, tracks in sorted(piece_bars(segment).items()):
                try:
                    tokens = bar_tokens(tracks)
                except BarRefused as why:
                    refused[why.reason] += 1
                    continue
                rows.append(tokens)
                origins.append((index, 0, bar * SIXTEENTHS_PER_BAR, segment.start_bar + bar))
        return rows, origins, refused, meters

    def extract(self, segments, options, source: str = "") -> Extraction:
        steps = self.window_steps(options.bars)
        ends = [float(s.end.max()) for s in segments if len(s.end)]
        if any(end > MAX_STEPS for end in ends):
            return self.empty(steps, "too_long", f"a piece lasts {max(ends):.3g} steps, over the {MAX_STEPS} "
                                                 f"(65,536 bars) read")
        if not ends:
            return self.empty(steps, "no_notes", "no notes")
        bars, origins, refused, meters = self.bar_rows(segments, options)
        windows, kept = self.windows(bars, origins, options)
        counts = {"bars": len(bars), **{f"refused_{k}": v for k, v in sorted(refused.items())}}
        if not windows:
            return self.nothing(steps, bars, refused, meters, options, counts)
        rows = self.with_controls(Rows(tracks=np.stack(windows)), segments, np.array(kept, np.int64))
        if not rows:
            return self.empty(steps, "no_chords", "no chords: no chord annotations (chord_midi.txt) and no "
                                                  "accompaniment to infer them from")
        origins = np.array(kept, np.int64).reshape(-1, 4)
        keep = deduplicated(rows) if options.deduplicate else np.arange(len(origins))
        keep = keep[capped_rows(len(keep), options, source)]
        counts["windows"] = len(keep)
        return Extraction(rows.take(keep), origins[keep], counts=counts)

    def windows(self, bars, origins, options) -> tuple[list, list]:
        """Runs of `options.bars` consecutive kept bars of one segment, starting every `hop_bars` bars."""
        if options.bars == 1:
            return bars, origins
        at = {(o[0], o[2] // SIXTEENTHS_PER_BAR): i for i, o in enumerate(origins)}
        windows, kept = [], []
        for i, (segment, _, start, _) in enumerate(origins):
            first = start // SIXTEENTHS_PER_BAR
            if first % options.hop_bars:
                continue
            run = [at.get((segment, first + k)) for k in range(options.bars)]
            if None not in run:
                windows.append(np.concatenate([bars[j] for j in run]))
                kept.append(origins[i])
        return windows, kept

    def nothing(self, steps, bars, refused, meters, options, counts) -> Extraction:
        if meters and not bars and set(refused) == {"not_4_4"}:
            reason, detail = "meter", f"no 4/4 bar (meters found: {', '.join(sorted(meters))})"
        elif bars:
            reason, detail = "too_short", f"no {options.bars} consecutive bars that fit (kept {len(bars)} bars)"
        elif refused:
            reason = max(sorted(refused), key=refused.__getitem__)
            detail = "no bar fits: " + ", ".join(f"{n} {k}" for k, n in refused.most_common())
        else:
            reason, detail = "no_notes", "no sounding notes"
        return Extraction(self.empty_rows(steps), reason=reason, detail=detail, counts=counts)

    def with_controls(self, rows: Rows, segments, origins) -> Rows:
        return rows

    @property
    def sixteenths_per_bar(self) -> int:
        return SIXTEENTHS_PER_BAR

    def row_sixteenths(self, row) -> int:
        return len(row["tracks"]) // MAX_TRACKS * SIXTEENTHS_PER_BAR

    def to_notes(self, row) -> list[Note]:
        tokens = np.asarray(row["tracks"])
        notes = []
        for bar in range(len(tokens) // MAX_TRACKS):
            part = tokens[bar * MAX_TRACKS : (bar + 1) * MAX_TRACKS]
            for note in tokens_to_notes(part, bar * STEPS_PER_BAR):
                notes.append(replace(note, start=note.start / FINE, end=note.end / FINE))
        return notes

    def augment(self, batch, amount, generator=None):
        """Each row's pitched tracks moved by one random transposition within +-amount semitones (a row whose
        notes would leave 0..127 stays as it is); drums stay."""
        if amount <= 0:
            return batch
        import torch

        from musicae.music.encodings.melody import random_shifts

        tokens = batch["tracks"].long()
        shifts = random_shifts(len(tokens), amount, tokens.device, generator).view(-1, 1, 1)
        pitched = (tokens < SHIFT) & (tokens[..., :1] != DRUMS)
        moved = tokens + torch.where(pitched, shifts, torch.zeros_like(shifts))
        base = torch.where(tokens < NOTE_OFF, 0, NOTE_OFF)
        fits = (~pitched | ((moved >= base) & (moved < base + 128))).flatten(1).all(1).view(-1, 1, 1)
        tokens = torch.where(fits, moved, tokens)
        streams = {"tracks": tokens}
        if "chords" in batch.streams:
            from musicae.music.encodings.melody_chords import transpose_chords

            chords = batch["chords"].long()
            moved_chords = transpose_chords(chords.flatten(1), shifts.view(-1)).view_as(chords)
            streams["chords"] = torch.where(fits, moved_chords, chords)
        return batch.with_streams(**streams)

    def parts(self) -> list[tuple[str, int, bool]]:
        return []


class MultitrackChordsEncoding(MultitrackEncoding):
    """The bars with a `chords` control: annotated chords (POP909), else chords inferred from the bar's
    pitched notes (the chords issue's inference)."""

    name = "multitrack_chords"
    streams = (*MultitrackEncoding.streams,
               Stream("chords", classes=NUM_CHORD_CLASSES, width=SIXTEENTHS_PER_BAR, role="control"))

    def with_controls(self, rows: Rows, segments, origins) -> Rows:
        from musicae.music.encodings.melody_chords import with_chords

        grids = {}
        for index in np.unique(origins[:, 0]) if len(origins) else ():
            chords = with_chords(segments[index]).chords
            grids[int(index)] = chords
        if not any(g is not None for g in grids.values()):
            return Rows()
        tracks = rows["tracks"]
        chords = np.zeros((*tracks.shape[:2], SIXTEENTHS_PER_BAR), np.uint8)
        for row, (segment, _, start, _) in enumerate(origins):
            grid = grids[int(segment)]
            for bar in range(len(tracks[row]) // MAX_TRACKS):
                first = start + bar * SIXTEENTHS_PER_BAR
                if grid is not None:
                    piece = grid[first : first + SIXTEENTHS_PER_BAR]
                    chords[row, bar * MAX_TRACKS : (bar + 1) * MAX_TRACKS, : len(piece)] = piece
        return Rows(tracks=tracks, chords=chords)

    def chords_for_bars(self, classes: np.ndarray) -> np.ndarray:
        """(W, bars) one chord per bar -> (W, bars * tracks, 16) this encoding's chords stream."""
        classes = np.asarray(classes)
        per_line = np.repeat(classes, MAX_TRACKS, axis=1)  # (W, bars * K)
        return np.repeat(per_line[..., None], SIXTEENTHS_PER_BAR, axis=2).astype(np.uint8)


MULTITRACK = MultitrackEncoding()
MULTITRACK_CHORDS = MultitrackChordsEncoding()
