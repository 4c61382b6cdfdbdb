"""The registry of sequence encodings: what a model's classes mean, and how scores become windows.

An encoding carries everything that is specific to one kind of music, so that the sequence VAE
(models.py) carries none of it:
- `num_classes` per step and `steps_per_bar`;
- `extract`: score segments -> windows (+ where each came from, + per-step conditions);
- `to_notes`: one window -> (pitch, start_step, end_step) notes;
- `augment`: training-time augmentation (transposition), moving conditions along with the notes;
- `condition_classes`: the size of the optional per-step conditioning (MusicVAE's c_input), 0 for none.

Adding a kind of sequence is one module with a `SequenceEncoding` subclass and one line below.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import numpy as np
import torch

from musicae.autoencoding.config import Registry


@dataclass
class Extraction:
    """Windows of one input, where each came from, and why there are none when there are none."""

    windows: np.ndarray  # (N, T) uint8
    origins: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int64))
    """(N, 4): segment, track (index among the tracks that have notes), start step within the segment, start bar
    counted from the start of the file."""
    conditions: np.ndarray | None = None  # (N, T) per-step condition classes, when the encoding has them
    reason: str | None = None
    detail: str = ""
    counts: dict = field(default_factory=dict)

    ORIGIN_FIELDS = ("segment", "track", "start_step", "start_bar")

    def origin(self, i: int) -> dict[str, int]:
        return dict(zip(self.ORIGIN_FIELDS, (int(v) for v in self.origins[i])))


class SequenceEncoding:
    """One kind of music as class sequences. Subclasses fill in the class attributes and methods."""

    name: str = ""
    num_classes: int = 0
    steps_per_bar: int = 16
    condition_classes: int = 0
    first_onset_class: int = 0
    """Classes from this one on start an event (a note); the others hold or rest."""

    def extract(self, segments, options, source: str = "") -> Extraction:
        """Score segments -> windows of `options.bars` bars (see extract.ExtractOptions)."""
        raise NotImplementedError

    def to_notes(self, window) -> list[tuple[int, int, int]]:
        """(pitch, start_step, end_step) for each note of one (T,) window."""
        raise NotImplementedError

    def augment(self, tokens: torch.Tensor, conditions: torch.Tensor | None, amount: int,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Training augmentation of a (B, T) batch; `amount` is the config's augmentation setting."""
        return tokens, conditions


ENCODINGS = Registry("encoding")
# name -> "module:class"; imported on first use, so that this module imports no encoding itself
ENCODINGS.register("melody", "musicae.music.melody:MelodyEncoding")
ENCODINGS.register("melody_chords", "musicae.music.melody_chords:ChordMelodyEncoding")


def get_encoding(name: str) -> SequenceEncoding:
    entry = ENCODINGS[name]
    if isinstance(entry, str):
        module, cls = entry.split(":")
        entry = getattr(importlib.import_module(module), cls)()
        ENCODINGS.register(name, entry)
    return entry
