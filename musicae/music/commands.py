"""File-level generation commands behind the CLI: sample, reconstruct, interpolate, encode.

Each computes in memory (io.py) and writes what it computed; none deletes anything.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.config import ConfigError
from musicae.music.chords import parse_progression
from musicae.music.generate import TrainedModel
from musicae.music.io import (
    NoWindows,
    midi_bytes,
    png_of,
    row_at_bar,
    wav_of,
    window_at_bar,
    windows_from_midi_file,
)

MAX_INTERPOLATION_STEPS = 1000
"""More points than anyone listens to; each costs a decode and a MIDI file."""


def check_temperature(value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"--temperature {value}: must be a finite number >= 0 (0 decodes greedily)")
    return value


def output_folder(out: Path, flag: str = "--out") -> Path:
    """Create the output folder; refuse a path that is an existing file."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{flag} {out}: is an existing file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_file(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def pick_windows(path: Path, bars: int, bar: int | None, flag: str) -> np.ndarray:
    """The whole melody window after window, or, with `bar`, the one window starting at that bar of the file."""
    if bar is None:
        return windows_from_midi_file(path, bars).windows
    return window_at_bar(windows_from_midi_file(path, bars, hop_bars=1), bar, str(path), flag)


def melody_and_chords(model: TrainedModel, path: Path, bar: int | None, flag: str,
                      chords: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """An input's windows and, for a chord model, their chords: the --chords progression (bar after bar, round
    and round), else the input's own (annotated, from a chords track, or inferred from its accompaniment)."""
    if not model.cfg.condition_classes:
        progression(model, chords)  # refuses --chords for a model without chords
        return pick_windows(path, model.cfg.bars, bar, flag), None
    own = not chords
    try:
        found = windows_from_midi_file(path, model.cfg.bars, None if bar is None else 1,
                                       model.cfg.encoding if own else "melody")
    except NoWindows as err:
        if own and "no chords" in str(err):
            raise NoWindows(f"{err}; give a progression with --chords") from None
        raise
    rows = slice(None) if bar is None else slice(row := row_at_bar(found, bar, str(path), flag), row + 1)
    windows = found.windows[rows]
    if own:
        return windows, found.conditions[rows]
    per_bar, _ = progression(model, chords, windows=len(windows))
    return windows, per_bar


def interpolate(checkpoint, a: Path, b: Path, steps: int, out: Path, bar_a: int | None = None, bar_b: int | None = None,
                temperature: float = 0.0, wav: bool = True, png: bool = True, seed: int = 0,
                chords: str | None = None) -> dict:
    """With a chord model, every step is decoded over --chords, else over A's own chords."""
    if not 2 <= steps <= MAX_INTERPOLATION_STEPS:
        raise ConfigError(f"--steps {steps}: must be in 2..{MAX_INTERPOLATION_STEPS} (both endpoints are included)")
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint)
    steps_per_bar = model.cfg.steps_per_bar
    windows_a, chords_a = melody_and_chords(model, a, bar_a, "--bar", chords)
    windows_b, chords_b = melody_and_chords(model, b, bar_a if bar_b is None else bar_b,
                                            "--bar" if bar_b is None else "--bar-b", chords)
    paired = min(len(windows_a), len(windows_b))
    notes = []
    if len(windows_a) != len(windows_b):
        notes.append(f"A has {len(windows_a)} windows and B {len(windows_b)}: interpolating the first {paired} of each")
    chords_a, chords_b = (None if c is None else c[:paired] for c in (chords_a, chords_b))
    under = chords_a  # every step is decoded over the progression, or over A's own chords
    path = model.interpolate(windows_a[:paired], windows_b[:paired], steps, temperature, seed, chords_a, chords_b,
                             under)  # (steps, M, T)
    out = output_folder(out)
    files = [write_file(out / f"step_{i:02d}.mid", midi_bytes(path[i], chords=under)) for i in range(steps)]
    melodies = path.reshape(steps, -1)  # each step's windows back to back
    path_chords = None if under is None else np.tile(under.reshape(-1), (steps, 1))
    whole = write_file(out / "path.mid", midi_bytes(melodies, gap_steps=steps_per_bar, chords=path_chords))
    result = {"a": str(a), "b": str(b), "steps": steps, "windows_per_step": paired, "files": files,
              "path_midi": whole, "checkpoint": model.source}
    if png:
        rows = [windows_a[:paired].reshape(-1), *melodies, windows_b[:paired].reshape(-1)]
        row_chords = None if under is None else [chords_a.reshape(-1), *path_chords, chords_b.reshape(-1)]
        result["piano_roll"] = write_file(out / "path.png", png_of(
            rows, ["A (input)", *map(str, range(steps)), "B (input)"],
            f"{a.name} -> {b.name}: {steps} points on the slerp path, between the inputs", chords=row_chords))
    if wav:
        data, result["synth"] = wav_of(melodies, gap_steps=steps_per_bar, chords=path_chords)
        result["wav"] = write_file(out / "path.wav", data)
    if notes:
        result["notes"] = notes
    return result


def reconstruct(checkpoint, midi: Path, out: Path, temperature: float = 0.0, png: bool = True, seed: int = 0,
                chords: str | None = None) -> dict:
    """With a chord model: over the input's own chords, or over --chords."""
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint)
    windows, conditions = melody_and_chords(model, midi, None, "--bar", chords)
    rebuilt = model.reconstruct(windows, temperature, seed, conditions)
    out = output_folder(out)
    result = {"input": str(midi), "windows": len(windows), "accuracy": round(float((rebuilt == windows).mean()), 4),
              "input_midi": write_file(out / "input.mid", midi_bytes(windows, chords=conditions)),
              "reconstruction_midi": write_file(out / "reconstruction.mid", midi_bytes(rebuilt, chords=conditions))}
    if png:
        row_chords = None if conditions is None else [conditions.reshape(-1)] * 2
        result["piano_roll"] = write_file(out / "reconstruction.png", png_of(
            [windows.reshape(-1), rebuilt.reshape(-1)], ["input", "output"], midi.name, chords=row_chords))
    return result


