"""Measure what each attribute vector of a shipped melody model does (latent/quality.slider_effects) and add it
to the model's attributes.json as `effects`, which the studio reads to offer a slider only for a vector that
measurably moves its attribute, in musical units. The model folder is rewritten atomically (files.json too);
`musicae attributes` writes the same block for a model of your own.

Usage: python scripts/add_slider_effects.py MODEL DATA [--windows 256] [--seed 0]
       (the shipped ones: mel_2bar_folk data/prepared/folk-any; mel_2bar_folk_hikl data/prepared/folk;
        mel_16bar_folk data/prepared/folk16-any: `musicae prepare --corpus folk [--any-meter] [--bars 16]`)
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.checkpoint import atomic_directory, write_file_list
from musicae.music.data.prepare import load_windows
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent.moves import VECTORS_FILE, model_vectors_path
from musicae.music.latent.quality import slider_effects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a shipped model name or a model folder")
    parser.add_argument("data", type=Path, help="a prepared folder of the model's windows (its train split is read)")
    parser.add_argument("--windows", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    model = TrainedModel.load(args.model)
    if model.control_names:
        raise SystemExit(f"{args.model}: a model with controls; its vectors need chords to be measured")
    path = model_vectors_path(model)
    record = json.loads(path.read_text())
    vectors = {name: np.asarray(entry["vector"], np.float32) for name, entry in record["attributes"].items()}
    windows = load_windows(args.data, "train", model.encoding)
    record["effects"] = slider_effects(model, windows, vectors, args.windows, args.seed) | {
        "data": str(args.data), "split": "train"}
    folder = path.parent
    with atomic_directory(folder) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        for file in folder.iterdir():
            if file.is_file() and file.name != VECTORS_FILE:
                shutil.copy2(file, tmp / file.name)
        (tmp / VECTORS_FILE).write_text(json.dumps(record, indent=1))
        write_file_list(tmp)
    print(json.dumps({"model": args.model, **{k: v for k, v in record["effects"].items()}}))


if __name__ == "__main__":
    main()
