"""The models shipped inside the package, by name: where they are, and what they are (their cards).

A shipped model is a folder of `musicae/assets` holding config.json and model.safetensors, and a
card.json with its measured figures (written by scripts/export_model.py). Any command's
`--checkpoint` takes such a name as well as a path; a path that exists wins over a name.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from musicae.music.encodings.base import DEFAULT_ENCODING

DEFAULT_MODEL = "mel_2bar_folk"
CARD = "card.json"


def assets_dir() -> Path:
    return Path(str(resources.files("musicae") / "assets"))


def shipped_names() -> list[str]:
    return sorted(p.name for p in assets_dir().iterdir() if (p / "config.json").is_file())


def shipped_model_dir(name: str = DEFAULT_MODEL) -> Path:
    if name not in shipped_names():
        raise FileNotFoundError(f"{name}: no shipped model of that name (shipped: {', '.join(shipped_names())})")
    return assets_dir() / name


def model_path(checkpoint: str | Path | None) -> Path:
    """What `--checkpoint` names: nothing (the default model), a path, or a shipped model's name."""
    if checkpoint is None or str(checkpoint) == "":
        return shipped_model_dir()
    path = Path(checkpoint)
    if path.exists():
        return path
    if str(checkpoint) in shipped_names():
        return shipped_model_dir(str(checkpoint))
    if len(path.parts) == 1 and not path.suffix:
        raise FileNotFoundError(f"{checkpoint}: no such checkpoint, run directory or shipped model "
                                f"(shipped: {', '.join(shipped_names())}; see `musicae models`)")
    raise FileNotFoundError(f"{checkpoint}: no such checkpoint or run directory")


def model_card(name: str) -> dict:
    """Name, window length, size and measured figures of a shipped model."""
    directory = shipped_model_dir(name)
    record = json.loads((directory / "config.json").read_text())
    config = record["config"]
    card = json.loads((directory / CARD).read_text()) if (directory / CARD).exists() else {}
    weights = directory / "model.safetensors"
    return {
        "name": name,
        "default": name == DEFAULT_MODEL,
        "config": config.get("name"),
        "bars": config.get("bars"),
        "decoder": config.get("decoder"),
        "encoding": config.get("encoding", DEFAULT_ENCODING),
        "z_dim": config.get("z_dim"),
        "parameters": card.get("parameters"),
        "megabytes": round(sum(p.stat().st_size for p in directory.iterdir() if p.is_file()) / 1e6, 2),
        "stored_dtype": record.get("stored_dtype", "float32"),
        "trained_steps": record.get("trained", {}).get("step"),
        "description": card.get("description", ""),
        "figures": card.get("figures", {}),
        "recipe": card.get("recipe"),
        "path": str(directory),
        "weights_bytes": weights.stat().st_size,
    }
