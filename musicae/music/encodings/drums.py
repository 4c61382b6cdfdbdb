"""MusicVAE's drum encoding: per sixteenth-note step, the set of its 9 drum classes that are hit.

Each step is one of 2**9 = 512 classes: bit i is set when drum class i (below) is struck at that step, 0 is a
step with no hit. A GM drum pitch maps to its class by MusicVAE's pitch lists; the first pitch of each list is
what decoding plays, on channel 10. Pitches in no list are dropped (and counted).

Extraction (MusicVAE's `DrumsConverter`): the drum notes of a piece in 16-step bars (4/4, 2/2; `--any-meter`
also takes the others) are merged into one drum track, quantized to the nearest step; a drum track starts at
the bar of its first hit and ends at a silence of `gap_bars` bars; windows of `bars` bars slide by `hop_bars`.
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

DRUM_CLASSES = ("kick", "snare", "closed hi-hat", "open hi-hat", "low tom", "mid tom", "high tom", "crash", "ride")
DRUM_PITCHES = (
    (36, 35),
    (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85),
    (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22),
    (46, 67, 72, 74, 79, 81, 26),
    (45, 29, 41, 43, 61, 64, 84),
    (48, 47, 60, 63, 77, 86, 87),
    (50, 30, 62, 76, 83),
    (49, 52, 55, 57, 58),
    (51, 53, 59, 82),
)
NUM_DRUM_CLASSES = len(DRUM_CLASSES)
NUM_CLASSES = 2**NUM_DRUM_CLASSES  # 512
STEPS_PER_BAR = 16
DEFAULT_VELOCITY = 100

PITCH_TO_CLASS = np.full(128, -1, np.int64)
for _index, _pitches in enumerate(DRUM_PITCHES):
    PITCH_TO_CLASS[list(_pitches)] = _index


def hits_to_classes(hits: np.ndarray) -> np.ndarray:
    """(..., 9) 0/1 hits per drum class -> (...) step classes 0..511."""
    return (np.asarray(hits, np.int64) << np.arange(NUM_DRUM_CLASSES)).sum(-1)


def classes_to_hits(classes: np.ndarray) -> np.ndarray:
    """(...) step classes -> (..., 9) 0/1 hits."""
    return (np.asarray(classes, np.int64)[..., None] >> np.arange(NUM_DRUM_CLASSES)) & 1


def drum_steps(onsets: np.ndarray, pitches: np.ndarray, length: int) -> np.ndarray:
    """(length,) step classes of drum notes at integer `onsets` with GM `pitches` (unknown pitches dropped)."""
    drum = PITCH_TO_CLASS[np.clip(pitches, 0, 127)]
    keep = (drum >= 0) & (onsets >= 0) & (onsets < length)
    bits = np.zeros(length, np.int64)
    np.bitwise_or.at(bits, onsets[keep], 1 << drum[keep])
    return bits


def drum_tracks(bits: np.ndarray, steps_per_bar: int, gap_bars: int) -> list[tuple[int, np.ndarray]]:
    """(start step, step classes) of each drum track: from the bar of a hit to a silence of `gap_bars` bars,
    padded to whole bars."""
    hit_steps = np.flatnonzero(bits)
    tracks, i = [], 0
    gap = gap_bars * steps_per_bar
    while i < len(hit_steps):
        first = hit_steps[i]
        start = first - first % steps_per_bar
        j = i
        while j + 1 < len(hit_steps) and hit_steps[j + 1] - hit_steps[j] < gap:
            j += 1
        end = hit_steps[j] + 1
        track = bits[start:end]  # padded with silence to whole bars: the last bar's final steps may hold no hit
        tracks.append((int(start), np.pad(track, (0, -len(track) % steps_per_bar))))
        i = j + 1
    return tracks


class DrumScan:
    """How both drum encodings walk a piece: per segment in 16-step bars (any meter with `--any-meter`), drum
    tracks from the bar of a hit to a silence of `gap_bars` bars, windows sliding by `hop_bars`. It counts
    what it meets, and names the reason when no window came out."""

    def __init__(self, segments, options):
        self.segments, self.options = segments, options
        self.steps = options.bars * STEPS_PER_BAR
        self.counts = {"notes": 0, "drum_notes": 0, "unknown_drum_pitches": 0, "segments": len(segments), "tracks": 0}
        self.meters: set[str] = set()
        self.longest = 0
        ends = [float(s.end.max()) for s in segments if len(s.end)]
        self.too_long = next((f"a piece lasts {end:.3g} steps, over the {MAX_STEPS} (65,536 bars) windowed"
                              for end in ends if end > MAX_STEPS), None)

    def pieces(self, select):
        """(segment index, segment, its chosen notes, steps per bar) of each segment to window; `select(segment)`
        picks the notes (the drums, say)."""
        for index, segment in enumerate(self.segments):
            self.counts["notes"] += len(segment.pitch)
            chosen = select(segment)
            if not chosen.any():
                continue
            self.counts["drum_notes"] += int(chosen.sum())
            spb = segment.steps_per_bar
            if spb != STEPS_PER_BAR and not (self.options.any_meter and spb == int(spb) and spb > 0):
                self.meters.add(f"{segment.numerator}/{segment.denominator}")
                continue
            yield index, segment, chosen, int(spb)

    def known(self, pitches: np.ndarray) -> None:
        self.counts["unknown_drum_pitches"] += int((PITCH_TO_CLASS[np.clip(pitches, 0, 127)] < 0).sum())

    def window_starts(self, bits: np.ndarray, spb: int) -> list[int]:
        """The first step of each window of the drum tracks of `bits` (step classes, nonzero at a hit). The
        caller's arrays must run a bar past the last hit: a track is padded with silence to whole bars."""
        starts = []
        for start, classes in drum_tracks(bits, spb, self.options.gap_bars):
            self.counts["tracks"] += 1
            self.longest = max(self.longest, len(classes) // spb)
            starts += range(start, start + len(classes) - self.steps + 1, spb * self.options.hop_bars)
        return starts

    def nothing(self, encoding) -> Extraction:
        """No window: why, with the counts."""
        if self.too_long:
            reason, detail = "too_long", self.too_long
        elif self.counts["notes"] == 0:
            reason, detail = "no_notes", "no notes"
        elif self.counts["drum_notes"] == 0:
            reason, detail = "no_drums", "no drum notes (no track on channel 10 / marked as drums)"
        elif self.meters and self.counts["tracks"] == 0:
            reason, detail = "meter", (f"no section with 16-step bars (meters found: {', '.join(sorted(self.meters))}); "
                                       f"--any-meter windows them")
        else:
            reason, detail = "too_short", (f"no drum track as long as a {self.options.bars}-bar window (longest: "
                                           f"{self.longest} bars)")
        return Extraction(encoding.empty_rows(self.steps), reason=reason, detail=detail, counts=self.counts)


def sounding_drums(segment) -> np.ndarray:
    return segment.is_drum & (segment.velocity > 0)


class DrumKitEncoding(SequenceEncoding):
    """What every drum encoding shares: 16-step bars, one drum part on channel 10, its 9 classes as lanes."""

    steps_per_bar = STEPS_PER_BAR
    part = ("drums", 0, True)
    lanes = tuple(zip(DRUM_CLASSES, DRUM_PITCHES))

    def parts(self) -> list[tuple[str, int, bool]]:
        return [self.part]


class DrumEncoding(DrumKitEncoding):
    """One `drums` stream of 512 classes per sixteenth (MusicVAE's `cat-drums_2bar`)."""

    name = "drums"
    streams = (Stream("drums", classes=NUM_CLASSES, onset_from=1),)

    def extract(self, segments, options, source: str = "") -> Extraction:
        scan = DrumScan(segments, options)
        if scan.too_long:
            return scan.nothing(self)
        windows, origins = [], []
        for index, segment, drums, spb in scan.pieces(sounding_drums):
            onsets = np.floor(segment.start[drums] + 0.5).astype(np.int64)
            pitches = segment.pitch[drums].astype(np.int64)
            scan.known(pitches)
            bits = drum_steps(onsets, pitches, int(onsets.max()) + 1 + spb)
            track = int(segment.instrument[drums].min())
            for step in scan.window_starts(bits, spb):
                windows.append(bits[step : step + scan.steps])
                origins.append((index, track, step, segment.start_bar + step // spb))
        rows = Rows(drums=np.array(windows, np.uint16).reshape(-1, scan.steps))
        origins = np.array(origins, np.int64).reshape(-1, 4)
        keep = deduplicated(rows) if options.deduplicate else np.arange(len(origins))
        keep = keep[capped_rows(len(keep), options, source)]
        scan.counts["windows"] = len(keep)
        if not len(keep):
            return scan.nothing(self)
        return Extraction(rows.take(keep), origins[keep], counts=scan.counts)

    def to_notes(self, row) -> list[Note]:
        notes = []
        for step, hits in enumerate(classes_to_hits(row["drums"])):
            for drum in np.flatnonzero(hits):
                notes.append(Note(DRUM_PITCHES[drum][0], step, step + 1, DEFAULT_VELOCITY, *self.part))
        return notes


DRUMS = DrumEncoding()
