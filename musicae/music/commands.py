"""File-level generation commands behind the CLI: sample, reconstruct, interpolate, encode."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from musicae.music.encoding import STEPS_PER_BAR, windows_to_midi
from musicae.music.generate import NoWindows, TrainedModel, melody_windows
from musicae.music.render import midi_to_wav, piano_roll


def _pick_windows(path: Path, bars: int, bar: int | None) -> np.ndarray:
    """The whole melody window after window, or, with `bar`, the one window starting at that bar."""
    if bar is None:
        return melody_windows(path, bars)
    every_bar = melody_windows(path, bars, hop_bars=1)
    if not 0 <= bar < len(every_bar):
        raise NoWindows(f"{path}: --bar {bar} is out of range; its {bars}-bar windows start at bars 0..{len(every_bar) - 1}")
    return every_bar[bar : bar + 1]


def interpolate(checkpoint, a: Path, b: Path, steps: int, out: Path, bar_a: int | None = None, bar_b: int | None = None,
                temperature: float = 0.0, wav: bool = True) -> dict:
    if steps < 2:
        raise ValueError("--steps must be at least 2 (both endpoints are included)")
    model = TrainedModel.load(checkpoint)
    bars = model.cfg.bars
    windows_a = _pick_windows(a, bars, bar_a)
    windows_b = _pick_windows(b, bars, bar_a if bar_b is None else bar_b)
    paired = min(len(windows_a), len(windows_b))
    notes = []
    if len(windows_a) != len(windows_b):
        notes.append(f"A has {len(windows_a)} windows and B {len(windows_b)}: interpolating the first {paired} of each")
    path = model.interpolate(windows_a[:paired], windows_b[:paired], steps, temperature)  # (steps, M, T)
    out.mkdir(parents=True, exist_ok=True)
    files = [str(windows_to_midi(path[i], out / f"step_{i:02d}.mid")) for i in range(steps)]
    melodies = path.reshape(steps, -1)  # each step's windows back to back
    whole = windows_to_midi(melodies, out / "path.mid", gap_steps=STEPS_PER_BAR)
    rows = [windows_a[:paired].reshape(-1), *melodies, windows_b[:paired].reshape(-1)]
    roll = piano_roll(rows, out / "path.png", titles=["A (input)", *map(str, range(steps)), "B (input)"],
                      title=f"{a.name} -> {b.name}: {steps} points on the slerp path, between the inputs")
    result = {"a": str(a), "b": str(b), "steps": steps, "windows_per_step": paired, "files": files,
              "path_midi": str(whole), "piano_roll": str(roll), "checkpoint": model.source}
    if wav:
        result["wav"] = str(out / "path.wav")
        result["synth"] = midi_to_wav(whole, out / "path.wav")
    if notes:
        result["notes"] = notes
    return result


def reconstruct(checkpoint, midi: Path, out: Path, temperature: float = 0.0) -> dict:
    model = TrainedModel.load(checkpoint)
    windows = melody_windows(midi, model.cfg.bars)
    rebuilt = model.reconstruct(windows, temperature)
    out.mkdir(parents=True, exist_ok=True)
    original = windows_to_midi(windows, out / "input.mid")
    result_midi = windows_to_midi(rebuilt, out / "reconstruction.mid")
    roll = piano_roll([windows.reshape(-1), rebuilt.reshape(-1)], out / "reconstruction.png",
                      titles=["input", "output"], title=midi.name)
    return {"input": str(midi), "windows": len(windows), "accuracy": round(float((rebuilt == windows).mean()), 4),
            "input_midi": str(original), "reconstruction_midi": str(result_midi), "piano_roll": str(roll)}


def sample(checkpoint, n: int, temperature: float, out: Path, seed: int = 0) -> dict:
    if n < 1:
        raise ValueError("-n must be at least 1")
    model = TrainedModel.load(checkpoint)
    windows = model.sample(n, temperature, seed)
    out.mkdir(parents=True, exist_ok=True)
    files = [str(windows_to_midi(w, out / f"sample_{i:02d}.mid")) for i, w in enumerate(windows)]
    roll = piano_roll(list(windows), out / "samples.png", titles=[str(i) for i in range(n)],
                      title=f"{n} samples, temperature {temperature}")
    return {"files": files, "piano_roll": str(roll), "temperature": temperature, "checkpoint": model.source}


def encode(checkpoint, inputs: list[Path], out: Path) -> dict:
    """Posterior means of every window (sliding one bar) of every input; bad inputs are reported, not fatal."""
    model = TrainedModel.load(checkpoint)
    vectors, sources, failed = [], [], []
    for path in inputs:
        try:
            windows = melody_windows(path, model.cfg.bars, hop_bars=1)
        except NoWindows as err:
            failed.append(str(err))
            continue
        vectors.append(model.encode(windows))
        sources += [{"source": str(path), "window": i, "start_bar": i} for i in range(len(windows))]
    if not vectors:
        raise ValueError("no input gave a window: " + "; ".join(failed))
    z = np.concatenate(vectors).astype(np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, z)
    sidecar = out.with_suffix(".json")
    sidecar.write_text(json.dumps({"checkpoint": model.source, "z_dim": int(z.shape[1]), "windows": sources}, indent=1))
    return {"out": str(out), "sources": str(sidecar), "shape": list(z.shape), "failed": failed}
