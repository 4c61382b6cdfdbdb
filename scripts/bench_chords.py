"""Does the chord model follow its chords? Measured on held-out chord-annotated windows.

- chord-tone ratio (share of note onsets whose pitch class is in the chord sounding then): of the held-out
  melodies over their own chords; of the chord model's prior samples over the held-out progressions; of the
  unconditioned model's samples judged against the same progressions;
- the chord model's accuracy (teacher-forced and sampled, as `musicae evaluate`) with the true chords and with
  chords shuffled between windows for the decoder (z still encodes the true window): it must use them;
- the unconditioned model's accuracy on the same melodies;
- the chord-tone ratio of the chord model's reconstructions over their own chords (greedy, what `reconstruct`
  gives), and of the same z decoded at --temperature over other windows' chords, judged against those chords,
  beside the held-out melodies themselves judged against them (a melody that did not move to its new chords).
Prints one JSON line.

Usage: python scripts/bench_chords.py [--checkpoint mel_2bar_chords] [--unconditioned mel_2bar_folk]
           [--data data/prepared/chords-mix] [--windows 2000] [--temperature 0.5]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from musicae.music.data.prepare import load_streams
from musicae.music.encodings.melody_chords import chord_tone_ratio
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.models.evaluation import evaluate_windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="mel_2bar_chords")
    parser.add_argument("--unconditioned", default="mel_2bar_folk")
    parser.add_argument("--data", type=Path, default=Path("data/prepared/chords-mix"))
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    valid = load_streams(args.data, "valid")
    windows, chords = valid["notes"], valid["chords"]
    picked = np.sort(rng.permutation(len(windows))[: args.windows])
    windows, chords = windows[picked], chords[picked]
    shuffled = chords[rng.permutation(len(chords))]
    model, plain = TrainedModel.load(args.checkpoint), TrainedModel.load(args.unconditioned)
    z = rng.standard_normal((len(windows), model.cfg.z_dim)).astype(np.float32)
    conditioned_samples = model.decode(z, args.temperature, args.seed, chords)
    encoded = model.encode(windows, chords)
    reconstructions = model.decode(encoded, 0.0, args.seed, chords)
    moved = model.decode(encoded, args.temperature, args.seed, shuffled)
    plain_samples = plain.sample(len(windows), args.temperature, args.seed)
    true = evaluate_windows(model.model, windows, conditions=chords, seed=args.seed)
    wrong = evaluate_windows(model.model, windows, conditions=chords, decoder_conditions=shuffled, seed=args.seed)
    unconditioned = evaluate_windows(plain.model, windows, seed=args.seed)
    keys = ("teacher_forced_accuracy", "sampled_accuracy", "onset_accuracy")
    print(json.dumps({
        "data": str(args.data), "windows": len(windows), "temperature": args.temperature,
        "chord_tone_ratio": {"heldout_data": chord_tone_ratio(windows, chords),
                             "chord_model_samples": chord_tone_ratio(conditioned_samples, chords),
                             "unconditioned_samples": chord_tone_ratio(plain_samples, chords),
                             "chord_model_reconstructions": chord_tone_ratio(reconstructions, chords),
                             "heldout_data_over_other_chords": chord_tone_ratio(windows, shuffled),
                             "chord_model_same_z_over_other_chords": chord_tone_ratio(moved, shuffled)},
        "chord_model_true_chords": {k: true[k] for k in keys},
        "chord_model_shuffled_chords_for_the_decoder": {k: wrong[k] for k in keys},
        "unconditioned_model": {k: unconditioned[k] for k in keys},
    }))


if __name__ == "__main__":
    main()
