"""GrooVAE's encoding (Gillick et al. 2019): a drum performance as, per sixteenth step and per drum class,
a hit (0/1), its velocity (0..1) and its timing offset from the step (-0.5..0.5 of a step).

The outputs are always the performance. What the encoder reads makes the model:

    groove            the performance itself (an autoencoder of grooves)
    groove_humanize   the quantized pattern, hits only: velocities and timing are the model's to invent
    groove_tap        the rhythm collapsed onto one voice, with its timing and velocity (Drumify)

Drum classes and pitches are MusicVAE's 9 (drums.py). Two hits of one class in one step keep the louder (the later if equal).
Drum tracks and windows are cut as for the drum encoding: from the bar of a hit to a silence of `gap_bars`.
"""

from __future__ import annotations

import numpy as np

from musicae.music.encodings.base import (
    Extraction,
    Note,
    Rows,
    Stream,
    capped_rows,
)
from musicae.music.encodings.drums import (
    DEFAULT_VELOCITY,
    DRUM_CLASSES,
    DRUM_PITCHES,
    NUM_DRUM_CLASSES,
    PITCH_TO_CLASS,
    DrumKitEncoding,
    DrumScan,
    hits_to_classes,
    sounding_drums,
)

TAP_CLASS = DRUM_CLASSES.index("closed hi-hat")
"""Where a melody's onsets land when it is read as taps, and how taps are drawn and played."""
PERFORMANCE = (
    Stream("hits", kind="bernoulli", width=NUM_DRUM_CLASSES),
    Stream("velocities", kind="continuous", width=NUM_DRUM_CLASSES, low=0.0, high=1.0, mask="hits"),
    Stream("offsets", kind="continuous", width=NUM_DRUM_CLASSES, low=-0.5, high=0.5, mask="hits"),
)


def performance_grid(onsets: np.ndarray, pitches: np.ndarray, velocities: np.ndarray, length: int) -> Rows:
    """Drum notes at unrounded step times -> (length, 9) hits, velocities and offsets (unknown pitches dropped)."""
    drum = PITCH_TO_CLASS[np.clip(pitches, 0, 127)]
    step = np.floor(onsets + 0.5).astype(np.int64)
    keep = (drum >= 0) & (step >= 0) & (step < length)
    # written in order of loudness, so the louder of two hits in one cell wins (on a tie, the later: a stable
    # sort keeps the notes' own time order)
    order = np.argsort(velocities[keep], kind="stable")
    step, drum = step[keep][order], drum[keep][order]
    hits = np.zeros((length, NUM_DRUM_CLASSES), np.uint8)
    vel = np.zeros((length, NUM_DRUM_CLASSES), np.float32)
    off = np.zeros((length, NUM_DRUM_CLASSES), np.float32)
    hits[step, drum] = 1
    vel[step, drum] = np.clip(velocities[keep][order], 0, 127) / 127.0
    off[step, drum] = np.clip((onsets[keep][order] - step), -0.5, 0.5)
    return Rows(hits=hits, velocities=vel, offsets=off)


def tap_inputs(rows: Rows) -> Rows:
    """The performance collapsed onto one voice: a tap wherever any drum is hit, with the loudest hit's
    velocity and offset."""
    hits, vel, off = (np.asarray(rows[n]) for n in ("hits", "velocities", "offsets"))
    loudest = np.argmax(np.where(hits > 0, vel.astype(np.float32) + 1e-3, -1.0), axis=-1)[..., None]
    tapped = hits.any(-1)
    return Rows(tap_hits=tapped.astype(np.uint8),
                tap_velocities=np.where(tapped, np.take_along_axis(vel, loudest, -1)[..., 0], 0).astype(np.float32),
                tap_offsets=np.where(tapped, np.take_along_axis(off, loudest, -1)[..., 0], 0).astype(np.float32))


