"""The multitrack models' figures (issue 22), on held-out bars; one JSON line each.

- `reconstruction` (per model): token accuracy teacher-forced, sampled at T=1 and greedy; onset F1 of the greedy
  decode within a 32nd; the share of each bar's GM instrument families the decode keeps; tracks per bar.
- `samples` (per model): prior samples at --temperature: tracks per bar and the GM families they play, against
  the held-out bars (total-variation distance between the family shares; the share of empty bars).
- `chords`: the chord-tone ratio of pitched onsets (the share whose pitch class is in the chord sounding at
  that sixteenth) of the chord model's samples over held-out progressions, of the unconditioned model's samples
  judged on the same progressions, and of the real bars over their own chords.
- `speed` (per config): training steps on real bars, bars/s and the share of the machine's fp32 matmul peak
  (measured in the same run, as scripts/bench_sequence_speed.py does).

Usage: python scripts/bench_multitrack.py [--model multitrack_1bar] [--chords-model multitrack_1bar_chords]
           [--data data/prepared/multitrack] [--chords-data data/prepared/multitrack_chords] [--bars 1000]
           [--samples 500] [--temperature 0.2] [--speed-configs multitrack_1bar_cpu multitrack_1bar_chords_cpu]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sequence_speed import matmul_peak, model_step_flops  # noqa: E402

from musicae.autoencoding.batch import Batch  # noqa: E402
from musicae.music.data.prepare import load_streams  # noqa: E402
from musicae.music.encodings import multitrack_events as mt  # noqa: E402
from musicae.music.encodings.chords import chord_pitches  # noqa: E402
from musicae.music.inference.trained_model import TrainedModel  # noqa: E402
from musicae.music.models.multitrack_configs import MULTITRACK_CONFIGS  # noqa: E402
from musicae.music.models.multitrack_training import evaluate_multitrack, family  # noqa: E402
from musicae.music.models.multitrack_vae import MultitrackVAE  # noqa: E402


def held_out(data: Path, bars: int, seed: int = 0):
    rows = load_streams(data, "valid")
    picked = np.sort(np.random.default_rng(seed).permutation(len(rows))[:bars])
    return rows.take(picked)


def bar_notes(tokens) -> list[list]:
    return [mt.tokens_to_notes(bar) for bar in np.asarray(tokens)]


def families(bars: list[list]) -> Counter:
    """How many bars play each GM family (drums as 16)."""
    return Counter(f for notes in bars for f in {family(n) for n in notes})


def tracks_per_bar(bars: list[list]) -> float:
    return float(np.mean([len({(n.is_drum, n.program, n.part) for n in notes}) for notes in bars]))


def family_distance(a: Counter, b: Counter) -> float:
    """Total-variation distance between two family histograms (0: the same shares, 1: disjoint)."""
    keys = set(a) | set(b)
    ta, tb = max(sum(a.values()), 1), max(sum(b.values()), 1)
    return 0.5 * sum(abs(a[k] / ta - b[k] / tb) for k in keys)


def chord_tone_ratio(bars: list[list], grids: np.ndarray) -> float:
    """Share of pitched onsets whose pitch class is in the chord of their sixteenth (no-chord steps skipped)."""
    hits = total = 0
    for notes, grid in zip(bars, grids):
        for n in notes:
            step = int(n.start)
            if n.is_drum or not 0 <= step < len(grid) or not grid[step]:
                continue
            total += 1
            hits += n.pitch % 12 in {p % 12 for p in chord_pitches(int(grid[step]))}
    return round(hits / max(total, 1), 4)


def samples(model: TrainedModel, n: int, temperature: float, seed: int, controls=None) -> list[list]:
    rows = model.sample_rows(n, temperature, seed, controls)
    return bar_notes(rows["tracks"])


def speed(name: str, rows, steps: int, peak: float) -> dict:
    cfg = MULTITRACK_CONFIGS[name]
    torch.manual_seed(0)
    model = MultitrackVAE(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    batch = Batch({k: torch.from_numpy(np.asarray(v[: cfg.batch_size]).astype(np.int64)) for k, v in rows.items()})
    times = []
    for i in range(steps + 1):  # the first step warms up and is not timed
        start = time.perf_counter()
        out = model(batch, step=1000)
        optimizer.zero_grad(set_to_none=True)
        out["loss"].backward()
        optimizer.step()
        if i:
            times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    flops = model_step_flops(model, batch)
    return {"line": "speed", "config": name, "batch_size": cfg.batch_size, "threads": torch.get_num_threads(),
            "seconds_per_step": round(seconds, 3), "bars_per_second": round(cfg.batch_size / seconds, 1),
            "step_gflop": round(flops / 1e9, 2), "achieved_gflops": round(flops / seconds / 1e9, 2),
            "share_of_matmul_peak": round(flops / seconds / peak, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multitrack_1bar")
    parser.add_argument("--chords-model", default="multitrack_1bar_chords")
    parser.add_argument("--data", type=Path, default=Path("data/prepared/multitrack"))
    parser.add_argument("--chords-data", type=Path, default=Path("data/prepared/multitrack_chords"))
    parser.add_argument("--bars", type=int, default=1000, help="held-out bars measured (a fixed random sample)")
    parser.add_argument("--samples", type=int, default=500, help="prior samples per model")
    parser.add_argument("--temperature", type=float, default=0.2, help="of the samples (the notebook's default)")
    parser.add_argument("--speed-configs", nargs="*", default=["multitrack_1bar_cpu", "multitrack_1bar_chords_cpu"])
    parser.add_argument("--speed-steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    plain, chords = TrainedModel.load(args.model), TrainedModel.load(args.chords_model)
    real = held_out(args.data, args.bars, args.seed)
    real_chords = held_out(args.chords_data, args.bars, args.seed)
    for model, rows in ((plain, real), (chords, real_chords)):
        figures = evaluate_multitrack(model.model, rows, seed=args.seed)
        print(json.dumps({"line": "reconstruction", "model": model.name, **figures}), flush=True)
    real_bars = bar_notes(real["tracks"])
    data_families = families(real_bars)
    print(json.dumps({"line": "data", "data": str(args.data), "bars": len(real_bars),
                      "tracks_per_bar": round(tracks_per_bar(real_bars), 3),
                      "families": {str(k): v for k, v in sorted(data_families.items())}}), flush=True)
    grids = np.asarray(real_chords["chords"])[: args.samples]  # held-out progressions, one bar each
    conditioned = samples(chords, len(grids), args.temperature, args.seed, {"chords": grids})
    unconditioned = samples(plain, len(grids), args.temperature, args.seed)
    for name, bars in ((plain.name, unconditioned), (chords.name, conditioned)):
        found = families(bars)
        print(json.dumps({"line": "samples", "model": name, "temperature": args.temperature, "samples": len(bars),
                          "tracks_per_bar": round(tracks_per_bar(bars), 3),
                          "empty_bars": round(float(np.mean([not notes for notes in bars])), 4),
                          "family_distance_to_data": round(family_distance(found, data_families), 4),
                          "families": {str(k): v for k, v in sorted(found.items())}}), flush=True)
    per_step = grids[:, 0]  # (N, 16)
    print(json.dumps({"line": "chords", "progressions": len(grids), "temperature": args.temperature,
                      "conditioned": chord_tone_ratio(conditioned, per_step),
                      "unconditioned_same_progressions": chord_tone_ratio(unconditioned, per_step),
                      "real_bars": chord_tone_ratio(bar_notes(real_chords["tracks"][: len(grids)]), per_step),
                      "goal": ">= 0.6 and >= unconditioned + 0.15"}), flush=True)
    if args.speed_configs:
        torch.set_grad_enabled(True)
        peak = matmul_peak(torch.device("cpu"))
        print(json.dumps({"line": "peak", "matmul_peak_gflops": round(peak / 1e9, 1),
                          "threads": torch.get_num_threads()}), flush=True)
        for name in args.speed_configs:
            data = args.chords_data if MULTITRACK_CONFIGS[name].encoding == "multitrack_chords" else args.data
            print(json.dumps(speed(name, load_streams(data, "train"), args.speed_steps, peak)), flush=True)


if __name__ == "__main__":
    main()
