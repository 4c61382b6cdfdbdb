"""File-level latent tools behind the CLI: attributes, transform, similar, grid and the quality report.

Each computes with latent_tools.py / quality.py and writes what it computed (MIDI, PNG, WAV, JSON) into
a folder it creates; none deletes anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from musicae.autoencoding.checkpoint import atomic_write_text
from musicae.autoencoding.config import ConfigError
from musicae.music.data.prepare import load_windows
from musicae.music.inference.commands import check_temperature, pick_windows
from musicae.music.inference.conversions import midi_bytes, png_of, wav_of
from musicae.music.inference.outputs import output_files, output_folder, write_file
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent import plots as latent_plots
from musicae.music.latent import quality
from musicae.music.latent.moves import (
    attribute_vectors,
    grid,
    load_vectors,
    model_vectors_path,
    similar,
    transform,
)
from musicae.music.models.language_model import load_lm

MAX_GRID_SIZE = 16
MAX_SIMILAR = 1000


def _data(model: TrainedModel, data: Path, split: str, limit: int | None, seed: int) -> np.ndarray:
    windows = load_windows(Path(data), split, model.encoding)
    if len(windows) == 0:
        raise ValueError(f"{data}: no {split} windows (try --split all)")
    if windows.shape[1] != model.cfg.steps:
        raise ValueError(f"{data}: windows of {windows.shape[1]} steps, but the model reads {model.cfg.steps} "
                         f"({model.cfg.bars} bars); prepare with --bars {model.cfg.bars}")
    if limit and limit < len(windows):
        windows = windows[np.sort(np.random.default_rng(seed).permutation(len(windows))[:limit])]
    return windows


def attributes(checkpoint, data: Path, out: Path, split: str = "train", limit: int | None = 20000,
               seed: int = 0) -> dict:
    model = TrainedModel.load(checkpoint)
    windows = _data(model, data, split, limit, seed)
    result = attribute_vectors(model, windows)
    result |= {"checkpoint": model.source, "data": str(data), "split": split}
    if not model.control_names:  # what each vector does, for the studio's sliders (a chord model's needs chords)
        vectors = {name: np.asarray(entry["vector"], np.float32) for name, entry in result["attributes"].items()}
        result["effects"] = quality.slider_effects(model, windows, vectors, seed=seed)
    out = Path(out)
    if out.is_dir():
        raise IsADirectoryError(f"--out {out}: is a folder; give a file name such as {out / 'vectors.json'}")
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(result, indent=1))
    return {"out": str(out), "windows": len(windows), "attributes": {
        name: {k: v for k, v in entry.items() if k != "vector"} for name, entry in result["attributes"].items()},
        "skipped": result["skipped"]}


def _vectors(model: TrainedModel, path: Path | None) -> dict[str, np.ndarray]:
    if path is None:
        path = model_vectors_path(model)
        if not path.exists():
            raise FileNotFoundError(f"{model.source}: this model has no attribute vectors beside it; compute them "
                                    f"with `musicae attributes --data DIR --checkpoint ... --out vectors.json` and "
                                    f"pass --vectors vectors.json")
    return load_vectors(path, model)


def transform_file(checkpoint, midi: Path, amounts: dict[str, float], out: Path, vectors: Path | None = None,
                   temperature: float | None = None, seed: int = 0, wav: bool = True, png: bool = True,
                   track: int | str | None = None) -> dict:
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint, job="transform")
    temperature = model.temperature(temperature)
    known = _vectors(model, vectors)
    unknown = [name for name in amounts if name not in known]
    if unknown:
        raise ConfigError(f"--attribute {unknown[0]}: no such vector (known: {', '.join(sorted(known))})")
    windows = pick_windows(model, midi, None, "--bar", track)
    changed = transform(model, windows, known, amounts, temperature, seed)
    plain = transform(model, windows, known, {}, temperature, seed)
    out = output_files(out, [midi], model.name, seed)
    result = {"input": str(midi), "amounts": amounts, "windows": len(windows), "temperature": temperature,
              "input_midi": out.write("input.mid", midi_bytes(windows, encoding=model.encoding)),
              "reconstruction_midi": out.write("reconstruction.mid", midi_bytes(plain, encoding=model.encoding)),
              "transformed_midi": out.write("transformed.mid", midi_bytes(changed, encoding=model.encoding)),
              "model": model.name, "checkpoint": model.source}
    if png:
        label = ", ".join(f"{k} {v:+g}" for k, v in amounts.items())
        result["piano_roll"] = out.write("transformed.png", png_of(
            [windows.reshape(-1), plain.reshape(-1), changed.reshape(-1)], ["input", "reconstruction", label],
            f"{midi.name}: {label}", encoding=model.encoding))
    if wav:
        data, result["synth"] = wav_of(changed, encoding=model.encoding)
        result["wav"] = out.write("transformed.wav", data)
    return result


def similar_file(checkpoint, midi: Path, n: int, similarity: float, out: Path, bar: int | None = None,
                 temperature: float | None = None, seed: int = 0, png: bool = True,
                 track: int | str | None = None) -> dict:
    if not 1 <= n <= MAX_SIMILAR:
        raise ConfigError(f"-n {n}: must be in 1..{MAX_SIMILAR}")
    if not 0 <= similarity <= 1:
        raise ConfigError(f"--similarity {similarity}: must be in [0, 1] (1 = the reconstruction itself)")
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint, job="similar")
    temperature = model.temperature(temperature)
    window = pick_windows(model, midi, bar, "--bar", track)[0]
    variations = similar(model, window, n, similarity, temperature, seed)
    out = output_files(out, [midi], model.name, seed)
    width = max(2, len(str(n - 1)))
    files = [out.write(f"similar_{i:0{width}d}.mid", midi_bytes(v, encoding=model.encoding)) for i, v in enumerate(variations)]
    result = {"input": str(midi), "similarity": similarity, "temperature": temperature, "files": files, "model": model.name,
              "checkpoint": model.source}
    if png:
        shown = variations[:15]
        result["piano_roll"] = out.write("similar.png", png_of(
            [window, *shown], ["input", *map(str, range(len(shown)))], f"{midi.name}: similarity {similarity}", encoding=model.encoding))
    return result


def grid_files(checkpoint, corners: list[Path], size: int, out: Path, bar: int | None = None,
               temperature: float | None = None, seed: int = 0, track: int | str | None = None) -> dict:
    if not 2 <= size <= MAX_GRID_SIZE:
        raise ConfigError(f"--size {size}: must be in 2..{MAX_GRID_SIZE}")
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint, job="grid")
    temperature = model.temperature(temperature)
    windows = np.concatenate([pick_windows(model, p, bar, "--bar", track)[:1] for p in corners])
    cells = grid(model, windows, size, temperature, seed)
    out = output_files(out, corners, model.name, seed)
    files = [[out.write(f"grid_r{r}_c{c}.mid", midi_bytes(cells[r, c], encoding=model.encoding)) for c in range(size)] for r in range(size)]
    picture = out.write("grid.png", latent_plots.grid_png(
        cells, " / ".join(p.name for p in corners) + " (corners: top-left, top-right, bottom-left, bottom-right)"))
    return {"corners": [str(p) for p in corners], "size": size, "temperature": temperature, "files": files,
            "picture": picture,
            "model": model.name, "checkpoint": model.source}


def quality_report(checkpoint, data: Path, out: Path, samples: int = 1000, pairs: int = 100, points: int = 11,
                   effect_windows: int = 256, lm: Path | None = None, vectors: Path | None = None,
                   seed: int = 0) -> dict:
    model = TrainedModel.load(checkpoint)
    heldout = _data(model, data, "valid", None, seed)
    language_model = load_lm(lm)
    report = {"model": model.name, "checkpoint": model.source, "data": str(data), "heldout_windows": len(heldout),
              "prior_vs_data": quality.compare_to_data(model, heldout, samples, seed),
              "interpolation": quality.interpolation_analysis(model, language_model, heldout, pairs, points, seed)}
    try:
        known = _vectors(model, vectors)
    except FileNotFoundError as err:
        known, report["attribute_effects"] = None, {"skipped": str(err)}
    if known:
        report["attribute_effects"] = quality.effect_matrix(model, heldout, known, effect_windows, seed)
    out = output_folder(out)
    report["pictures"] = {
        "statistics": write_file(out / "statistics.png", latent_plots.statistics_png(report["prior_vs_data"])),
        "interpolation": write_file(out / "interpolation.png", latent_plots.interpolation_png(report["interpolation"])),
    }
    if known:
        report["pictures"]["effects"] = write_file(out / "effects.png",
                                               latent_plots.effect_matrix_png(report["attribute_effects"]))
    write_file(out / "quality.json", json.dumps(report, indent=1).encode())
    return report
