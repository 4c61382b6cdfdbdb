"""Moves in a trained model's latent space: attribute vectors, transforms, similar variations, grids.

All work on a TrainedModel and (N, T) windows and return windows; the commands (latent_commands.py) add
the files. Decoding is greedy unless a temperature is given, so amount 0, similarity 1 and the grid's
corners give back the plain reconstructions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent.attributes import ATTRIBUTES, attribute_table

VECTORS_FILE = "attributes.json"


def attribute_vectors(model: TrainedModel, windows: np.ndarray, names: list[str] | None = None,
                      batch_size: int = 1024, seed: int = 0, conditions: np.ndarray | None = None) -> dict:
    """MusicVAE's attribute vectors: mean z of the windows in an attribute's top quartile minus that of its
    bottom quartile. Quartiles are by rank, ties broken at random (seeded): many windows share a value
    (most folk windows are wholly in scale, most have no syncopation). A chord model encodes each window with
    its `conditions`."""
    names = names or ATTRIBUTES.names()
    if len(windows) < 4:
        raise ValueError(f"{len(windows)} windows: attribute vectors need at least 4 (a quartile each side)")
    z = np.concatenate([model.encode(windows[i : i + batch_size], None if conditions is None else
                                     conditions[i : i + batch_size]) for i in range(0, len(windows), batch_size)])
    values = attribute_table(windows, names)
    rng = np.random.default_rng(seed)
    quarter = len(windows) // 4
    vectors, skipped = {}, {}
    for name in names:
        v = values[name]
        if v.min() == v.max():
            skipped[name] = f"every one of the {len(windows)} windows has the value {v[0]:g}"
            continue
        order = np.lexsort((rng.random(len(v)), v))  # ascending by value, ties in random order
        bottom, top = order[:quarter], order[-quarter:]
        vectors[name] = {
            "vector": (z[top].mean(0) - z[bottom].mean(0)).round(6).tolist(),
            "windows_per_quartile": int(quarter),
            "bottom_mean": round(float(v[bottom].mean()), 6),
            "top_mean": round(float(v[top].mean()), 6),
            "data_mean": round(float(v.mean()), 6),
        }
    if not vectors:
        raise ValueError(f"no attribute varies over these {len(windows)} windows ({'; '.join(skipped.values())}); "
                         f"use more, or more varied, windows")
    return {"model": model.cfg.name, "z_dim": model.cfg.z_dim, "bars": model.cfg.bars, "windows": len(windows),
            "seed": seed, "attributes": vectors, "skipped": skipped}


def load_vectors(path: Path, model: TrainedModel) -> dict[str, np.ndarray]:
    """name -> (Z,) vector from an attributes JSON, checked against the model."""
    try:
        record = json.loads(Path(path).read_text())
        vectors = {name: np.asarray(entry["vector"], dtype=np.float32) for name, entry in record["attributes"].items()}
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such attribute-vector file (make one with `musicae attributes`)") from None
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not an attribute-vector file ({type(err).__name__}: {err})") from None
    for name, vector in vectors.items():
        if vector.shape != (model.cfg.z_dim,):
            raise ValueError(f"{path}: vector {name} has {vector.size} dimensions, the model's latent has "
                             f"{model.cfg.z_dim} (vectors belong to the model they were computed with)")
    return vectors


def model_vectors_path(model: TrainedModel) -> Path:
    """Where a model's own vectors live: beside its weights (shipped models ship them)."""
    return Path(model.source) / VECTORS_FILE


def transform(model: TrainedModel, windows: np.ndarray, vectors: dict[str, np.ndarray],
              amounts: dict[str, float], temperature: float = 0.0, seed: int = 0) -> np.ndarray:
    """Decode z + sum(amount * vector) for each window's posterior mean."""
    z = model.encode(windows)
    for name, amount in amounts.items():
        if name not in vectors:
            raise KeyError(f"no vector for attribute {name!r} (known: {', '.join(sorted(vectors))})")
        z = z + amount * vectors[name]
    return model.decode(z, temperature, seed)


def similar(model: TrainedModel, window: np.ndarray, n: int, similarity: float, temperature: float = 0.0,
            seed: int = 0) -> np.ndarray:
    """magenta.js's `similar`: decode s * z_in + (1 - s) * noise, the noise drawn from the model's prior (N(0, I),
    or a personal model's). (T,) -> (n, T)."""
    if not 0 <= similarity <= 1:
        raise ValueError(f"--similarity {similarity}: must be in [0, 1]")
    z_in = model.encode(np.asarray(window)[None])  # (1, Z)
    generator = torch.Generator().manual_seed(seed)
    noise = model.model.prior_z(n, generator).numpy()
    return model.decode(similarity * z_in + (1 - similarity) * noise, temperature, generator)


def grid(model: TrainedModel, corners: np.ndarray, size: int, temperature: float = 0.0, seed: int = 0) -> np.ndarray:
    """Bilinear interpolation between four windows' posterior means, as in magenta.js's four-corner grids.

    corners (4, T) in the order top-left, top-right, bottom-left, bottom-right -> (size, size, T).
    """
    if size < 2:
        raise ValueError(f"--size {size}: must be at least 2 (the corners)")
    z = model.encode(corners)  # (4, Z)
    t = np.linspace(0.0, 1.0, size)
    rows, cols = t[:, None, None], t[None, :, None]  # (size, 1, 1), (1, size, 1)
    top = (1 - cols) * z[0] + cols * z[1]
    bottom = (1 - cols) * z[2] + cols * z[3]
    points = (1 - rows) * top + rows * bottom  # (size, size, Z)
    decoded = model.decode(points.reshape(size * size, -1).astype(np.float32), temperature, seed)
    return decoded.reshape(size, size, -1)
