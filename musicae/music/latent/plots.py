"""Pictures of the latent tools: a grid of piano rolls, the effect matrix, the interpolation analysis
and the prior-vs-data statistics. Each returns PNG bytes."""

from __future__ import annotations

import io

import numpy as np

from musicae.music.encodings.melody import STEPS_PER_BAR, window_to_notes


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, dpi=100, format="png")
    plt.close(fig)
    return buffer.getvalue()


def grid_png(grid: np.ndarray, title: str = "") -> bytes:
    """(rows, cols, T) windows as a grid of small piano rolls, corners being the inputs' reconstructions."""
    plt = _pyplot()
    rows, cols, steps = grid.shape
    notes = [[window_to_notes(grid[r, c]) for c in range(cols)] for r in range(rows)]
    pitches = [p for row in notes for cell in row for p, _, _ in cell] or [60]
    low, high = min(pitches) - 1, max(pitches) + 1
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols * max(1, steps / 64), 1.2 * rows), squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            for pitch, start, end in notes[r][c]:
                ax.broken_barh([(start, end - start - 0.2)], (pitch - 0.4, 0.8), color="tab:blue")
            for bar in range(0, steps + 1, STEPS_PER_BAR):
                ax.axvline(bar, color="0.85", lw=0.5, zorder=0)
            ax.set_xlim(0, steps)
            ax.set_ylim(low, high)
            ax.set_xticks([])
            ax.set_yticks([])
            corner = (r in (0, rows - 1)) and (c in (0, cols - 1))
            for spine in ax.spines.values():
                spine.set_color("tab:red" if corner else "0.6")
    if title:
        fig.suptitle(title, fontsize=10)
    return _png(fig)


def effect_matrix_png(effects: dict) -> bytes:
    """Heat map: row = vector added (amount +1), column = attribute measured, cell = change relative to the
    attribute's standard deviation over the held-out windows."""
    plt = _pyplot()
    names, change, scale = effects["attributes"], effects["change_at_amount_1"], effects["scale"]
    matrix = np.array([[change[v][n] / scale[n] for n in names] for v in names])
    limit = max(np.abs(matrix).max(), 1e-6)
    fig, ax = plt.subplots(figsize=(1.2 * len(names) + 2, 1.0 * len(names) + 1.5))
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), [f"+1 x {n}" for n in names], fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{matrix[i, j]:+.2f}", ha="center", va="center", fontsize=7)
    ax.set_xlabel("attribute measured (change in standard deviations of the data)")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title("attribute vectors: effect on every attribute", fontsize=10)
    return _png(fig)


def interpolation_png(analysis: dict) -> bytes:
    plt = _pyplot()
    alphas = analysis["alphas"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, style in (("latent", "-o"), ("data", "--s")):
        left.plot(alphas, analysis[name]["hamming_to_start"], style, label=f"{name} space", ms=3)
        right.plot(alphas, analysis[name]["log_likelihood"], style, label=f"{name} space", ms=3)
    right.axhline(analysis["data_log_likelihood"], color="0.5", lw=1, label="held-out melodies")
    left.set(xlabel="interpolation amount", ylabel="Hamming distance to the start", title="distance")
    right.set(xlabel="interpolation amount", ylabel="LM log-likelihood per step (nats)", title="realism")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return _png(fig)


def statistics_png(comparison: dict) -> bytes:
    plt = _pyplot()
    names = list(comparison["data"])
    temperatures = list(comparison["temperatures"])
    fig, axes = plt.subplots(1, len(names), figsize=(2.2 * len(names), 2.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        values = [comparison["data"][name]] + [comparison["temperatures"][t][name]["mean"] for t in temperatures]
        ax.bar(range(len(values)), values, color=["0.5", "tab:blue", "tab:orange"][: len(values)])
        ax.set_xticks(range(len(values)), ["data"] + [f"T={t}" for t in temperatures], fontsize=7)
        ax.set_title(name, fontsize=8)
    fig.suptitle("prior samples vs held-out melodies (means)", fontsize=10)
    return _png(fig)
