"""Chord symbols -> MusicVAE's 49 chord classes, and back to pitches for a simple voicing.

Class 0 is "no chord" (N); class 1 + 4 * root + quality is a triad, root 0..11 from C, quality
0 major, 1 minor, 2 augmented, 3 diminished (MusicVAE's triad one-hot encoding). Richer chords reduce to
their triad: sevenths and sixths keep the triad under them (C7 -> C, Am7 -> Am, Bm7b5 -> Bdim), suspended
chords count as major, and a bass note after a slash is dropped.

Accepted spellings (case of the root letter matters, as in lead sheets):
- Harte's syntax, as POP909's chord_midi.txt: `G:maj`, `A:min`, `C:sus2`, `A:min7`, `C:maj/5`, `E:hdim7`, `N`;
- lead-sheet and ABC symbols: `G`, `Am7`, `Bb`, `F#m`, `C7`, `Cdim`, `Caug`, `C+`, `Bbmaj7`, `C/E`, `Bm7b5`.
"""

from __future__ import annotations

import re

import numpy as np

NO_CHORD = 0
NUM_CHORD_CLASSES = 49
QUALITIES = ("maj", "min", "aug", "dim")
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
TRIADS = {"maj": (0, 4, 7), "min": (0, 3, 7), "aug": (0, 4, 8), "dim": (0, 3, 6)}

_ROOT = re.compile(r"^([A-Ga-g])([#b♯♭]*)")
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# the quality part (after the root, before any /bass), to its triad; the longest spellings are tried first
_HARTE = {"maj": "maj", "min": "min", "aug": "aug", "dim": "dim", "sus2": "maj", "sus4": "maj", "sus4(b7)": "maj",
          "7": "maj", "maj7": "maj", "maj6": "maj", "9": "maj", "maj9": "maj", "min7": "min", "min6": "min",
          "min9": "min", "minmaj7": "min", "hdim7": "dim", "dim7": "dim", "aug7": "aug", "": "maj", "1": "maj",
          "5": "maj"}
_LEAD = {"": "maj", "M": "maj", "maj": "maj", "maj7": "maj", "M7": "maj", "6": "maj", "7": "maj", "9": "maj",
         "11": "maj", "13": "maj", "maj9": "maj", "add9": "maj", "sus": "maj", "sus2": "maj", "sus4": "maj",
         "7sus4": "maj", "m": "min", "min": "min", "-": "min", "m7": "min", "min7": "min", "-7": "min", "m6": "min",
         "m9": "min", "mM7": "min", "m(maj7)": "min", "m7b5": "dim", "ø": "dim", "ø7": "dim", "dim": "dim",
         "°": "dim", "o": "dim", "dim7": "dim", "o7": "dim", "°7": "dim", "aug": "aug", "+": "aug", "+7": "aug",
         "aug7": "aug", "7+": "aug", "5": "maj"}


class UnknownChord(ValueError):
    """A chord symbol this parser cannot read; the message names it."""


def _root(text: str, whole: str) -> tuple[int, str]:
    match = _ROOT.match(text)
    if not match or not text[0].isupper():
        raise UnknownChord(f"unknown chord {whole!r}: no root note (A to G) at its start")
    pitch = _LETTERS[match.group(1)]
    for accidental in match.group(2):
        pitch += 1 if accidental in "#♯" else -1
    return pitch % 12, text[match.end():]


def parse_chord(name: str) -> int:
    """A chord symbol -> its class in 0..48; UnknownChord naming the symbol otherwise."""
    text = name.strip()
    if text in ("N", "NC", "N.C.", "N.C", "n", ""):
        return NO_CHORD
    root, rest = _root(text, name)
    if rest.startswith(":"):  # Harte: ROOT:QUALITY[/BASS]
        quality = rest[1:].split("/")[0]
        table = _HARTE
    else:
        quality = rest.split("/")[0]
        table = _LEAD
    if quality not in table:
        raise UnknownChord(f"unknown chord {name!r}: quality {quality!r} is not one of "
                           f"{', '.join(sorted(k for k in table if k))}")
    if "/" in rest:
        _bass(rest.split("/", 1)[1], name)
    return chord_class(root, table[quality])


def _bass(text: str, whole: str) -> None:
    """Check a bass after a slash: a degree (Harte: 3, b3, 5, b7...) or a note name (lead sheets)."""
    if re.fullmatch(r"[b#]?\d{1,2}", text):
        return
    try:
        pitch, rest = _root(text, whole)
    except UnknownChord:
        rest = text
    if rest:
        raise UnknownChord(f"unknown chord {whole!r}: bass {text!r} is neither a note nor a degree")


