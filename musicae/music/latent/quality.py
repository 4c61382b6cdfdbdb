"""What a model generates, measured: prior samples against held-out data, the paper's interpolation
analysis, and the effect of each attribute vector on every attribute.

Distances: the 1-Wasserstein distance between two samples of a scalar statistic (in the statistic's own
units), and the total-variation distance between the two interval histograms.
"""

from __future__ import annotations

import numpy as np
import torch

from musicae.autoencoding import slerp
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent.attributes import (
    ATTRIBUTES,
    MUSICAL_UNITS,
    SCALAR_STATISTICS,
    attribute_table,
    average_interval,
    interval_histogram,
    note_density,
    off_beat_rate,
    pitch_class_histogram,
    pitch_range,
)
from musicae.music.latent.moves import transform
from musicae.music.models.language_model import MelodyLM

TEMPERATURES = (0.5, 1.0)
AMOUNTS = (-2.0, -1.0, 0.0, 1.0, 2.0)


def wasserstein_1d(a: np.ndarray, b: np.ndarray, points: int = 512) -> float:
    """W1 between two empirical distributions, from their quantile functions."""
    q = (np.arange(points) + 0.5) / points
    return float(np.abs(np.quantile(a, q) - np.quantile(b, q)).mean())


def statistics(windows: np.ndarray) -> dict[str, np.ndarray]:
    return {name: function(windows) for name, function in SCALAR_STATISTICS.items()}


def compare_to_data(model: TrainedModel, data: np.ndarray, samples: int, seed: int) -> dict:
    """Each statistic's mean on the data and on prior samples at each temperature, with their distance."""
    reference = statistics(data)
    reference_hist = interval_histogram(data)
    result = {"data": {k: round(float(v.mean()), 4) for k, v in reference.items()},
              "data_std": {k: round(float(v.std()), 4) for k, v in reference.items()}, "temperatures": {}}
    for temperature in TEMPERATURES:
        sampled = model.sample(samples, temperature, seed)
        stats = statistics(sampled)
        result["temperatures"][str(temperature)] = {
            name: {"mean": round(float(stats[name].mean()), 4),
                   "distance": round(wasserstein_1d(stats[name], reference[name]), 4)}
            for name in stats
        } | {"interval_histogram": {"distance": round(0.5 * float(np.abs(interval_histogram(sampled)
                                                                          - reference_hist).sum()), 4)}}
    return result


STYLE_STATISTICS = {
    "onsets_per_bar": lambda w: note_density(w) * 16,
    "average_interval": average_interval,
    "pitch_range": pitch_range,
    "off_beat_rate": off_beat_rate,
}
"""What tells one collection's melodies from another's, per window (the personalize benchmark's style)."""


def style_distance(windows: np.ndarray, reference: np.ndarray) -> dict:
    """How far `windows` are in style from `reference` windows: each statistic's 1-Wasserstein distance in units
    of the reference's standard deviation, their mean (`style`), and the total-variation distance of the
    pitch-class histograms. 0 is the same style; the distance between two halves of one collection is the floor."""
    result = {}
    for name, function in STYLE_STATISTICS.items():
        ours, theirs = function(windows), function(reference)
        result[name] = round(wasserstein_1d(ours, theirs) / max(float(theirs.std()), 1e-6), 4)
    result["style"] = round(float(np.mean([result[name] for name in STYLE_STATISTICS])), 4)
    result["pitch_classes"] = round(0.5 * float(np.abs(pitch_class_histogram(windows)
                                                       - pitch_class_histogram(reference)).sum()), 4)
    return result


def data_space_path(a: np.ndarray, b: np.ndarray, points: int, rng: np.random.Generator) -> np.ndarray:
    """The paper's data-space interpolation: at alpha, each step comes from b with probability alpha.
    a, b (T,) -> (points, T); the path starts at a and ends at b."""
    alphas = np.linspace(0.0, 1.0, points)[:, None]
    take_b = rng.random((points, len(a))) < alphas
    take_b[0], take_b[-1] = False, True
    return np.where(take_b, b[None], a[None])


