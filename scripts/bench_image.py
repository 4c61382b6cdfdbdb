"""Image tasks: our default model and the lesson's reference model, same data and epochs, side by side.

Trains on MNIST train (the 5k subset here) and evaluates on the official 10k test set.
Prints one JSON line per task. Usage:
  python scripts/bench_image.py --data-dir ../shared/data/mnist [--epochs 10] [--tasks denoise superres2 superres4 vae]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from image_ae.run import evaluate_run, train_image
from image_ae.tasks import TASKS

JOBS = {
    "ae": ("ae", {}),
    "denoise": ("denoise", {"noise": "gaussian", "sigma": 0.5}),
    "superres2": ("superres", {"scale": 2}),
    "superres4": ("superres", {"scale": 4}),
    "vae": ("vae", {}),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--epochs", type=float, default=10)
    parser.add_argument("--tasks", nargs="+", default=["denoise", "superres2", "superres4", "vae"], choices=list(JOBS))
    parser.add_argument("--k", type=int, default=100, help="importance samples for the VAE NLL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for job in args.tasks:
            task, options = JOBS[job]
            row = {"bench": "image", "job": job, "epochs": args.epochs, **options}
            for role, config in zip(("ours", "lesson"), TASKS[task]):
                start = time.perf_counter()
                run = Path(tmp) / f"{job}-{role}"
                train_image(task, args.data_dir, run, config, epochs=args.epochs, progress=False, **options)
                seconds = time.perf_counter() - start
                row[role] = {"config": config, "train_seconds": round(seconds, 1), **evaluate_run(run, args.data_dir, k=args.k)}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
