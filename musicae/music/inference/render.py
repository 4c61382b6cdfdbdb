"""Pictures and sound of notes: piano-roll PNGs and WAV files."""

from __future__ import annotations

import io
import os
import shutil
import wave
from pathlib import Path

import numpy as np

from musicae.music.encodings.base import Note

MAX_ROLL_ROWS = 24
"""A piano roll draws at most this many rows: its cost stays bounded however many melodies there are."""
MAX_ROLL_STEPS = 2048
"""...and at most this many steps (128 bars) of each: a 500-bar input draws its first 128 bars."""


def _first_rows(rows: list, titles: list[str] | None, title: str) -> tuple[list, list[str] | None, str]:
    """At most MAX_ROLL_ROWS rows, the title saying when some are left out."""
    if len(rows) > MAX_ROLL_ROWS:
        title = f"{title} (first {MAX_ROLL_ROWS} of {len(rows)})".strip()
        rows, titles = rows[:MAX_ROLL_ROWS], titles[:MAX_ROLL_ROWS] if titles else titles
    return rows, titles, title


def _first_steps(rows: list[list[Note]], steps_per_bar: int, title: str) -> tuple[list, int, str]:
    """The steps to draw (whole bars, at most MAX_ROLL_STEPS), the notes that start within them, and a title
    that says so when some are cut."""
    steps = max([int(np.ceil(max((n.end for n in ns), default=0))) for ns in rows] + [steps_per_bar])
    steps += -steps % steps_per_bar
    if steps <= MAX_ROLL_STEPS:
        return rows, steps, title
    title = f"{title} (first {MAX_ROLL_STEPS // steps_per_bar} bars)".strip()
    return [[n for n in ns if n.start < MAX_ROLL_STEPS] for ns in rows], MAX_ROLL_STEPS, title


