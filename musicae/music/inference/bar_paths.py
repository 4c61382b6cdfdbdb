"""Pieces longer than a model's window, from the Multitrack MusicVAE notebook (and MusicVAE users asking for
longer output, magenta #1472 and #1979): a style held over N bars, and a latent path played bar after bar.

- `held_style`: one z decoded for every window of an N-bar piece; a chord model plays the progression round and
  round under it (the notebook's "same style over a chord progression"), so the bars change with the chords
  and stay one style.
- `path_over_bars`: N points on the slerp path between two codes (two measures' encodings, or two draws from
  the prior), one window each, played one after another without a gap (the notebook's "interpolate between
  two measures' encodings over N bars" and its style interpolation over a repeating progression).
"""

from __future__ import annotations

import numpy as np
import torch

from musicae.autoencoding import slerp
from musicae.autoencoding.config import ConfigError
from musicae.music.encodings.base import Rows
from musicae.music.encodings.chords import parse_progression
from musicae.music.inference.trained_model import TrainedModel

MAX_PIECE_BARS = 256
"""A piece's length bounds the work of one command or studio request."""
CHORDS = "chords"


def windows_for(model: TrainedModel, bars: int) -> int:
    """The windows of a `bars`-bar piece (the last one cut to length when it overhangs)."""
    if not 1 <= bars <= MAX_PIECE_BARS:
        raise ConfigError(f"--bars {bars}: must be in 1..{MAX_PIECE_BARS}")
    return -(-bars // model.cfg.bars)


def chords_over(model: TrainedModel, text: str | None, windows: int) -> Rows | None:
    """The chords stream of `windows` windows with the progression `text` (one chord per bar) played round
    and round; None for a model without chords (which refuses a progression)."""
    if CHORDS not in model.control_names:
        if text:
            raise ConfigError(f"--chords: {model.name} is not chord-conditioned (use a chord model such as "
                              f"multitrack_1bar_chords or mel_2bar_chords)")
        return None
    if not text:
        raise ConfigError(f"--chords: {model.name} is chord-conditioned; give a progression, e.g. --chords \"C G Am F\"")
    if len(text) > 20 * MAX_PIECE_BARS or len(text.split()) > MAX_PIECE_BARS:
        raise ConfigError(f"--chords: at most {MAX_PIECE_BARS} chords (bars) in a progression")
    classes = parse_progression(text)
    per_bar = np.array([classes[i % len(classes)] for i in range(windows * model.cfg.bars)])
    return Rows({CHORDS: model.encoding.chords_for_bars(per_bar.reshape(windows, model.cfg.bars))})


def cut(rows: Rows, model: TrainedModel, bars: int) -> Rows:
    """One row of the windows played back to back, cut to `bars` bars."""
    joined = rows.joined()
    length = bars * model.cfg.steps_per_bar
    return Rows({name: values[:, :length] for name, values in joined.items()})


def held_style(model: TrainedModel, z: np.ndarray, bars: int, chords: str | None, temperature: float,
               generator: torch.Generator) -> Rows:
    """(Z,) one code decoded over a `bars`-bar piece -> one row of it (with its chords, for a chord model)."""
    windows = windows_for(model, bars)
    under = chords_over(model, chords, windows)
    decoded = model.decode_rows(np.repeat(np.asarray(z)[None], windows, 0), temperature, generator, under)
    return cut(decoded, model, bars)


def path_over_bars(model: TrainedModel, za: np.ndarray, zb: np.ndarray, bars: int, chords: str | None,
                   temperature: float, generator: torch.Generator, under: Rows | None = None) -> Rows:
    """`bars` points of the slerp path from za to zb (both included), a window each, as one row; a chord model
    plays `chords` round and round under the path (or `under`, one window's chords, under every point)."""
    windows = windows_for(model, bars)
    if windows < 2:
        raise ConfigError(f"--bars {bars}: a path needs at least two windows ({2 * model.cfg.bars} bars)")
    z = slerp(torch.as_tensor(za, dtype=torch.float32), torch.as_tensor(zb, dtype=torch.float32), windows).numpy()
    if under is not None and not chords:
        controls = Rows(under).tiled(windows)
    else:
        controls = chords_over(model, chords, windows)
    return cut(model.decode_rows(z, temperature, generator, controls), model, bars)
