"""Turn a run's checkpoint (or a model folder) into a shipped model folder with a card of measured figures.

Usage: python scripts/export_model.py SOURCE DEST [--fp16] [--heldout DIR] [--attributes DIR] [--description TEXT]
                                     [--recipe PATH] [--device cuda]

- weights and config only (no optimizer state);
- --fp16 stores float16 weights (half the size), but only if the held-out figures of the float16 weights
  match the float32 ones within 0.001; otherwise float32 is kept and the card says why;
- --heldout DIR measures the model on DIR's valid split (all windows, `musicae evaluate`'s metrics) and
  writes them, with the command that reproduces them, to DEST/card.json, which `musicae models` shows
  (without it, the figures of a SOURCE that is itself an exported model are kept);
- --attributes DIR computes the model's attribute vectors on DIR's train split (`musicae attributes`) and
  ships them as DEST/attributes.json, where `musicae transform` finds them;
- --device runs those measurements there (the card names it: the sampled figures draw other random numbers
  on a GPU than on a CPU).
Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.checkpoint import load_config, resolve_checkpoint, save_model
from musicae.autoencoding.cli import OneLineParser, run_main
from musicae.autoencoding.runs import load_resolved
from musicae.cli import limited_subset
from musicae.music.data.prepare import load_streams
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent.moves import VECTORS_FILE, attribute_vectors
from musicae.music.models.evaluation import evaluate_model
from musicae.music.models.sequence_vae import SequenceVAE

TOLERANCE = 0.001
COMPARED = ("teacher_forced_accuracy", "sampled_accuracy", "free_running_accuracy")


class _Weights:  # save_model wants something with state_dict()
    def __init__(self, tensors):
        self.tensors = tensors

    def state_dict(self):
        return self.tensors


MULTITRACK_HELDOUT_BARS = 1000
"""A multitrack model is measured on this many held-out bars (a fixed sample; `musicae evaluate --limit`)."""


def figures(model, heldout: Path) -> dict:
    """`musicae evaluate`'s figures on the held-out rows (every stream of the model's encoding); a multitrack
    model's on a fixed sample of MULTITRACK_HELDOUT_BARS of them (its decoding runs track by track)."""
    rows = load_streams(heldout, "valid", model.encoding)
    if not isinstance(model, SequenceVAE):
        rows = rows.take(limited_subset(len(rows), MULTITRACK_HELDOUT_BARS))
    return evaluate_model(model, rows, progress=True)


def vectors_json(model, data: Path, limit: int = 20000, seed: int = 0) -> str:
    rows = load_streams(data, "train", model.encoding)
    picked = np.sort(np.random.default_rng(seed).permutation(len(rows))[:limit])
    rows = rows.take(picked)
    controls = model.encoding.controls
    result = attribute_vectors(TrainedModel(model, "export"), rows[model.encoding.outputs[0].name], seed=seed,
                               conditions=rows[controls[0].name] if controls else None)
    return json.dumps({**result, "data": str(data), "split": "train"}, indent=1)


def export(source: Path, dest: Path, fp16: bool = False, heldout: Path | None = None, description: str = "",
           recipe: str | None = None, attributes: Path | None = None, device: str = "cpu") -> dict:
    checkpoint = resolve_checkpoint(source)
    record = load_config(checkpoint)
    model, _ = load_resolved(checkpoint, device)
    weights = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    if (checkpoint / "trainer.json").exists():
        trainer = json.loads((checkpoint / "trainer.json").read_text())
        record["trained"] = {"step": trainer["step"], "run": str(source), "device": trainer["trainer"].get("device")}
    record.pop("stored_dtype", None)
    previous = json.loads((checkpoint / "card.json").read_text()) if (checkpoint / "card.json").exists() else {}
    card = {key: previous[key] for key in ("figures", "float16_check") if key in previous and heldout is None}
    card |= {"description": description or previous.get("description", ""), "recipe": recipe or previous.get("recipe"),
             "parameters": sum(v.numel() for v in weights.values())}
    extra = {}
    if attributes is not None:
        extra[VECTORS_FILE] = vectors_json(model, attributes)
    elif (checkpoint / VECTORS_FILE).exists():
        extra[VECTORS_FILE] = (checkpoint / VECTORS_FILE).read_text()
    stored = weights
    if heldout is not None:
        limit = "" if isinstance(model, SequenceVAE) else f" --limit {MULTITRACK_HELDOUT_BARS}"
        card["figures"] = {**figures(model, heldout), "data": str(heldout), "split": "valid", "device": device,
                           "command": f"musicae evaluate --checkpoint {dest.name} --data {heldout}{limit}"}
    if fp16:
        half = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
        if heldout is not None:
            model.load_state_dict(half)  # float16 values into the float32 model (copied to its device): as loaded
            check = figures(model, heldout)
            differences = {k: round(abs(check[k] - card["figures"][k]), 4) for k in COMPARED}
            card["float16_check"] = {"differences": differences, "tolerance": TOLERANCE}
            if max(differences.values()) > TOLERANCE:
                half = None
                card["float16_check"]["kept"] = "float32 (a figure moved beyond the tolerance)"
        if half is not None:
            stored, record["stored_dtype"] = half, "float16"
    out = save_model(dest, _Weights(stored), record, extra={"card.json": json.dumps(card, indent=1), **extra})
    size = sum(p.stat().st_size for p in out.iterdir())
    return {"exported": str(out), "from": str(checkpoint), "bytes": size,
            "stored_dtype": record.get("stored_dtype", "float32"), **card}


def main() -> int:
    parser = OneLineParser(prog="python scripts/export_model.py", description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="run directory, checkpoint or model folder")
    parser.add_argument("dest", type=Path, help="model folder to write (replaced atomically)")
    parser.add_argument("--fp16", action="store_true", help="store float16 weights if the figures allow it")
    parser.add_argument("--heldout", type=Path, help="prepared folder whose valid split gives the card's figures")
    parser.add_argument("--attributes", type=Path, help="prepared folder whose train split gives the attribute vectors")
    parser.add_argument("--description", default="", help="one line for `musicae models`")
    parser.add_argument("--recipe", default=None, help="the script that reproduces the model")
    parser.add_argument("--device", default="cpu", help="where to measure the figures (cpu, cuda)")
    parser.set_defaults(func=run, command="scripts/export_model.py")
    return run_main("python", parser, None)  # a bad source, folder or device: one line, exit 2


def run(args) -> int:
    torch.set_grad_enabled(False)
    print(json.dumps(export(args.source, args.dest, args.fp16, args.heldout, args.description, args.recipe,
                            args.attributes, args.device)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