def chord_class(root: int, quality: str) -> int:
    return 1 + 4 * (root % 12) + QUALITIES.index(quality)


def chord_name(cls: int) -> str:
    """A class back to a short lead-sheet name: N, C, Cm, Caug, Cdim."""
    if cls == NO_CHORD:
        return "N"
    root, quality = divmod(cls - 1, 4)
    return NAMES[root] + ("", "m", "aug", "dim")[quality]


def chord_pitches(cls: int, low: int = 48) -> list[int]:
    """MIDI pitches of a root-position triad with its root in the octave from `low` (C3); N has none."""
    if cls == NO_CHORD:
        return []
    root, quality = divmod(cls - 1, 4)
    return [low + root + interval for interval in TRIADS[QUALITIES[quality]]]


def transpose_chord(cls: int, semitones: int) -> int:
    if cls == NO_CHORD:
        return NO_CHORD
    root, quality = divmod(cls - 1, 4)
    return 1 + 4 * ((root + semitones) % 12) + quality


def chord_notes(chords) -> list[tuple[int, int, int]]:
    """(pitch, start_step, end_step) of a simple voicing of (T,) chord classes: a root-position triad below
    middle C, struck at each change of chord and held until the next."""
    chords = [int(c) for c in chords]
    notes, start = [], 0
    for step in range(1, len(chords) + 1):
        if step == len(chords) or chords[step] != chords[start]:
            notes += [(pitch, start, step) for pitch in chord_pitches(chords[start])]
            start = step
    return notes


def parse_progression(text: str) -> list[int]:
    """'C G Am F' (spaces, commas or bars between symbols) -> classes; UnknownChord names the bad one."""
    symbols = [s for s in re.split(r"[\s,|]+", text.strip()) if s]
    if not symbols:
        raise UnknownChord("empty chord progression: give chord symbols such as \"C G Am F\"")
    return [parse_chord(s) for s in symbols]


# ----------------------------------------------------------------------------- inference from notes
CHORD_TRACK_NAMES = ("chords", "chord")
TEMPLATES = np.array([[1.0 if (pc - chord_pitches(c)[0]) % 12 in TRIADS[QUALITIES[(c - 1) % 4]] else 0.0
                       for pc in range(12)] for c in range(1, NUM_CHORD_CLASSES)])  # (48, 12)
STEPS_PER_CHORD = 4  # one inferred chord per beat


ROOTS = np.array([(c - 1) // 4 for c in range(1, NUM_CHORD_CLASSES)])  # (48,)


def infer_chords(start: np.ndarray, end: np.ndarray, pitch: np.ndarray, steps: int) -> np.ndarray:
    """A chord class per step from accompanying notes (quantized steps), one chord per beat.

    Each beat's triad best covers its sounding pitch classes, weighted by how long each sounds (notes
    outside the triad count half against it); the beat's lowest note votes for the root (a bass under
    sparse accompaniment, as abc2midi plays chord symbols); a tie keeps the previous beat's chord, or takes the
    next beat's when that one is among the tied. N where nothing sounds."""
    beats = -(-steps // STEPS_PER_CHORD)
    weights = np.zeros((beats, 12))
    bass = np.full(beats, 128)
    for on, off, p in zip(start.tolist(), end.tolist(), pitch.tolist()):
        for beat in range(max(on, 0) // STEPS_PER_CHORD, min(-(-off // STEPS_PER_CHORD), beats)):
            low, high = max(on, beat * STEPS_PER_CHORD), min(off, (beat + 1) * STEPS_PER_CHORD)
            if high > low:
                weights[beat, p % 12] += high - low
                bass[beat] = min(bass[beat], p)
    scores = weights @ TEMPLATES.T - 0.5 * weights @ (1 - TEMPLATES).T  # (beats, 48)
    sounding = weights.sum(1) > 0
    scores += 0.5 * (ROOTS[None, :] == (bass[:, None] % 12)) * sounding[:, None]
    classes = np.full(beats, NO_CHORD, dtype=np.int64)
    ties: dict[int, np.ndarray] = {}
    previous = -1
    for beat in np.flatnonzero(sounding):
        ties[beat] = np.flatnonzero(scores[beat] >= scores[beat].max() - 1e-9)
        choice = previous if previous in ties[beat] else ties[beat][0]
        classes[beat] = 1 + choice
        previous = choice
    for beat in sorted(ties, reverse=True)[1:]:  # a tie the next beat settles: a bass note before its chord
        following = classes[beat + 1] - 1 if beat + 1 < beats else -1
        if following in ties[beat] and following != classes[beat] - 1 and len(ties[beat]) > 1:
            classes[beat] = following + 1
    return np.repeat(classes, STEPS_PER_CHORD)[:steps].astype(np.uint8)
