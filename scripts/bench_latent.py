"""Issue 13's goals, measured: attribute vectors, interpolation realism, prior samples vs data.

Runs `musicae quality` (the report, its JSON and pictures) for a model on held-out windows, then checks:
- each attribute vector moves its own attribute monotonically over amounts -2..2, and more (in standard
  deviations of the data) than it moves any other attribute;
- the LM log-likelihood along latent interpolations stays near that of real melodies, where data-space
  interpolations dip (the lowest point of each path against the data's mean);
- prior samples at temperature 0.5 against the data: each statistic's distance in data standard deviations.
Prints one JSON line.

Usage: python scripts/bench_latent.py [--checkpoint mel_2bar_folk] [--data data/prepared/folk] [--out out/quality]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from musicae.music.latent.commands import quality_report


def goals(report: dict) -> dict:
    effects = report["attribute_effects"]
    vectors = {}
    for name in effects["attributes"]:
        own = [effects["means"][name][str(a)][name] for a in effects["amounts"]]
        change = effects["change_at_amount_1"][name]
        scaled = {n: abs(change[n]) / effects["scale"][n] for n in change}
        others = max(v for n, v in scaled.items() if n != name)
        vectors[name] = {"own_means_by_amount": own, "monotonic": all(b > a for a, b in zip(own, own[1:])),
                         "own_change_sd": round(scaled[name], 3), "largest_other_change_sd": round(others, 3),
                         "own_largest": scaled[name] > others}
    analysis = report["interpolation"]
    realism = {"data_log_likelihood": analysis["data_log_likelihood"],
               "latent_lowest": min(analysis["latent"]["log_likelihood"]),
               "data_space_lowest": min(analysis["data"]["log_likelihood"])}
    prior = report["prior_vs_data"]
    at_half = prior["temperatures"]["0.5"]
    distances = {n: round(at_half[n]["distance"] / max(prior["data_std"][n], 1e-9), 3) for n in prior["data"]}
    distances["interval_histogram_tv"] = at_half["interval_histogram"]["distance"]
    return {"vectors": vectors, "realism": realism, "prior_t0.5_distance_in_data_sd": distances}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="mel_2bar_folk")
    parser.add_argument("--data", type=Path, default=Path("data/prepared/folk"))
    parser.add_argument("--out", type=Path, default=Path("out/quality"))
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--effect-windows", type=int, default=256)
    args = parser.parse_args()
    report = quality_report(args.checkpoint, args.data, args.out, args.samples, args.pairs,
                            effect_windows=args.effect_windows)
    print(json.dumps({"checkpoint": args.checkpoint, "data": str(args.data), **goals(report),
                      "pictures": report["pictures"]}))


if __name__ == "__main__":
    main()
