"""The picture of several instruments: a piano roll coloured by instrument, drums as a grid of lanes under it."""

from __future__ import annotations

import numpy as np

from musicae.music.encodings.base import Note
from musicae.music.encodings.drums import DRUM_CLASSES, PITCH_TO_CLASS
from musicae.music.inference.render import _first_rows, _first_steps, _pitch_ticks, _png

LANE = 2
"""Height of a drum lane, in pitch rows."""


def instrument_key(note: Note) -> tuple[bool, int, str]:
    return note.is_drum, note.program, note.part


def multitrack_roll_png(rows: list[list[Note]], titles: list[str] | None = None, title: str = "",
                        steps_per_bar: int = 16, extent: list | None = None) -> bytes:
    """PNG bytes: one panel per list of notes; pitched notes at their pitch, one colour per instrument (the
    legend names them), a dark mark at each onset; drum hits as cells in lanes (kick, snare, hi-hats...) under
    the pitches, shaded by velocity. One pitch scale for the whole figure. `extent` (a list) receives where the
    time axis lies in the picture (its left and right as fractions of the width) and the steps it spans: what
    a page needs to draw a playhead over the picture."""
    rows, titles, title = _first_rows(rows, titles, title)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, steps, title = _first_steps(rows, steps_per_bar, title)
    pitches = [n.pitch for ns in rows for n in ns if not n.is_drum] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    has_drums = any(n.is_drum for ns in rows for n in ns)
    lanes = len(DRUM_CLASSES) if has_drums else 0
    bottom = low - LANE * lanes - 1  # the drum lanes sit under the lowest pitch, a row of space between
    keys = sorted({instrument_key(n) for ns in rows for n in ns if not n.is_drum})
    palette = plt.get_cmap("tab10")
    colour = {key: palette(i % 10) for i, key in enumerate(keys)}
    fig, axes = plt.subplots(len(rows), 1, figsize=(min(4 + steps / 6, 30), 0.6 + 0.05 * (high - bottom) * len(rows)),
                             sharex=True, squeeze=False)
    for row, (ax, notes) in enumerate(zip(axes[:, 0], rows)):
        by_key: dict[tuple, list] = {}
        for n in notes:
            if not n.is_drum:
                by_key.setdefault(instrument_key(n), []).append(n)
        for key, group in by_key.items():
            for pitch in sorted({n.pitch for n in group}):
                spans = [(n.start, max(n.end - n.start - 0.1, 0.1)) for n in group if n.pitch == pitch]
                ax.broken_barh(spans, (pitch - 0.4, 0.8), color=colour[key], label=None)
                ax.broken_barh([(start, 0.25) for start, _ in spans], (pitch - 0.45, 0.9), color="0.15")
        if lanes:
            grid = np.zeros((lanes, steps))
            for n in notes:
                lane, step = PITCH_TO_CLASS[int(np.clip(n.pitch, 0, 127))], int(np.floor(n.start + 0.5))
                if n.is_drum and lane >= 0 and 0 <= step < steps:
                    grid[lane, step] = max(grid[lane, step], n.velocity / 127)
            ax.imshow(grid[::-1], aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
                      extent=(0, steps, bottom - 0.5, bottom + LANE * lanes - 0.5), zorder=1)
        for bar in range(0, steps + 1, steps_per_bar):
            ax.axvline(bar, color="0.8", lw=0.6, zorder=0)
        ax.set_ylim(bottom - 0.5, high)
        ax.set_xlim(0, steps)
        ticks, names = _pitch_ticks(low, high)
        lane_ticks = [bottom + LANE * (lanes - i) - LANE / 2 - 0.5 for i in range(lanes)]
        ax.set_yticks(lane_ticks + ticks, list(DRUM_CLASSES[:lanes]) + names, fontsize=5)
        if titles:
            ax.set_ylabel(titles[row], rotation=0, ha="right", va="center", fontsize=8, labelpad=30)
    if keys:
        from matplotlib.patches import Patch

        handles = [Patch(color=colour[key], label=key[2]) for key in keys]
        axes[0, 0].legend(handles=handles, fontsize=6, loc="upper right", ncol=min(len(handles), 4))
    if extent is not None:  # the layout _png gives the figure (it is the same when done twice)
        axes[-1, 0].set_xlabel("step (sixteenth notes)")
        if title:
            fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        box = axes[0, 0].get_position()
        extent += [round(float(box.x0), 4), round(float(box.x1), 4), int(steps)]
    return _png(fig, axes, title)
