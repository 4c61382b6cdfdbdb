"""Commands over a file's measures and over pieces of N bars (the Multitrack MusicVAE notebook's panels, for
any model): `measures` lists the windows a model reads in a file, numbered by bar; `interpolate --bars N`
plays a latent path bar after bar, between two measures or two draws from the prior."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.config import ConfigError
from musicae.music.encodings.base import Rows
from musicae.music.inference.bar_paths import path_over_bars
from musicae.music.inference.commands import check_temperature, input_extraction
from musicae.music.inference.conversions import (
    NoWindows,
    midi_bytes,
    png_of,
    wav_of,
    windows_from_midi_file,
)
from musicae.music.inference.outputs import output_files
from musicae.music.inference.trained_model import TrainedModel


def measures(checkpoint, midi: Path) -> dict:
    """The windows `checkpoint`'s model reads in `midi`, by the bar each starts at (0: the file's first bar;
    the notebook's "Parsed N measures"), and how many bars were left out and why."""
    model = TrainedModel.load(checkpoint, job="measures")
    found = windows_from_midi_file(Path(midi), model.cfg.bars, None, model.encoding)
    refused = {key[len("refused_"):]: value for key, value in found.counts.items() if key.startswith("refused_")}
    result = {"input": str(midi), "model": model.name, "count": len(found),
              "bars": sorted({int(b) for b in found.origins[:, 3]})}
    if refused:
        result["left_out"] = refused
    return result


def one_code(model: TrainedModel, midi: Path, bar: int | None, flag: str, chords: str | None, track,
             notes: list[str]) -> tuple[np.ndarray, Rows, Rows]:
    """(z, the window, its chords) of one window of an input: the one at `bar`, else its first."""
    found, _ = input_extraction(model, midi, bar, flag, chords, track, notes)
    if bar is None and len(found) > 1:
        notes.append(f"{midi}: {len(found)} windows; the path starts from the first, at bar "
                     f"{int(found.origins[0, 3])} ({flag} picks another)")
    window = found.rows.take(0)
    return model.encode(window)[0], window, window.only(model.control_names)


def interpolate_bars(checkpoint, a: Path | None, b: Path | None, bars: int, out: Path, bar_a: int | None = None,
                     bar_b: int | None = None, temperature: float | None = None, seed: int = 0,
                     chords: str | None = None, track=None, qpm: float | None = None, program: int | None = None,
                     wav: bool = True, png: bool = True) -> dict:
    """A `bars`-bar piece whose windows walk the slerp path from A's code to B's (both ends included), played
    without a gap; without A and B, between two draws from the prior (seeded). A chord model plays --chords
    round and round under the path, else A's own chords."""
    if (a is None) != (b is None):
        raise ConfigError("interpolate --bars: give two MIDI files, or none (two codes drawn from the prior)")
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint, job="interpolate")
    temperature = model.temperature(temperature)
    generator = torch.Generator().manual_seed(seed)
    notes: list[str] = []
    under, ends = None, []
    if a is None:
        za, zb = model.model.prior_z(2, generator).numpy()
    else:
        za, window_a, under = one_code(model, a, bar_a, "--bar", chords, track, notes)
        zb, window_b, _ = one_code(model, b, bar_a if bar_b is None else bar_b, "--bar-b", chords, track, notes)
        ends = [window_a, window_b]
    if model.control_names and a is None and not chords:
        raise ConfigError(f"--chords: {model.name} is chord-conditioned; give a progression, e.g. --chords \"Dm F Am G\"")
    piece = path_over_bars(model, za, zb, bars, chords, temperature, generator, under)
    encoding = model.encoding
    out = output_files(out, [a, b], model.name, seed)
    result = {"a": None if a is None else str(a), "b": None if b is None else str(b), "bars": bars,
              "temperature": temperature, "seed": seed, "model": model.name, "checkpoint": model.source,
              "path_midi": out.write("path.mid", midi_bytes(piece, encoding=encoding, qpm=qpm, program=program))}
    if chords:
        result["chords"] = chords
    if png:
        rows = [*ends[:1], piece, *ends[1:]]
        titles = ["A (input)", "path", "B (input)"] if ends else ["path"]
        result["piano_roll"] = out.write("path.png", png_of(
            rows, titles, f"{bars} bars along the slerp path" + (f" over {chords}" if chords else ""),
            encoding=encoding))
    if wav:
        data, result["synth"] = wav_of(piece, encoding=encoding, qpm=qpm, program=program)
        result["wav"] = out.write("path.wav", data)
    if notes:
        result["notes"] = notes
    return result


__all__ = ["NoWindows", "interpolate_bars", "measures"]
