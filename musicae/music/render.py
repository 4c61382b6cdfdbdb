"""Pictures and sound of melodies: piano-roll PNGs and WAV files."""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path

import numpy as np

from musicae.music.encoding import STEPS_PER_BAR, window_to_notes


def piano_roll(melodies: list[np.ndarray], path: Path, titles: list[str] | None = None, title: str = "") -> Path:
    """One row per melody (a (T,) class array), notes as bars, bar lines every 16 steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    notes = [window_to_notes(m) for m in melodies]
    pitches = [p for ns in notes for p, _, _ in ns] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    steps = max(len(m) for m in melodies)
    fig, axes = plt.subplots(len(melodies), 1, figsize=(min(3 + steps / 10, 30), 0.3 + 1.1 * len(melodies)),
                             sharex=True, squeeze=False)
    cmap = plt.get_cmap("viridis")
    for row, (ax, melody_notes) in enumerate(zip(axes[:, 0], notes)):
        color = cmap(row / max(len(melodies) - 1, 1))
        for pitch, start, end in melody_notes:
            ax.broken_barh([(start, end - start - 0.1)], (pitch - 0.4, 0.8), color=color)
        for bar in range(0, steps + 1, STEPS_PER_BAR):
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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def find_soundfont() -> Path | None:
    """A General MIDI SoundFont: $MUSICAE_SOUNDFONT, or the usual Debian location."""
    for candidate in (os.environ.get("MUSICAE_SOUNDFONT"), "/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def midi_to_wav(midi_path: Path, wav_path: Path, sample_rate: int = 22050) -> str:
    """Render a MIDI file to WAV with FluidSynth when it and a SoundFont exist, else with sine waves.

    Returns which synthesizer was used.
    """
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(str(midi_path))
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
    with wave.open(str(wav_path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes(pcm.tobytes())
    return used