def _png(fig, axes, title: str) -> bytes:
    import matplotlib.pyplot as plt

    axes[-1, 0].set_xlabel("step (sixteenth notes)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100, format="png")
    plt.close(fig)
    return buffer.getvalue()


def piano_roll_png(rows: list[list[Note]], titles: list[str] | None = None, title: str = "",
                   steps_per_bar: int = 16) -> bytes:
    """PNG bytes: one row per list of notes, notes as bars, bar lines every bar; the first part of each row in
    colour, the other parts (chords, accompaniment) in grey under it.

    Only the first MAX_ROLL_ROWS rows are drawn (the title says so when some are left out).
    """
    rows, titles, title = _first_rows(rows, titles, title)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pitches = [n.pitch for ns in rows for n in ns] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    rows, steps, title = _first_steps(rows, steps_per_bar, title)
    fig, axes = plt.subplots(len(rows), 1, figsize=(min(3 + steps / 10, 30), 0.3 + 1.1 * len(rows)),
                             sharex=True, squeeze=False)
    cmap = plt.get_cmap("viridis")
    for row, (ax, notes) in enumerate(zip(axes[:, 0], rows)):
        color = cmap(row / max(len(rows) - 1, 1))
        lead = notes[0].part if notes else None
        bars: dict[tuple[bool, int], list] = {}  # one call per pitch and layer: thousands of notes draw fast
        for n in notes:
            bars.setdefault((n.part == lead, n.pitch), []).append((n.start, n.end - n.start - 0.1))
        for (is_lead, pitch), spans in sorted(bars.items()):  # accompaniment first, under the lead
            ax.broken_barh(spans, (pitch - 0.4, 0.8), color=color if is_lead else "0.75")
        for bar in range(0, steps + 1, steps_per_bar):
            ax.axvline(bar, color="0.8", lw=0.6, zorder=0)
        ax.set_ylim(low, high)
        ax.set_xlim(0, steps)
        octaves = [p for p in range(low, high + 1) if p % 12 == 0]  # label the Cs
        ax.set_yticks(octaves, [f"C{p // 12 - 1}" for p in octaves], fontsize=7)
        if titles:
            ax.set_ylabel(titles[row], rotation=0, ha="right", va="center", fontsize=8)
    return _png(fig, axes, title)


def drum_grid_png(rows: list[list[Note]], lanes, titles: list[str] | None = None, title: str = "",
                  steps_per_bar: int = 16) -> bytes:
    """PNG bytes: one grid per list of drum notes, instruments (`lanes`: (name, pitches)) as rows and steps as
    columns, each hit a cell shaded by its velocity; bar lines every bar. Drawn like piano_roll_png otherwise."""
    rows, titles, title = _first_rows(rows, titles, title)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lane_of = {pitch: i for i, (_, pitches) in enumerate(lanes) for pitch in pitches}
    rows, steps, title = _first_steps(rows, steps_per_bar, title)
    fig, axes = plt.subplots(len(rows), 1, figsize=(min(3 + steps / 8, 30), 0.3 + 0.22 * len(lanes) * len(rows)),
                             sharex=True, squeeze=False)
    for row, (ax, notes) in enumerate(zip(axes[:, 0], rows)):
        grid = np.zeros((len(lanes), steps))
        for n in notes:
            lane, step = lane_of.get(n.pitch), int(np.floor(n.start + 0.5))  # a hit played early is still its step's
            if lane is not None and 0 <= step < steps:
                grid[lane, step] = max(grid[lane, step], n.velocity / 127)
        ax.imshow(grid, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
                  extent=(0, steps, len(lanes), 0))
        for bar in range(0, steps + 1, steps_per_bar):
            ax.axvline(bar, color="tab:red", lw=0.6, alpha=0.5)
        for beat in range(0, steps, steps_per_bar // 4 or 1):
            ax.axvline(beat, color="0.85", lw=0.3, zorder=0)
        ax.set_yticks(np.arange(len(lanes)) + 0.5, [name for name, _ in lanes], fontsize=6)
        if titles:
            ax.set_ylabel(titles[row], rotation=0, ha="right", va="center", fontsize=8, labelpad=40)
    return _png(fig, axes, title)


def find_soundfont() -> Path | None:
    """A General MIDI SoundFont: $MUSICAE_SOUNDFONT, or the usual Debian location."""
    for candidate in (os.environ.get("MUSICAE_SOUNDFONT"), "/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


# The fallback kit: (tone Hz at the start, at the end, share of noise, decay seconds) per GM drum pitch; the
# pitches decoding plays (drums.py) and a few neighbours. Noise is high-passed for cymbals.
KIT = {36: (110, 45, 0.0, 0.35), 35: (100, 40, 0.0, 0.35), 38: (190, 170, 0.7, 0.16), 40: (190, 170, 0.7, 0.16),
       42: (0, 0, 1.0, 0.05), 44: (0, 0, 1.0, 0.06), 46: (0, 0, 1.0, 0.35), 45: (110, 95, 0.1, 0.3),
       48: (150, 130, 0.1, 0.28), 50: (200, 175, 0.1, 0.25), 49: (0, 0, 1.0, 1.2), 51: (620, 600, 0.6, 0.7)}


def _drum_sound(pitch: int, sample_rate: int) -> np.ndarray:
    start, end, noise, decay = KIT.get(pitch, (0, 0, 1.0, 0.1))
    t = np.arange(int(sample_rate * decay * 4)) / sample_rate
    envelope = np.exp(-t / decay)
    tone = np.sin(2 * np.pi * np.cumsum(np.geomspace(start, end, len(t)) if start else np.zeros(len(t))) / sample_rate)
    rng = np.random.default_rng(pitch)  # the same hit sounds the same every time
    hiss = np.diff(rng.standard_normal(len(t) + 1)) / 2 if noise else np.zeros(len(t))
    return envelope * ((1 - noise) * tone + noise * hiss)


def _with_drums(midi, sample_rate: int) -> np.ndarray:
    """pretty_midi's sine synthesis of the pitched parts, plus a small synthetic kit for the drum parts (sine
    synthesis leaves drums silent)."""
    audio = midi.synthesize(fs=sample_rate) if any(not i.is_drum and i.notes for i in midi.instruments) else np.zeros(0)
    hits = [n for inst in midi.instruments if inst.is_drum for n in inst.notes]
    if not hits:
        return audio
    sounds = {p: _drum_sound(p, sample_rate) for p in {n.pitch for n in hits}}
    length = max(int(n.start * sample_rate) + len(sounds[n.pitch]) for n in hits)
    out = np.zeros(max(length, len(audio)))
    out[: len(audio)] += audio / max(np.abs(audio).max(), 1e-9) * 0.5 if len(audio) else 0
    for n in hits:
        at = int(n.start * sample_rate)
        out[at : at + len(sounds[n.pitch])] += sounds[n.pitch] * (n.velocity / 127)
    return out


def wav_bytes(midi, sample_rate: int = 22050) -> tuple[bytes, str]:
    """A pretty_midi.PrettyMIDI rendered to WAV bytes, with FluidSynth when it and a SoundFont exist,
    else with sine waves. Returns (bytes, which synthesizer was used)."""
    soundfont = find_soundfont()
    audio, used = None, "sine"
    if soundfont is not None and shutil.which("fluidsynth"):
        try:
            audio = midi.fluidsynth(fs=sample_rate, sf2_path=str(soundfont))
            used = "fluidsynth"
        except Exception:  # pyfluidsynth missing or broken: fall back
            audio = None
    if audio is None:
        audio = _with_drums(midi, sample_rate)
    peak = np.abs(audio).max() if len(audio) else 0
    pcm = (audio / peak * 0.8 * 32767).astype(np.int16) if peak > 0 else np.zeros(1, np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes(pcm.tobytes())
    return buffer.getvalue(), used
