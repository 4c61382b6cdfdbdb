"""Melody VAE figures: training throughput, interpolation latency, and the shipped model's evaluation.

Prints one JSON line each. Usage:
  python scripts/bench_melody.py [--data data/prepared/folk] [--checkpoint CKPT] [--configs mel_2bar_cpu mel_2bar_small]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.batch import Batch
from musicae.music.data.prepare import load_windows
from musicae.music.inference.trained_model import TrainedModel, example_melodies, melody_windows
from musicae.music.models.configs import get_config
from musicae.music.models.evaluation import evaluate_windows
from musicae.music.models.sequence_vae import SequenceVAE


def training_throughput(name: str, windows: np.ndarray, steps: int = 8, step_for_schedule: int = 4000) -> dict:
    cfg = get_config(name)
    torch.manual_seed(0)
    model = SequenceVAE(cfg).train()
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    data = torch.from_numpy(windows)
    timings = []
    for i in range(steps + 2):
        batch = data[torch.randint(0, len(data), (cfg.batch_size,))]
        start = time.perf_counter()
        out = model(Batch({"notes": batch}), step=step_for_schedule)
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        if i >= 2:  # the first steps warm up allocators
            timings.append(time.perf_counter() - start)
    seconds = float(np.median(timings))
    return {"bench": "melody_train_throughput", "config": name, "batch_size": cfg.batch_size,
            "threads": torch.get_num_threads(), "windows_per_s": round(cfg.batch_size / seconds, 1),
            "sampling_mode": cfg.sampling_mode, "sampling_probability": round(float(out["sampling_probability"]), 3)}


def interpolation_latency(model: TrainedModel, repeats: int = 10) -> dict:
    a, b = (melody_windows(p, model.cfg.bars, hop_bars=1)[:1] for p in example_melodies())
    model.interpolate(a, b, 5)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.interpolate(a, b, 5)
        timings.append(time.perf_counter() - start)
    return {"bench": "melody_interpolate_latency", "steps": 5, "ms_median": round(1000 * float(np.median(timings)), 1),
            "ms_min": round(1000 * min(timings), 1), "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, nargs="+", default=[Path("data/prepared/folk"), Path("data/prepared/folk-any")],
                        help="prepared datasets whose validation split is evaluated")
    parser.add_argument("--train-data", type=Path, default=Path("data/prepared/folk-any"),
                        help="the model's training set: validation windows that also occur there are left out")
    parser.add_argument("--checkpoint", default=None, help="default: the shipped model")
    parser.add_argument("--configs", nargs="+", default=["mel_2bar_cpu", "mel_2bar_small"])
    parser.add_argument("--eval-limit", type=int, default=0, help="evaluate only the first N validation windows")
    args = parser.parse_args()
    train = load_windows(args.train_data, "train")
    for name in args.configs:
        print(json.dumps(training_throughput(name, train)), flush=True)
    model = TrainedModel.load(args.checkpoint)
    print(json.dumps(interpolation_latency(model)), flush=True)
    seen = {w.tobytes() for w in train}
    for data in args.data:
        valid = load_windows(data, "valid")
        unseen = np.array([w.tobytes() not in seen for w in valid], dtype=bool)
        valid = valid[unseen]
        if args.eval_limit:
            valid = valid[: args.eval_limit]
        result = evaluate_windows(model.model, valid)
        print(json.dumps({"bench": "melody_evaluate", "checkpoint": model.source, "data": str(data), "split": "valid",
                          "left_out_seen_in_training": int((~unseen).sum()), **result,
                          "musicvae_paper_2bar": {"teacher_forced_accuracy": 0.986, "free_running_accuracy": 0.951}}),
              flush=True)


if __name__ == "__main__":
    main()
