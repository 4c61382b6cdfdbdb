"""Reconstruction metrics of a sequence VAE, in MusicVAE's two senses and more, for every output stream."""

from __future__ import annotations

import math

import numpy as np
import torch
from tqdm.auto import tqdm

from musicae.autoencoding.batch import Batch
from musicae.music.encodings.base import Rows
from musicae.music.models.sequence_vae import SequenceVAE


class _Tally:
    """Hits and counts of one stream under the three decodings, and per class for categorical streams."""

    def __init__(self, classes: int):
        self.tf = self.sampled = self.free = self.steps = 0.0
        self.classes = classes
        self.per_class_hits, self.per_class_total = np.zeros(classes), np.zeros(classes)


@torch.no_grad()
def evaluate_rows(model: SequenceVAE, rows: Rows, batch_size: int = 256, seed: int = 0, sampled_temperature: float = 1.0,
                  progress: bool = False, decoder_controls: Rows | None = None) -> dict:
    """Accuracy, NLL and KL of `model` on rows, on the model's device.

    - teacher_forced_accuracy: the most likely value of each step given the true previous steps, z drawn from
      the posterior (MusicVAE's Table 1, first column);
    - sampled_accuracy: autoregressive decoding that draws each step at `sampled_temperature` (1.0: Table 1,
      second column), z drawn from the posterior;
    - free_running_accuracy: the greedy decode of the posterior mean;
    - mean_class_accuracy (categorical): teacher-forced accuracy averaged over the classes present;
    - onset_accuracy (categorical): teacher-forced accuracy on the steps that start an event (the pitch or
      drum choices, which hold and rest steps outnumber in the other figures);
    - nll: reconstruction NLL per row in nats; kl_bits: KL(q(z|x) || N(0, I)) per row in bits.

    With several output streams the keys are those of the first stream that has an accuracy, and each stream's
    own figures come as `<key>_<stream>`. `decoder_controls` replace the controls for the decoder only (z still
    comes from the true ones): how much the decoder relies on them.
    """
    if len(rows) == 0:
        raise ValueError("no windows to evaluate")
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device).manual_seed(seed)
    scored = [s for s in model.outputs if model.head(s.name).has_accuracy]
    tallies = {s.name: _Tally(s.classes if s.categorical else 0) for s in scored}
    control_names = [s.name for s in model.encoding.controls]
    nll_sum = kl_sum = 0.0
    starts = range(0, len(rows), batch_size)
    for start in tqdm(starts, desc="evaluate", unit="batch", disable=not progress):
        part = rows.take(slice(start, start + batch_size))
        batch = Batch({n: torch.as_tensor(np.asarray(v)).to(device) for n, v in part.items()})
        batch = model._checked(batch)
        posterior = model.encode(batch)
        controls = {n: batch[n] for n in control_names}
        if decoder_controls is not None:
            controls = {n: torch.as_tensor(np.asarray(decoder_controls[n][start : start + batch_size])).to(device)
                        for n in control_names}
        z = posterior.rsample(generator=generator)  # (B, Z)
        params = model.teacher_forced(z, batch, controls)
        sampled = model.decode(z, temperature=sampled_temperature, controls=controls, generator=generator)
        free = model.decode(posterior.mode(), temperature=0.0, controls=controls)
        nll, _ = model.reconstruction(params, batch.with_streams(**controls))
        nll_sum += float(nll.sum())
        kl_sum += float(posterior.kl().sum())
        for s in scored:
            head, target, tally = model.head(s.name), batch[s.name], tallies[s.name]
            predicted = head.predicted(params[s.name])
            tally.tf += float(head.hits(predicted, target).sum())
            tally.sampled += float(head.hits(sampled[s.name], target).sum())
            tally.free += float(head.hits(free[s.name], target).sum())
            tally.steps += target.shape[0] * target.shape[1]
            if s.categorical:
                flat_t, flat_p = target.flatten().cpu().numpy(), predicted.flatten().cpu().numpy()
                np.add.at(tally.per_class_total, flat_t, 1)
                np.add.at(tally.per_class_hits, flat_t, flat_p == flat_t)
    n = len(rows)
    result: dict = {}
    for i, s in enumerate(scored):
        t = tallies[s.name]
        figures = {"teacher_forced_accuracy": round(t.tf / t.steps, 4), "sampled_accuracy": round(t.sampled / t.steps, 4),
                   "free_running_accuracy": round(t.free / t.steps, 4)}
        if s.categorical:
            present = t.per_class_total > 0
            onsets = s.onset_from
            figures["mean_class_accuracy"] = round(float((t.per_class_hits[present] / t.per_class_total[present]).mean()), 4)
            figures["onset_accuracy"] = round(float(t.per_class_hits[onsets:].sum() /
                                                    max(t.per_class_total[onsets:].sum(), 1)), 4)
        if i == 0:
            result.update(figures)
            result["sampled_temperature"] = sampled_temperature
        if len(scored) > 1:
            result.update({f"{key}_{s.name}": value for key, value in figures.items()})
    order = ["teacher_forced_accuracy", "sampled_accuracy", "sampled_temperature", "free_running_accuracy",
             "mean_class_accuracy", "onset_accuracy"]
    result = {**{k: result[k] for k in order if k in result}, **{k: v for k, v in result.items() if k not in order}}
    result.update({"nll": round(nll_sum / n, 4), "kl_bits": round(kl_sum / n / math.log(2), 3), "windows": n})
    return result


def evaluate_windows(model: SequenceVAE, windows, batch_size: int = 256, seed: int = 0, conditions=None,
                     sampled_temperature: float = 1.0, progress: bool = False, decoder_conditions=None) -> dict:
    """`evaluate_rows` on Rows, or on a one-stream encoding's (N, T) windows with its (N, T) conditions."""
    rows = model.encoding.rows(windows, conditions)
    decoder = None if decoder_conditions is None else model.encoding.control_rows(decoder_conditions)
    return evaluate_rows(model, rows, batch_size, seed, sampled_temperature, progress, decoder)


def evaluate_model(model, rows: Rows, batch_size: int = 256, seed: int = 0, sampled_temperature: float = 1.0,
                   progress: bool = False) -> dict:
    """`musicae evaluate`'s figures for any model TrainedModel speaks for: `evaluate_rows` for a sequence VAE,
    the multitrack figures (multitrack_training.evaluate_multitrack) for a multitrack VAE."""
    if isinstance(model, SequenceVAE):
        return evaluate_rows(model, rows, batch_size, seed, sampled_temperature, progress)
    from musicae.music.models.multitrack_training import evaluate_multitrack

    return evaluate_multitrack(model, rows, min(batch_size, 128), seed, sampled_temperature)
