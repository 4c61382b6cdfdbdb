"""Reconstruction metrics of a sequence VAE on windows, in MusicVAE's two senses and more."""

from __future__ import annotations

import math

import numpy as np
import torch
from tqdm.auto import tqdm

from musicae.autoencoding import masked_sequence_nll
from musicae.music.encodings import get_encoding
from musicae.music.models import SequenceVAE


@torch.no_grad()
def evaluate_windows(model: SequenceVAE, windows: np.ndarray, batch_size: int = 256, seed: int = 0,
                     conditions: np.ndarray | None = None, sampled_temperature: float = 1.0,
                     progress: bool = False, decoder_conditions: np.ndarray | None = None) -> dict:
    """Accuracy, NLL and KL of `model` on (N, T) windows, on the model's device.

    - teacher_forced_accuracy: argmax of each step given the true previous steps, z drawn from the
      posterior (MusicVAE's Table 1, first column);
    - sampled_accuracy: autoregressive decoding that draws each step from the softmax at
      `sampled_temperature` (1.0: Table 1, second column), z drawn from the posterior;
    - free_running_accuracy: the greedy (argmax) decode of the posterior mean;
    - mean_class_accuracy: teacher-forced accuracy averaged over the classes present;
    - onset_accuracy: teacher-forced accuracy on the steps that start a note (the pitch choices, which hold and
      rest steps outnumber in the other figures);
    - nll: reconstruction NLL per window in nats; kl_bits: KL(q(z|x) || N(0, I)) per window in bits.

    `decoder_conditions` replace `conditions` for the decoder only (z still comes from the true ones): how much
    the decoder relies on them.
    """
    if len(windows) == 0:
        raise ValueError("no windows to evaluate")
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device).manual_seed(seed)
    classes = model.cfg.num_classes
    correct_tf = correct_free = correct_sampled = steps = 0
    per_class_hits, per_class_total = np.zeros(classes), np.zeros(classes)
    nll_sum = kl_sum = 0.0
    starts = range(0, len(windows), batch_size)
    for start in tqdm(starts, desc="evaluate", unit="batch", disable=not progress):
        tokens = torch.as_tensor(np.asarray(windows[start : start + batch_size])).long().to(device)  # (B, T)
        cond = None if conditions is None else torch.as_tensor(conditions[start : start + batch_size]).to(device)
        posterior = model.encode(tokens, cond)
        if decoder_conditions is not None:
            cond = torch.as_tensor(decoder_conditions[start : start + batch_size]).to(device)
        z = posterior.rsample(generator=generator)  # (B, Z)
        logits = model.teacher_forced_logits(z, tokens, cond)  # (B, T, C)
        predicted = logits.argmax(-1)
        correct_tf += int((predicted == tokens).sum())
        sampled = model.decode(z, temperature=sampled_temperature, conditions=cond, generator=generator)
        correct_sampled += int((sampled == tokens).sum())
        free = model.decode(posterior.mode(), temperature=0.0, conditions=cond)
        correct_free += int((free == tokens).sum())
        steps += tokens.numel()
        flat_t, flat_p = tokens.flatten().cpu().numpy(), predicted.flatten().cpu().numpy()
        np.add.at(per_class_total, flat_t, 1)
        np.add.at(per_class_hits, flat_t, flat_p == flat_t)
        nll_sum += float(masked_sequence_nll(logits, tokens).sum())
        kl_sum += float(posterior.kl().sum())
    present = per_class_total > 0
    onsets = get_encoding(model.cfg.encoding).first_onset_class
    n = len(windows)
    return {
        "teacher_forced_accuracy": round(correct_tf / steps, 4),
        "sampled_accuracy": round(correct_sampled / steps, 4),
        "sampled_temperature": sampled_temperature,
        "free_running_accuracy": round(correct_free / steps, 4),
        "mean_class_accuracy": round(float((per_class_hits[present] / per_class_total[present]).mean()), 4),
        "onset_accuracy": round(float(per_class_hits[onsets:].sum() / max(per_class_total[onsets:].sum(), 1)), 4),
        "nll": round(nll_sum / n, 4),
        "kl_bits": round(kl_sum / n / math.log(2), 3),
        "windows": n,
    }
