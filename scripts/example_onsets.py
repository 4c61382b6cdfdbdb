"""How well 16-bar models get the two long held-out example tunes back: `evaluate_windows` on each.

Usage: python scripts/example_onsets.py CHECKPOINT [CHECKPOINT ...]   (paths, run folders or shipped names)
Prints one JSON line per checkpoint and tune: teacher-forced, onset and greedy accuracy (z from the posterior,
seed 0). Hold steps are 55% and 78% of the two tunes, so onset accuracy is the figure that tells models apart.
"""

from __future__ import annotations

import json
import sys

import torch

from musicae.autoencoding.cli import OneLineParser, run_main
from musicae.music.inference.trained_model import TrainedModel, example_melodies, melody_windows
from musicae.music.models.evaluation import evaluate_windows


def main() -> int:
    parser = OneLineParser(prog="python scripts/example_onsets.py", description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", default=["mel_16bar_folk"], help="16-bar models to measure")
    parser.set_defaults(func=run, command="scripts/example_onsets.py")
    return run_main("python", parser, None)  # a bad checkpoint: one line, exit 2


def run(args) -> int:
    torch.set_grad_enabled(False)
    for checkpoint in args.checkpoints:
        model = TrainedModel.load(checkpoint)
        for path in example_melodies(long=True):
            figures = evaluate_windows(model.model, melody_windows(path, model.cfg.bars))
            print(json.dumps({"checkpoint": checkpoint, "tune": path.name,
                              **{k: figures[k] for k in ("teacher_forced_accuracy", "onset_accuracy",
                                                         "free_running_accuracy")}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
