"""One bar of several instruments as performance events, the vocabulary of Simon et al. 2018 ("Learning a
latent space of multitrack measures"): the first piece of the multitrack encoding (issue 22).

A bar is up to MAX_TRACKS tracks, sorted by (is drum, program); each track is a row of TRACK_TOKENS tokens:
its program (or the drums token), then note-on / note-off / time-shift / velocity events, then END, padded
with END. Time runs at STEPS_PER_QUARTER steps per quarter note, so a 4/4 bar is STEPS_PER_BAR steps and one
shift can cross it. The token layout (490 tokens, as the paper's):

    0-127 note-on | 128-255 note-off | 256-351 shift of 1-96 steps | 352-359 velocity bin
    360-487 program | 488 drums | 489 END
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicae.music.encodings.base import Note

STEPS_PER_QUARTER = 24
STEPS_PER_BAR = 4 * STEPS_PER_QUARTER
MAX_TRACKS = 8
TRACK_TOKENS = 64  # program, at most 62 events, END
VELOCITY_BINS = 8

NOTE_ON, NOTE_OFF, SHIFT, VELOCITY, PROGRAM = 0, 128, 256, 352, 360
DRUMS = PROGRAM + 128
END = DRUMS + 1
VOCABULARY = END + 1
MAX_SHIFT = VELOCITY - SHIFT  # 96 steps


class BarRefused(ValueError):
    """A bar these tokens cannot hold; `reason` is a manifest reason code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Track:
    """One instrument's notes in a bar, in steps from the bar's start."""

    program: int
    is_drum: bool
    notes: tuple[tuple[int, int, int, int], ...]  # (pitch, start, end, velocity)


def velocity_bin(velocity: int) -> int:
    """1-127 -> 0..7, equal-width bins."""
    return min(VELOCITY_BINS - 1, (max(1, min(127, int(velocity))) - 1) * VELOCITY_BINS // 127)


def bin_velocity(index: int) -> int:
    """A bin's middle velocity."""
    low = index * 127 // VELOCITY_BINS + 1
    high = (index + 1) * 127 // VELOCITY_BINS
    return (low + high) // 2


def track_events(track: Track) -> list[int]:
    """The event tokens of one track (no program, no END): at each time, note-offs, then a velocity change if
    any, then note-ons; notes are clipped to the bar."""
    changes: dict[int, tuple[list, list]] = {}
    for pitch, start, end, velocity in track.notes:
        start, end = max(0, int(start)), min(STEPS_PER_BAR, int(end))
        if not 0 <= pitch <= 127 or start >= STEPS_PER_BAR or end <= start:
            continue
        changes.setdefault(start, ([], []))[1].append((pitch, velocity_bin(velocity)))
        changes.setdefault(end, ([], []))[0].append(pitch)
    events, now, current_bin = [], 0, None
    for time in sorted(changes):
        offs, ons = changes[time]
        if time > now:
            events.append(SHIFT + time - now - 1)
            now = time
        events.extend(NOTE_OFF + p for p in sorted(offs))
        for pitch, bin_ in sorted(ons, key=lambda on: (on[1], on[0])):
            if bin_ != current_bin:
                events.append(VELOCITY + bin_)
                current_bin = bin_
            events.append(NOTE_ON + pitch)
    return events


def bar_tokens(tracks: list[Track]) -> np.ndarray:
    """(MAX_TRACKS, TRACK_TOKENS) tokens of a bar; unused rows are all END. BarRefused when the bar has no
    track, more than MAX_TRACKS, or a track over 62 events."""
    tracks = sorted((t for t in tracks if t.notes), key=lambda t: (t.is_drum, t.program))
    if not tracks:
        raise BarRefused("empty_bar", "no note in the bar")
    if len(tracks) > MAX_TRACKS:
        raise BarRefused("too_many_tracks", f"{len(tracks)} instruments, over {MAX_TRACKS}")
    tokens = np.full((MAX_TRACKS, TRACK_TOKENS), END, dtype=np.int16)
    for row, track in enumerate(tracks):
        events = track_events(track)
        if len(events) > TRACK_TOKENS - 2:
            kind = "drums" if track.is_drum else f"program {track.program}"
            raise BarRefused("track_too_busy", f"{kind}: {len(events)} events in a bar, over {TRACK_TOKENS - 2}")
        if not events:
            raise BarRefused("empty_bar", "a track's notes all lie outside the bar")
        head = DRUMS if track.is_drum else PROGRAM + int(track.program)
        tokens[row, : len(events) + 1] = [head, *events]
    return tokens


def part_name(program: int) -> str:
    """A pitched track's name: its General MIDI instrument ("Acoustic Grand Piano", "Electric Bass (finger)")."""
    import pretty_midi

    return pretty_midi.program_to_instrument_name(int(program))


def tokens_to_notes(tokens: np.ndarray, bar_start: int = 0) -> list[Note]:
    """Notes of a (tracks, tokens) bar, in steps from `bar_start`; tolerant of a model's odd sequences: a
    track without a program token, a note-off without its note-on and a note left sounding (ended at the bar
    line) are all read sensibly. Tracks of one instrument are parts of their own: "Violin", "Violin 2"."""
    notes: list[Note] = []
    seen: dict[int, int] = {}
    for row in np.asarray(tokens):
        if len(row) == 0 or not PROGRAM <= int(row[0]) < END:
            continue
        is_drum = int(row[0]) == DRUMS
        program = 0 if is_drum else int(row[0]) - PROGRAM
        seen[int(row[0])] = seen.get(int(row[0]), 0) + 1
        part = "Drums" if is_drum else part_name(program)
        if seen[int(row[0])] > 1:  # a second track of one instrument (two violins) stays a track of its own
            part = f"{part} {seen[int(row[0])]}"
        now, velocity, sounding = 0, bin_velocity(VELOCITY_BINS // 2), {}
        for token in map(int, row[1:]):
            if token == END or token >= PROGRAM:
                break
            if token < NOTE_OFF:
                if now < STEPS_PER_BAR:  # a note-on at the bar's end would start outside it: no note
                    sounding.setdefault(token, (now, velocity))
            elif token < SHIFT:
                pitch = token - NOTE_OFF
                if pitch in sounding:
                    start, vel = sounding.pop(pitch)
                    if now > start:
                        notes.append(Note(pitch, bar_start + start, bar_start + now, vel, part, program, is_drum))
            elif token < VELOCITY:
                now = min(STEPS_PER_BAR, now + token - SHIFT + 1)
            else:
                velocity = bin_velocity(token - VELOCITY)
        for pitch, (start, vel) in sounding.items():
            notes.append(Note(pitch, bar_start + start, bar_start + STEPS_PER_BAR, vel, part, program, is_drum))
    return sorted(notes, key=lambda n: (n.is_drum, n.program, n.start, n.pitch))