def interpolation_analysis(model: TrainedModel, lm: MelodyLM, data: np.ndarray, pairs: int, points: int,
                           seed: int) -> dict:
    """Along latent (slerp, greedy decoding) and data-space paths between random held-out pairs: the
    Hamming distance to the start melody (normalised by the length; the latent path's first point is the
    start's reconstruction) and the LM log-likelihood per step."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(data), size=(pairs, 2), replace=len(data) < 2 * pairs)
    a, b = data[chosen[:, 0]], data[chosen[:, 1]]
    za, zb = model.encode(a), model.encode(b)
    z = np.stack([slerp(torch.from_numpy(za[i]), torch.from_numpy(zb[i]), points).numpy() for i in range(pairs)], 1)
    latent = model.decode(z.reshape(points * pairs, -1)).reshape(points, pairs, -1)
    data_space = np.stack([data_space_path(a[i], b[i], points, rng) for i in range(pairs)], 1)  # (points, pairs, T)
    result = {"alphas": np.linspace(0, 1, points).round(3).tolist(), "pairs": pairs,
              "data_log_likelihood": round(float(lm.log_likelihood(data[rng.choice(len(data), min(len(data), 2000),
                                                                                      replace=False)]).mean()), 4)}
    for name, path in (("latent", latent), ("data", data_space)):
        hamming = (path != a[None]).mean(axis=2).mean(axis=1)  # (points,): vs the start melody itself
        loglik = lm.log_likelihood(path.reshape(points * pairs, -1)).reshape(points, pairs).mean(1)
        result[name] = {"hamming_to_start": hamming.round(4).tolist(), "log_likelihood": loglik.round(4).tolist()}
    return result


def effect_matrix(model: TrainedModel, data: np.ndarray, vectors: dict[str, np.ndarray], windows: int,
                  seed: int) -> dict:
    """For each vector and amount: the mean of every attribute over transformed held-out windows, the
    change from amount 0 (the plain reconstruction) at amount 1, and each attribute's standard deviation
    over those windows (`scale`, the unit of the heat map)."""
    rng = np.random.default_rng(seed)
    chosen = data[rng.choice(len(data), size=min(windows, len(data)), replace=False)]
    names = [n for n in ATTRIBUTES.names() if n in vectors]
    means = {}
    for vector in names:
        means[vector] = {}
        for amount in AMOUNTS:
            decoded = transform(model, chosen, vectors, {vector: amount})
            table = attribute_table(decoded, names)
            means[vector][str(amount)] = {n: round(float(table[n].mean()), 4) for n in names}
    change = {v: {n: round(means[v]["1.0"][n] - means[v]["0.0"][n], 4) for n in names} for v in names}
    spread = attribute_table(chosen, names)
    scale = {n: round(max(float(spread[n].std()), 1e-6), 6) for n in names}
    return {"amounts": list(AMOUNTS), "attributes": names, "windows": len(chosen), "means": means,
            "change_at_amount_1": change, "scale": scale}


MOVES_AT_LEAST_SD = 0.25
"""A vector "moves" its attribute when one unit of it changes the attribute by at least this many of the
data's standard deviations, monotonically over -2..2. (What it does to the others is reported, not required:
an attribute that most windows hold at 0, such as 16th syncopation, has so small a spread that any change
reads as many of its deviations.)"""


def slider_effects(model: TrainedModel, windows: np.ndarray, vectors: dict[str, np.ndarray], count: int = 256,
                   seed: int = 0) -> dict:
    """What one unit of each vector does to its own attribute, measured on `count` of the windows (see
    effect_matrix): the change in musical units (MUSICAL_UNITS), in the data's standard deviations, whether the
    attribute follows the amount monotonically, and whether the vector measurably moves it."""
    effects = effect_matrix(model, windows, vectors, count, seed)
    out = {}
    for name in effects["attributes"]:
        own = [effects["means"][name][str(a)][name] for a in effects["amounts"]]
        change = effects["change_at_amount_1"][name]
        scaled = {n: abs(change[n]) / effects["scale"][n] for n in change}
        others = max((v for n, v in scaled.items() if n != name), default=0.0)
        monotonic = all(b > a for a, b in zip(own, own[1:]))
        unit, factor = MUSICAL_UNITS.get(name, ("units", 1.0))
        out[name] = {"unit": unit, "per_unit": round(change[name] * factor, 4),
                     "own_change_sd": round(scaled[name], 3), "largest_other_change_sd": round(others, 3),
                     "monotonic": monotonic,
                     "moves": bool(monotonic and scaled[name] >= MOVES_AT_LEAST_SD)}
    return {"windows": effects["windows"], "seed": seed, "attributes": out}
