"""Train and evaluate the multitrack bar VAE on prepared multitrack bars, with the shared trainer and run glue.

The figures (issue 22), on held-out bars:
- teacher_forced_accuracy / sampled_accuracy / free_running_accuracy: token accuracy over the scored tokens
  (each track up to its END; an unused track's single END counts), z drawn from the posterior (its mean for
  the greedy free-running decode), sampled at temperature 1;
- onset_f1: the free-running decode's notes against the bar's, matched by (instrument, pitch) with onsets
  within a 32nd note (3 of the 24 steps a quarter);
- family_kept: the share of the bar's GM instrument families (drums one of them) that the decode plays;
- tracks_per_bar of the data and of the decodes.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.batch import Batch
from musicae.autoencoding.distributed import is_main
from musicae.autoencoding.runs import train_run
from musicae.music.encodings.base import Rows
from musicae.music.encodings.multitrack_events import STEPS_PER_BAR, tokens_to_notes
from musicae.music.models.multitrack_configs import MULTITRACK_CONFIGS, MultitrackVAEConfig
from musicae.music.models.multitrack_vae import MODEL_KIND, MultitrackVAE, track_mask
from musicae.music.models.training import planned_run, stream_data, trainer_config_for, warm_start

ONSET_TOLERANCE = STEPS_PER_BAR // 32  # a 32nd note, in event steps


def family(note) -> int:
    """A note's GM instrument family (0-15), drums as 16."""
    return 16 if note.is_drum else note.program // 8


def onset_f1(truth: list, guess: list) -> tuple[int, int, int]:
    """(matched, true notes, guessed notes): notes matched one to one by (drum or program, pitch) with onsets
    within ONSET_TOLERANCE."""
    free = Counter()
    for note in truth:
        free[(note.is_drum, note.program, note.pitch, note.start)] += 1
    matched = 0
    for note in guess:
        for delta in sorted(range(-ONSET_TOLERANCE, ONSET_TOLERANCE + 1), key=abs):
            key = (note.is_drum, note.program, note.pitch, note.start + delta)
            if free[key]:
                free[key] -= 1
                matched += 1
                break
    return matched, len(truth), len(guess)


@torch.no_grad()
def evaluate_multitrack(model: MultitrackVAE, rows: Rows, batch_size: int = 128, seed: int = 0,
                        sampled_temperature: float = 1.0) -> dict:
    """The figures above for `rows` of multitrack bars, on the model's device."""
    if len(rows) == 0:
        raise ValueError("no bars to evaluate")
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device).manual_seed(seed)
    hits = {"teacher_forced": 0.0, "sampled": 0.0, "free_running": 0.0}
    scored = nll = kl = 0.0
    matched = true_notes = guessed_notes = 0
    families_kept = families_total = 0
    tracks_data = tracks_decoded = 0
    for start in range(0, len(rows), batch_size):
        part = rows.take(slice(start, start + batch_size))
        batch = Batch({n: torch.as_tensor(np.asarray(v).astype(np.int64)).to(device) for n, v in part.items()})
        tokens = batch["tracks"]
        grid = batch["chords"][:, 0] if model.conditioned else None  # (B, 16)
        posterior = model.encode(batch)
        z = posterior.rsample(generator=generator)
        logits = model.teacher_forced(z, batch)
        mask = track_mask(tokens)
        controls = None if grid is None else {"chords": grid}
        sampled = model.decode(z, sampled_temperature, controls, generator)["tracks"]
        free = model.decode(posterior.mode(), 0.0, controls)["tracks"]
        for key, guess in (("teacher_forced", logits.argmax(-1)), ("sampled", sampled), ("free_running", free)):
            hits[key] += float(((guess == tokens) & mask).sum())
        scored += float(mask.sum())
        flat = logits.log_softmax(-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
        nll -= float((flat * mask).sum())
        kl += float(posterior.kl().sum())
        for truth_bar, free_bar in zip(tokens.cpu().numpy(), free.cpu().numpy()):
            truth, guess = tokens_to_notes(truth_bar), tokens_to_notes(free_bar)
            m, t, g = onset_f1(truth, guess)
            matched, true_notes, guessed_notes = matched + m, true_notes + t, guessed_notes + g
            wanted, played = {family(n) for n in truth}, {family(n) for n in guess}
            families_kept += len(wanted & played)
            families_total += len(wanted)
            tracks_data += len({(n.is_drum, n.program) for n in truth})
            tracks_decoded += len({(n.is_drum, n.program) for n in guess})
    n = len(rows)
    precision, recall = matched / max(guessed_notes, 1), matched / max(true_notes, 1)
    return {
        **{f"{key}_accuracy": round(value / scored, 4) for key, value in hits.items()},
        "sampled_temperature": sampled_temperature,
        "onset_f1": round(2 * precision * recall / max(precision + recall, 1e-9), 4),
        "family_kept": round(families_kept / max(families_total, 1), 4),
        "tracks_per_bar": round(tracks_data / n, 3),
        "decoded_tracks_per_bar": round(tracks_decoded / n, 3),
        "nll": round(nll / n, 4), "kl_bits": round(kl / n / math.log(2), 3), "bars": n,
    }


def train_multitrack(data_dir: Path, out: Path, config: str | MultitrackVAEConfig | None = None,
                     resume: bool = False, overwrite: bool = False, model_overrides: dict | None = None,
                     final_eval_bars: int = 1000, init_from: str | Path | None = None, **trainer_overrides) -> dict:
    """Train (or resume) a multitrack run in `out`, as `train_sequence_vae` does for sequence VAEs; returns the
    summary written to out/summary.json. `init_from` (a checkpoint, run or shipped model name) starts a new run
    as that trained model (`MultitrackVAE.init_from`), checked before anything in `out` is touched."""
    out = Path(out)
    model_overrides = {k: v for k, v in (model_overrides or {}).items() if v is not None}
    cfg = config if isinstance(config, MultitrackVAEConfig) else MULTITRACK_CONFIGS[config or "multitrack_1bar_cpu"]
    cfg = replace(cfg, **model_overrides)
    trainer_cfg = trainer_config_for(cfg, **trainer_overrides)
    requested = {**model_overrides, **{k: v for k, v in trainer_overrides.items() if v is not None}}
    if isinstance(config, str):
        requested["name"] = config
    init, init_record = warm_start(init_from, lambda: MultitrackVAE(cfg), resume)
    plan, train, valid = planned_run(data_dir, out, cfg, trainer_cfg, requested, resume, overwrite, MODEL_KIND.name)
    cfg = plan.config
    summary, trainer = train_run(plan, out, stream_data(train), eval_data=stream_data(valid) if len(valid) else None,
                                 init=init, curves=("loss", "recon", "kl_bits", "accuracy"),
                                 data={"dir": str(data_dir), "train_windows": len(train)}, **init_record)
    if not is_main():
        return summary
    if len(valid) and not summary["interrupted"]:
        picked = np.sort(np.random.default_rng(plan.trainer.seed).permutation(len(valid))[:final_eval_bars])
        summary["evaluation"] = evaluate_multitrack(trainer.model, valid.take(picked))
    summary["config"] = cfg.name
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
