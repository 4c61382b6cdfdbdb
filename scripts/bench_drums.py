"""Drum models on the Groove MIDI Dataset's validation split, each beside its baselines, in one run.

- 2-bar drums: `musicae evaluate`'s teacher-forced and sampled accuracy, beside MusicVAE's Table 1 figures for
  2-bar drums as the paper gives them (trained there on far more data, the Lakh MIDI drum tracks);
- humanize: the output performance of each validation window's quantized pattern against the real one: timing
  error (mean absolute, ms, over hits in both), velocity error (mean absolute, MIDI units 0..127, same hits)
  and hit F1; baselines: the quantized grid itself (no offset, the train split's mean velocity) and each
  (drum, step-in-bar)'s mean offset and velocity on the train split;
- drumify: hit F1 (per drum class and sixteenth) of the beat made from each validation window's taps against
  the real performance; baselines: the train split's most common 2-bar beat, and the taps played as a closed
  hi-hat.

Milliseconds come from each performance's own tempo (info.csv), each window mapped to its file through the
manifest. Prints one JSON line per measurement.

Usage: python scripts/bench_drums.py [--groove ../shared/data/groove] [--drums drums_2bar]
           [--humanize groovae_humanize] [--tap groovae_tap] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
import torch

from musicae.music.data.prepare import load_streams
from musicae.music.encodings.groove import TAP_CLASS
from musicae.music.inference.groove_commands import hit_f1, perform
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.models.evaluation import evaluate_rows

PAPER_2BAR_DRUMS = {"teacher_forced_accuracy": 0.979, "sampled_accuracy": 0.917,
                    "source": "Roberts et al. 2018, Table 1, 2-bar drum, flat decoder"}


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def valid_tempos(data: Path, groove: Path) -> np.ndarray:
    """The bpm of each validation row, through the manifest (rows follow its valid records in order)."""
    stats = json.loads((data / "stats.json").read_text())
    if stats["valid_windows_seen_in_train_removed"]:
        raise SystemExit(f"{data}: validation windows were removed as seen in training; rows no longer map to files")
    bpm = {row["midi_filename"]: float(row["bpm"]) for row in csv.DictReader(open(groove / "info.csv"))}
    tempos = []
    for line in (data / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("split") == "valid":
            name = next(k for k in bpm if record["source"].endswith(k))
            tempos += [bpm[name]] * record["windows"]
    return np.array(tempos)


def timing_velocity(hits, offsets, velocities, truth, ms_per_step) -> dict:
    """Errors over the hits that are in both, and the hit F1."""
    both = (hits > 0.5) & (truth["hits"] > 0)
    ms = np.broadcast_to(ms_per_step[:, None, None], both.shape)
    return {"timing_mae_ms": round(float((np.abs(offsets - truth["offsets"]) * ms)[both].mean()), 2),
            "velocity_mae": round(float(np.abs(velocities - truth["velocities"])[both].mean() * 127), 2),
            "hit_f1": round(hit_f1(hits, truth["hits"]), 4), "hits_compared": int(both.sum())}


def decode(model: TrainedModel, inputs, keep_hits: bool = False, batch: int = 256):
    parts = [perform(model, inputs.take(slice(i, i + batch)), keep_hits=keep_hits)[1] for i in range(0, len(inputs), batch)]
    return {name: np.concatenate([p[name] for p in parts]).astype(np.float32) for name in parts[0]}


def bench_humanize(checkpoint: str, data: Path, groove: Path, limit: int) -> None:
    model = TrainedModel.load(checkpoint)
    train, valid = load_streams(data, "train"), load_streams(data, "valid")
    ms_per_step = 60000.0 / valid_tempos(data, groove) / 4
    valid, ms_per_step = valid.take(slice(0, limit or None)), ms_per_step[: limit or None]
    truth = {k: np.asarray(valid[k], np.float32) for k in ("hits", "velocities", "offsets")}
    for keep_hits in (True, False):  # the command's default keeps the pattern's hits; --free-hits does not
        out = decode(model, valid.only(["pattern"]), keep_hits)
        emit({"bench": "humanize", "model": checkpoint, "hits": "kept" if keep_hits else "decoded",
              "windows": len(valid), **timing_velocity(out["hits"], out["offsets"], out["velocities"], truth, ms_per_step)})
    hit = np.asarray(train["hits"], np.float32)
    mean_velocity = float((np.asarray(train["velocities"], np.float32) * hit).sum() / hit.sum())
    pattern = truth["hits"]
    emit({"bench": "humanize", "model": "baseline: the quantized grid (offset 0, the train split's mean velocity)",
          **timing_velocity(pattern, np.zeros_like(pattern), pattern * mean_velocity, truth, ms_per_step)})
    # each (drum, step-in-bar)'s mean offset and velocity over the train split's hits
    in_bar = lambda a: a.reshape(len(a), -1, 16, a.shape[-1])  # noqa: E731  (N, bars, 16, 9)
    counts = in_bar(hit).sum((0, 1))
    mean_offset = (in_bar(np.asarray(train["offsets"], np.float32) * hit).sum((0, 1)) / np.maximum(counts, 1))
    mean_vel = (in_bar(np.asarray(train["velocities"], np.float32) * hit).sum((0, 1)) / np.maximum(counts, 1))
    steps = pattern.shape[1]
    tile = lambda m: np.tile(m, (steps // 16, 1))[None]  # noqa: E731
    emit({"bench": "humanize", "model": "baseline: each (drum, step-in-bar)'s train mean offset and velocity",
          **timing_velocity(pattern, pattern * tile(mean_offset), pattern * tile(mean_vel), truth, ms_per_step)})


def bench_drumify(checkpoint: str, data: Path, limit: int) -> None:
    model = TrainedModel.load(checkpoint)
    train, valid = load_streams(data, "train"), load_streams(data, "valid")
    valid = valid.take(slice(0, limit or None))
    truth = np.asarray(valid["hits"], np.float32)
    out = decode(model, valid)
    emit({"bench": "drumify", "model": checkpoint, "windows": len(valid), "hit_f1": round(hit_f1(out["hits"], truth), 4)})
    flat = np.asarray(train["hits"]).reshape(len(train), -1)
    patterns, counts = np.unique(flat, axis=0, return_counts=True)
    common = patterns[counts.argmax()].reshape(truth.shape[1:])
    emit({"bench": "drumify", "model": "baseline: the train split's most common 2-bar beat",
          "hit_f1": round(hit_f1(np.broadcast_to(common, truth.shape).astype(np.float32), truth), 4),
          "its_windows": int(counts.max())})
    hats = np.zeros_like(truth)
    hats[..., TAP_CLASS] = np.asarray(valid["tap_hits"])
    emit({"bench": "drumify", "model": "baseline: the taps played as a closed hi-hat", "hit_f1": round(hit_f1(hats, truth), 4)})


def prior_samples(model: TrainedModel, valid, n: int = 1000, temperature: float = 1.0) -> dict:
    """How far the model's prior samples are from the validation beats: hits per bar (1-Wasserstein distance
    in units of the validation spread) and the share of each drum among the hits (total variation), for the
    low-KL / high-KL trade-off: a model whose z keeps more of a beat may sample further from real ones."""
    from musicae.music.encodings.drums import classes_to_hits
    from musicae.music.latent.quality import wasserstein_1d

    def stats(classes):
        hits = classes_to_hits(np.asarray(classes))  # (N, T, 9)
        per_bar = hits.sum(axis=(1, 2)) / (hits.shape[1] / 16)
        share = hits.sum(axis=(0, 1)) / max(hits.sum(), 1)
        return per_bar, share

    real_bar, real_share = stats(valid["drums"])
    sampled = model.sample(n, temperature, seed=0)
    bar, share = stats(sampled)
    return {"temperature": temperature, "samples": n,
            "hits_per_bar": {"samples": round(float(bar.mean()), 2), "valid": round(float(real_bar.mean()), 2),
                             "distance_sd": round(wasserstein_1d(bar, real_bar) / max(float(real_bar.std()), 1e-6), 4)},
            "drum_share_tv": round(0.5 * float(np.abs(share - real_share).sum()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groove", type=Path, default=Path("../shared/data/groove"))
    parser.add_argument("--drums", nargs="+", default=["drums_2bar", "drums_2bar_hikl"],
                        help="2-bar drum models, measured side by side (a name not shipped is skipped)")
    parser.add_argument("--humanize", default="groovae_humanize")
    parser.add_argument("--tap", default="groovae_tap")
    parser.add_argument("--prepared", type=Path, default=Path("data/prepared"),
                        help="where the recipes prepared groove, groove-humanize and groove-tap")
    parser.add_argument("--limit", type=int, default=0, help="first N validation windows only (0: all)")
    parser.add_argument("--only", nargs="+", default=["drums", "humanize", "drumify"])
    args = parser.parse_args()
    torch.manual_seed(0)
    if "drums" in args.only:
        valid = load_streams(args.prepared / "groove", "valid")
        valid = valid.take(slice(0, args.limit or None))
        for name in args.drums:
            try:
                model = TrainedModel.load(name)
            except FileNotFoundError as err:
                emit({"bench": "drums_2bar", "model": name, "skipped": str(err)})
                continue
            figures = evaluate_rows(model.model, valid)
            emit({"bench": "drums_2bar", "model": name, **figures, "prior_samples": prior_samples(model, valid),
                  "paper": PAPER_2BAR_DRUMS})
    if "humanize" in args.only:
        bench_humanize(args.humanize, args.prepared / "groove-humanize", args.groove, args.limit)
    if "drumify" in args.only:
        bench_drumify(args.tap, args.prepared / "groove-tap", args.limit)


if __name__ == "__main__":
    main()
