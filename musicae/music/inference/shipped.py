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
HIGH_KL_MODEL = "mel_2bar_folk_hikl"
JOB_MODELS = {
    # MusicVAE's low-KL / high-KL trade-off: a model whose z carries more bits gives a melody back (reconstruct,
    # interpolate, latent moves) but its prior samples jump more; the low-KL default samples closer to the data.
    "sample": DEFAULT_MODEL,
    "reconstruct": HIGH_KL_MODEL,
    "interpolate": HIGH_KL_MODEL,
    "encode": HIGH_KL_MODEL,
    "similar": HIGH_KL_MODEL,
    "transform": HIGH_KL_MODEL,
    "grid": HIGH_KL_MODEL,
    "personalize": DEFAULT_MODEL,
    "humanize": "groovae_humanize",
    "drumify": "groovae_tap",
    "measures": "multitrack_1bar",
}
"""The default model of each command that takes --checkpoint (any other command: DEFAULT_MODEL)."""
LOW_KL_NAMES = {"mel_2bar_folk_lokl": DEFAULT_MODEL, "drums_2bar_lokl": "drums_2bar"}
"""Magenta's plain names for the low-KL side of a low-KL / high-KL pair: the same shipped model."""
GROOVE_JOBS = {
    "humanize": ("pattern", "a quantized beat (its drum hits)"),
    "drumify": ("taps", "a rhythm (taps on one drum, or a melody's onsets)"),
}
"""GrooVAE's jobs: the stream each one's encoder reads, and what that input is (music/inference/groove_commands.py)."""


def assets_dir() -> Path:
    return Path(str(resources.files("musicae") / "assets"))


def shipped_names() -> list[str]:
    return sorted(p.name for p in assets_dir().iterdir() if (p / "config.json").is_file())


def shipped_model_dir(name: str = DEFAULT_MODEL) -> Path:
    name = LOW_KL_NAMES.get(name, name)
    if name not in shipped_names():
        raise FileNotFoundError(f"{name}: no shipped model of that name (shipped: {', '.join(shipped_names())})")
    return assets_dir() / name


def default_model(job: str | None = None) -> str:
    """The shipped model a command uses when no --checkpoint is given (DEFAULT_MODEL for a job not listed, or
    when a job's own model is not installed)."""
    name = JOB_MODELS.get(job or "", DEFAULT_MODEL)
    return name if name in shipped_names() else DEFAULT_MODEL


def command_model(command: str) -> str | None:
    """The model a command uses when no --checkpoint is given, for commands that take one (else None)."""
    return default_model(command) if command in JOB_MODELS else None


def jobs_of(name: str) -> list[str]:
    """The commands whose default is the shipped model `name`."""
    return [job for job in JOB_MODELS if default_model(job) == name]


def model_path(checkpoint: str | Path | None, job: str | None = None) -> Path:
    """What `--checkpoint` names: nothing (the default model of `job`), a path, or a shipped model's name."""
    if checkpoint is None or str(checkpoint) == "":
        return shipped_model_dir(default_model(job))
    path = Path(checkpoint)
    if path.exists():
        return path
    name = LOW_KL_NAMES.get(str(checkpoint), str(checkpoint))
    if name in shipped_names():
        return assets_dir() / name
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
        "default_for": jobs_of(name),
        "also_named": sorted(alias for alias, target in LOW_KL_NAMES.items() if target == name),
        "config": config.get("name"),
        "bars": config.get("bars"),
        "decoder": config.get("decoder") or record.get("kind"),
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