def progression(model: TrainedModel, text: str | None, windows: int | None = None) -> tuple[np.ndarray | None, int]:
    """--chords as the model needs it: (W, T) per-step chord classes, one chord per bar, and the progression's
    length in bars. W windows cover the progression (the last chord held to fill the last one), or, given
    `windows`, the progression repeats over that many. (None, 0) for an unconditioned model."""
    conditioned = bool(model.cfg.condition_classes)
    if not conditioned:
        if text:
            raise ConfigError(f"--chords: {model.cfg.name} is not chord-conditioned (use a chord model such as "
                              f"mel_2bar_chords)")
        return None, 0
    if not text:
        raise ConfigError(f"--chords: {model.cfg.name} is chord-conditioned; give a progression, e.g. --chords \"C G Am F\"")
    classes = parse_progression(text)
    bars, per_window = len(classes), model.cfg.bars
    if windows is None:
        windows = -(-bars // per_window)
        per_bar = classes + [classes[-1]] * (windows * per_window - bars)
    else:
        per_bar = [classes[i % bars] for i in range(windows * per_window)]
    return np.repeat(np.array(per_bar, np.uint8), model.cfg.steps_per_bar).reshape(windows, -1), bars


def progression_melody(model: TrainedModel, conditions: np.ndarray, bars: int, temperature: float,
                       generator: torch.Generator) -> np.ndarray:
    """One sample over a whole progression: one z decoded over each of its (W, T) windows of chords, cut to its
    `bars` (the last window's padding dropped). -> (bars * steps_per_bar,)"""
    z = torch.randn(1, model.cfg.z_dim, generator=generator).numpy().repeat(len(conditions), 0)
    return model.decode(z, temperature, generator, conditions).reshape(-1)[: bars * model.cfg.steps_per_bar]


def sample(checkpoint, n: int, temperature: float, out: Path, seed: int = 0, png: bool = True,
           chords: str | None = None) -> dict:
    """n samples, one MIDI file each; the piano roll shows the first few (its cost does not grow with n).

    With a chord model, each sample plays over the whole --chords progression: its windows are decoded from
    one z, each over its own chords (the notebook's "same style over a chord progression")."""
    if n < 1:
        raise ConfigError(f"-n {n}: must be at least 1")
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint)
    conditions, bars = progression(model, chords)
    out = output_folder(out)
    width = max(2, len(str(n - 1)))
    files, shown, shown_chords = [], [], []
    if conditions is None:
        for start in range(0, n, 256):  # bounded memory for any n
            windows = model.sample(min(256, n - start), temperature, seed + start)
            files += [write_file(out / f"sample_{start + i:0{width}d}.mid", midi_bytes(w)) for i, w in enumerate(windows)]
            shown += list(windows[: 16 - len(shown)])
    else:
        generator = torch.Generator().manual_seed(seed)
        length = bars * model.cfg.steps_per_bar
        steps = conditions.reshape(-1)[:length]
        for i in range(n):
            melody = progression_melody(model, conditions, bars, temperature, generator)
            files.append(write_file(out / f"sample_{i:0{width}d}.mid", midi_bytes(melody, chords=steps)))
            if len(shown) < 16:
                shown.append(melody)
                shown_chords.append(steps)
    result = {"files": files, "temperature": temperature, "seed": seed, "checkpoint": model.source}
    if chords:
        result["chords"] = chords
    if png:
        label = f" over {chords}" if chords else ""
        result["piano_roll"] = write_file(out / "samples.png", png_of(
            shown, [str(i) for i in range(len(shown))], f"{len(shown)} of {n} samples, temperature {temperature}{label}",
            chords=shown_chords or None))
    return result


def encode(checkpoint, inputs: list[Path], out: Path) -> dict:
    """Posterior means of every window (sliding one bar) of every input; bad inputs are reported, not fatal.

    Writes OUT.npy (".npy" is added when missing) and OUT.json naming each row's source and start bar.
    """
    out = Path(out)
    if out.is_dir():
        raise IsADirectoryError(f"--out {out}: is an existing folder; give a file name such as {out / 'z.npy'}")
    if out.suffix != ".npy":
        out = out.with_name(out.name + ".npy")
    sidecar = out.with_suffix(".json")
    for target in (out, sidecar):
        if target.is_dir():
            raise IsADirectoryError(f"--out {target}: is an existing folder; give a file name such as z.npy")
    model = TrainedModel.load(checkpoint)
    vectors, sources, failed = [], [], []
    for path in inputs:
        try:
            extraction = windows_from_midi_file(path, model.cfg.bars, hop_bars=1)
        except NoWindows as err:
            failed.append(str(err))
            continue
        vectors.append(model.encode(extraction.windows))
        sources += [{"source": str(path), "window": i, **extraction.origin(i)} for i in range(len(extraction.windows))]
    if not vectors:
        raise NoWindows("no input gave a window: " + "; ".join(failed))
    z = np.concatenate(vectors).astype(np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, z)
    sidecar.write_text(json.dumps({"checkpoint": model.source, "z_dim": int(z.shape[1]), "windows": sources}, indent=1))
    return {"out": str(out), "sources": str(sidecar), "shape": list(z.shape), "failed": failed}