class GrooveEncoding(DrumKitEncoding):
    """The performance as three streams of 9 values per step, and what the encoder reads (`reads`)."""

    def __init__(self, name: str, reads: str):
        self.name, self.reads = name, reads
        inputs = {
            "performance": (),
            "pattern": (Stream("pattern", kind="bernoulli", width=NUM_DRUM_CLASSES, role="input"),),
            "taps": (Stream("tap_hits", kind="bernoulli", role="input"),
                     Stream("tap_velocities", kind="continuous", low=0.0, high=1.0, role="input"),
                     Stream("tap_offsets", kind="continuous", low=-0.5, high=0.5, role="input")),
        }[reads]
        self.streams = PERFORMANCE + inputs

    def inputs_of(self, performance: Rows) -> Rows:
        """What the encoder reads of a performance (nothing extra when it reads the performance itself)."""
        if self.reads == "pattern":
            return Rows(pattern=np.asarray(performance["hits"]))
        if self.reads == "taps":
            return tap_inputs(performance)
        return Rows()

    def extract(self, segments, options, source: str = "") -> Extraction:
        """Windows of the drum performance; with `options.any_notes` (a rhythm given to drumify) a piece with no
        drums is read as taps from all its notes' onsets."""
        scan = DrumScan(segments, options)
        if scan.too_long:
            return scan.nothing(self)
        use_all = options.any_notes and not any(sounding_drums(s).any() for s in segments)
        select = (lambda s: s.velocity > 0) if use_all else sounding_drums
        windows, origins = [], []
        for index, segment, chosen, spb in scan.pieces(select):
            onsets = segment.start[chosen].astype(np.float64)
            pitches = segment.pitch[chosen].astype(np.int64)
            if use_all:  # a melody's onsets: every note a tap
                pitches = np.full_like(pitches, DRUM_PITCHES[TAP_CLASS][0])
            scan.known(pitches)
            last = int(np.floor(onsets.max() + 0.5)) + 1
            grid = performance_grid(onsets, pitches, segment.velocity[chosen].astype(np.float64), last + spb)
            track = int(segment.instrument[chosen].min())
            for step in scan.window_starts(hits_to_classes(grid["hits"]), spb):
                windows.append({n: v[step : step + scan.steps] for n, v in grid.items()})
                origins.append((index, track, step, segment.start_bar + step // spb))
        if not windows:
            return scan.nothing(self)
        performance = Rows({n: np.stack([w[n] for w in windows]) for n in ("hits", "velocities", "offsets")})
        rows = performance.merged(self.inputs_of(performance))
        keep = capped_rows(len(rows), options, source)
        scan.counts["windows"] = len(keep)
        return Extraction(self.check_rows(rows.take(keep), source), np.array(origins, np.int64)[keep],
                          counts=scan.counts)

    def to_notes(self, row) -> list[Note]:
        """The performance's hits at their offsets and velocities; a row of inputs alone plays those (a
        pattern at one velocity, taps as closed hi-hats)."""
        if "hits" in row:
            hits, vel, off = (np.asarray(row[n], np.float32) for n in ("hits", "velocities", "offsets"))
        elif "pattern" in row:
            hits = np.asarray(row["pattern"], np.float32)
            vel, off = np.full_like(hits, DEFAULT_VELOCITY / 127), np.zeros_like(hits)
        else:
            hits = np.zeros((len(row["tap_hits"]), NUM_DRUM_CLASSES), np.float32)
            vel, off = np.zeros_like(hits), np.zeros_like(hits)
            hits[:, TAP_CLASS] = np.asarray(row["tap_hits"])
            vel[:, TAP_CLASS], off[:, TAP_CLASS] = np.asarray(row["tap_velocities"]), np.asarray(row["tap_offsets"])
        notes = []
        for step, drum in zip(*np.nonzero(hits > 0.5)):
            start = max(0.0, float(step) + float(off[step, drum]))
            velocity = int(np.clip(round(float(vel[step, drum]) * 127), 1, 127))
            notes.append(Note(DRUM_PITCHES[drum][0], start, start + 0.5, velocity, *self.part))
        return sorted(notes, key=lambda n: (n.start, n.pitch))


GROOVE = GrooveEncoding("groove", "performance")
GROOVE_HUMANIZE = GrooveEncoding("groove_humanize", "pattern")
GROOVE_TAP = GrooveEncoding("groove_tap", "taps")
