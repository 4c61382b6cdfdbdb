"""The melody encoding's registry entry: MusicVAE's 90-class monophonic melodies (see encoding.py)."""

from __future__ import annotations

from musicae.music.encoding import (
    FIRST_PITCH_CLASS,
    NUM_CLASSES,
    STEPS_PER_BAR,
    random_transpose,
    window_to_notes,
)
from musicae.music.encodings import Extraction, SequenceEncoding
from musicae.music.extract import windows_from_segments


class MelodyEncoding(SequenceEncoding):
    name = "melody"
    num_classes = NUM_CLASSES
    steps_per_bar = STEPS_PER_BAR
    condition_classes = 0
    first_onset_class = FIRST_PITCH_CLASS

    def extract(self, segments, options, source: str = "") -> Extraction:
        return windows_from_segments(segments, options, source)

    def to_notes(self, window) -> list[tuple[int, int, int]]:
        return window_to_notes(window)

    def augment(self, tokens, conditions, amount, generator=None):
        """Uniform transposition within +-amount semitones; notes pushed out of range are dropped."""
        if amount <= 0:
            return tokens, conditions
        return random_transpose(tokens, amount, generator), conditions



