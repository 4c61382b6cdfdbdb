"""Reconstruction metrics of a melody VAE on windows."""

from __future__ import annotations

import math

import numpy as np
import torch

from musicae.autoencoding import masked_sequence_nll
from musicae.music.models import MelodyVAE


@torch.no_grad()
def evaluate_windows(model: MelodyVAE, windows: np.ndarray, batch_size: int = 256, seed: int = 0) -> dict:
    """Teacher-forced and free-running accuracy, mean per-class accuracy, NLL and KL.

    - teacher_forced_accuracy: argmax of each step given the true previous steps;
    - free_running_accuracy: the argmax decode of the posterior mean, step by step, vs the input;
    - mean_class_accuracy: teacher-forced accuracy averaged over the classes present;
    - nll: reconstruction NLL per window in nats (z sampled from the posterior);
    - kl_bits: KL(q(z|x) || N(0, I)) per window in bits.
    """
    if len(windows) == 0:
        raise ValueError("no windows to evaluate")
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    classes = model.cfg.num_classes
    correct_tf = correct_free = steps = 0
    per_class_hits, per_class_total = np.zeros(classes), np.zeros(classes)
    nll_sum = kl_sum = 0.0
    for start in range(0, len(windows), batch_size):
        tokens = torch.as_tensor(windows[start : start + batch_size]).long()  # (B, T), on the CPU
        posterior = model.encode(tokens)
        z = posterior.rsample(generator=generator)
        logits = model.teacher_forced_logits(z, tokens)  # (B, T, C)
        predicted = logits.argmax(-1)
        correct_tf += int((predicted == tokens).sum())
        free = model.decode(posterior.mode(), temperature=0.0)
        correct_free += int((free == tokens).sum())
        steps += tokens.numel()
        flat_t, flat_p = tokens.flatten().numpy(), predicted.flatten().numpy()
        np.add.at(per_class_total, flat_t, 1)
        np.add.at(per_class_hits, flat_t, flat_p == flat_t)
        nll_sum += float(masked_sequence_nll(logits, tokens).sum())
        kl_sum += float(posterior.kl().sum())
    present = per_class_total > 0
    n = len(windows)
    return {
        "teacher_forced_accuracy": round(correct_tf / steps, 4),
        "free_running_accuracy": round(correct_free / steps, 4),
        "mean_class_accuracy": round(float((per_class_hits[present] / per_class_total[present]).mean()), 4),
        "nll": round(nll_sum / n, 4),
        "kl_bits": round(kl_sum / n / math.log(2), 3),
        "windows": n,
    }
