"""Pictures and sound of melodies: piano-roll PNGs and WAV files."""

from __future__ import annotations

import io
import os
import shutil
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from musicae.music.encoding import STEPS_PER_BAR, window_to_notes

MAX_ROLL_ROWS = 24
"""A piano roll draws at most this many rows: its cost stays bounded however many melodies there are."""


def piano_roll_png(melodies: list[np.ndarray], titles: list[str] | None = None, title: str = "",
                   to_notes: Callable = window_to_notes, steps_per_bar: int = STEPS_PER_BAR,
                   chords: list[np.ndarray] | None = None) -> bytes:
    """PNG bytes: one row per melody (a (T,) class array), notes as bars, bar lines every bar; with `chords`
    (one (T,) chord-class row per melody) their voicing drawn in grey under the melody.

    Only the first MAX_ROLL_ROWS melodies are drawn (the title says so when some are left out).
    """
    if len(melodies) > MAX_ROLL_ROWS:
        title = f"{title} (first {MAX_ROLL_ROWS} of {len(melodies)})".strip()
        melodies, titles = melodies[:MAX_ROLL_ROWS], titles[:MAX_ROLL_ROWS] if titles else titles
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from musicae.music.encoding import chord_notes

    notes = [to_notes(m) for m in melodies]
    accompaniment = [chord_notes(c) for c in chords[: len(melodies)]] if chords is not None else [[]] * len(melodies)
    pitches = [p for ns in notes + accompaniment for p, _, _ in ns] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    steps = max(len(m) for m in melodies)
    fig, axes = plt.subplots(len(melodies), 1, figsize=(min(3 + steps / 10, 30), 0.3 + 1.1 * len(melodies)),
                             sharex=True, squeeze=False)
    cmap = plt.get_cmap("viridis")
    for row, (ax, melody_notes) in enumerate(zip(axes[:, 0], notes)):
        color = cmap(row / max(len(melodies) - 1, 1))
        for pitch, start, end in accompaniment[row]:
            ax.broken_barh([(start, end - start - 0.1)], (pitch - 0.4, 0.8), color="0.75")
        for pitch, start, end in melody_notes:
            ax.broken_barh([(start, end - start - 0.1)], (pitch - 0.4, 0.8), color=color)
        for bar in range(0, steps + 1, steps_per_bar):
            ax.axvline(bar, color="0.8", lw=0.6, zorder=0)
        ax.set_ylim(low, high)
        ax.set_xlim(0, steps)
        octaves = [p for p in range(low, high + 1) if p % 12 == 0]  # label the Cs
        ax.set_yticks(octaves, [f"C{p // 12 - 1}" for p in octaves], fontsize=7)
        if titles:
            ax.set_ylabel(titles[row], rotation=0, ha="right", va="center", fontsize=8)
    axes[-1, 0].set_xlabel("step (sixteenth notes)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100, format="png")
    plt.close(fig)
    return buffer.getvalue()


def find_soundfont() -> Path | None:
    """A General MIDI SoundFont: $MUSICAE_SOUNDFONT, or the usual Debian location."""
    for candidate in (os.environ.get("MUSICAE_SOUNDFONT"), "/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


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
        audio = midi.synthesize(fs=sample_rate)
    peak = np.abs(audio).max() if len(audio) else 0
    pcm = (audio / peak * 0.8 * 32767).astype(np.int16) if peak > 0 else np.zeros(1, np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes(pcm.tobytes())
    return buffer.getvalue(), used
