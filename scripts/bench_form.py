"""Does a long model's music have a tune's form? Its prior samples and its interpolations, beside held-out tunes.

Per 16-bar window: bar repetition (share of bars after the first that repeat an earlier bar exactly), onsets
per bar, the longest held note (in bars), and phrase ends (share of 4-bar phrases whose last bar ends on a
note of at least a quarter, or a rest). The held-out tunes are a prepared folder's valid split (never trained
on); samples are drawn at --temperature (MusicVAE's notebooks: 0.5), with the segments' random draws coupled
(what every command does) and independent (MusicVAE's way), interpolations decoded at the same temperature
between random held-out pairs (the middle point of each path).

    musicae prepare --corpus folk --bars 16 --out data/prepared/folk16
    python scripts/bench_form.py --data data/prepared/folk16 [--checkpoint mel_16bar_folk]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from musicae.music.data.prepare import load_windows
from musicae.music.encodings.melody import STEPS_PER_BAR, window_to_notes
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent.attributes import bar_repetition


def longest_held_bars(windows: np.ndarray) -> np.ndarray:
    return np.array([max((end - start for _, start, end in window_to_notes(w)), default=0) / STEPS_PER_BAR
                     for w in windows])


def onsets_per_bar(windows: np.ndarray) -> np.ndarray:
    return np.array([len(window_to_notes(w)) / (len(w) / STEPS_PER_BAR) for w in windows])


def phrase_ends(windows: np.ndarray, phrase_bars: int = 4) -> np.ndarray:
    """Share of phrases whose last bar's last onset lasts a quarter note or more (or that end on a rest)."""
    shares = []
    for w in windows:
        notes = window_to_notes(w)
        phrases = len(w) // (phrase_bars * STEPS_PER_BAR)
        ended = 0
        for p in range(phrases):
            end = (p + 1) * phrase_bars * STEPS_PER_BAR
            last_bar = [n for n in notes if end - STEPS_PER_BAR <= n[1] < end]
            ended += not last_bar or min(last_bar[-1][2], end) - last_bar[-1][1] >= STEPS_PER_BAR // 4
        shares.append(ended / max(phrases, 1))
    return np.array(shares)


def form(windows: np.ndarray) -> dict:
    return {"bar_repetition": round(float(bar_repetition(windows).mean()), 4),
            "onsets_per_bar": round(float(onsets_per_bar(windows).mean()), 3),
            "longest_held_bars": round(float(longest_held_bars(windows).mean()), 3),
            "phrase_ends": round(float(phrase_ends(windows).mean()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="prepared 16-bar folder (its valid split)")
    parser.add_argument("--checkpoint", default="mel_16bar_folk")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = TrainedModel.load(args.checkpoint)
    heldout = load_windows(args.data, "valid", model.encoding)
    rng = np.random.default_rng(args.seed)
    pairs = rng.choice(len(heldout), size=(args.pairs, 2), replace=len(heldout) < 2 * args.pairs)
    middle = model.interpolate(heldout[pairs[:, 0]], heldout[pairs[:, 1]], 3, args.temperature, args.seed)[1]
    result = {"model": model.name, "temperature": args.temperature, "heldout_windows": len(heldout),
              "heldout": form(heldout),
              "samples": form(model.sample(args.samples, args.temperature, args.seed)),
              "samples_independent_segments": form(model.sample(args.samples, args.temperature, args.seed,
                                                                coupled_segments=False)),
              "greedy_samples": form(model.sample(args.samples, 0.0, args.seed)),
              "interpolation_middles": form(middle)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
