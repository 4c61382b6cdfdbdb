"""Benchmark `musicae personalize` (MidiMe) on a user's tunes, split by tune: does a personal model sample in
the style of the user's held-out tunes, and how well does it give them back?

The tunes are split by tune (never a tune's windows on both sides). The personal model is made from the
training tunes (as `musicae personalize` makes it, plus a fine-tuned variant with --fine-tune); its prior
samples and the base model's are compared with the held-out tunes' windows in style (quality.style_distance:
onsets per bar, intervals, range, off-beats, in units of the held-out spread, and the pitch-class histogram).
The floor is the training tunes' own distance to the held-out ones. Reconstruction: greedy accuracy on the
held-out windows.

    python scripts/bench_personalize.py                       # 60 Chinese folk songs (Essen's han1, in music21)
    python scripts/bench_personalize.py --tunes ../shared/data/pop909 --limit 80   # pop melodies, never trained on

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from musicae.music.data.inputs import folk_corpus_dir
from musicae.music.encodings.base import Rows
from musicae.music.latent.personal import PersonalizeOptions, load_base, personal_model, read_tunes
from musicae.music.latent.quality import style_distance


def accuracy(model, rows: Rows) -> float:
    first = model.output_names[0]
    return round(float((model.reconstruct_rows(rows)[first] == rows[first]).mean()), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tunes", nargs="+", type=Path, default=None,
                        help="MIDI/ABC files or folders (default: music21's Essen han1.abc)")
    parser.add_argument("--limit", type=int, default=60, help="tunes used, drawn at random (a user's 10-100)")
    parser.add_argument("--heldout", type=float, default=0.25, help="share of the tunes held out")
    parser.add_argument("--samples", type=int, default=400, help="prior samples per model")
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument("--fine-tune", type=int, default=200, help="steps of the fine-tuned variant (0: none)")
    parser.add_argument("--checkpoint", default=None, help="base model (default: personalize's default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tunes_in = args.tunes or [folk_corpus_dir() / "essenFolksong" / "han1.abc"]
    base = load_base(args.checkpoint)
    tunes, skipped = read_tunes(tunes_in, base)
    rng = np.random.default_rng(args.seed)
    tunes = [tunes[i] for i in rng.permutation(len(tunes))[: args.limit]]
    cut = max(1, int(round(len(tunes) * args.heldout)))
    heldout, train = tunes[:cut], tunes[cut:]
    held_rows = Rows.concat([r for _, r in heldout])
    first = base.output_names[0]
    reference = held_rows[first]
    result = {"tunes": [str(p) for p in tunes_in], "base": base.name, "train_tunes": len(train),
              "heldout_tunes": len(heldout), "train_windows": sum(len(r) for _, r in train),
              "heldout_windows": len(held_rows), "skipped_inputs": len(skipped), "temperature": args.temperature,
              "floor_train_tunes": style_distance(Rows.concat([r for _, r in train])[first], reference),
              "base_samples": style_distance(base.sample(args.samples, args.temperature, args.seed), reference),
              "base_reconstruction": accuracy(base, held_rows)}
    variants = [("personal", 0)] + ([("personal_fine_tuned", args.fine_tune)] if args.fine_tune else [])
    for name, steps in variants:
        started = time.perf_counter()
        model, made = personal_model(base, train, PersonalizeOptions(fine_tune=steps, seed=args.seed))
        seconds = round(time.perf_counter() - started, 1)
        result[name] = {"seconds": seconds, "prior_loss": made["prior_loss"],
                        "samples": style_distance(model.sample(args.samples, args.temperature, args.seed), reference),
                        "reconstruction": accuracy(model, held_rows)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
