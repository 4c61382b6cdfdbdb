"""Pictures and sound of notes: piano-roll PNGs and WAV files."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import time
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


WRAP_BARS = 8
"""A long row is drawn as lines of this many bars, as a score is: a 64-bar tune is 8 lines, not a 3000-px strip."""
MAX_LINES = 48
"""At most this many lines in one picture (the title says what is left out)."""
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def _wrapped(rows: list[list[Note]], titles: list[str] | None, steps: int, steps_per_bar: int, title: str):
    """Rows of more than WRAP_BARS bars cut into lines of WRAP_BARS bars (notes moved to their line's start,
    cut at its end); (lines, their labels, the steps of a line, title)."""
    width = WRAP_BARS * steps_per_bar
    if steps <= width:
        return rows, titles, steps, title
    lines, labels = [], []
    for index, notes in enumerate(rows):
        for start in range(0, steps, width):
            lines.append([Note(n.pitch, n.start - start, min(n.end, start + width) - start, n.velocity, n.part,
                               n.program, n.is_drum) for n in notes if start <= n.start < start + width])
            name = titles[index] if titles else ""
            first = start // steps_per_bar + 1
            labels.append(f"{name}\nbar {first}" if start == 0 or not name else f"bar {first}")
    if len(lines) > MAX_LINES:
        title = f"{title} (first {MAX_LINES} lines of {WRAP_BARS} bars)".strip()
        lines, labels = lines[:MAX_LINES], labels[:MAX_LINES]
    return lines, labels, width, title


def _pitch_ticks(low: int, high: int) -> tuple[list[int], list[str]]:
    """Note names on the pitch axis: every C, E and G (every C and G over three octaves), with their octave."""
    degrees = (0, 4, 7) if high - low <= 36 else (0, 7)
    ticks = [p for p in range(low, high + 1) if p % 12 in degrees]
    return ticks, [f"{NOTE_NAMES[p % 12]}{p // 12 - 1}" for p in ticks]


def piano_roll_png(rows: list[list[Note]], titles: list[str] | None = None, title: str = "",
                   steps_per_bar: int = 16) -> bytes:
    """PNG bytes: one row per list of notes (lines of WRAP_BARS bars for long ones), notes as bars with a dark
    mark at each onset, so that repeated notes read as repeated; bar lines every bar; one pitch scale for the
    whole figure, with note names. The first part of each row is in colour, the other parts (chords,
    accompaniment) in grey under it.

    Only the first MAX_ROLL_ROWS rows are drawn (the title says so when some are left out).
    """
    rows, titles, title = _first_rows(rows, titles, title)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pitches = [n.pitch for ns in rows for n in ns] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    rows, steps, title = _first_steps(rows, steps_per_bar, title)
    colours = [row for row, notes in enumerate(rows) for _ in range(max(1, -(-steps // (WRAP_BARS * steps_per_bar))))]
    rows, titles, steps, title = _wrapped(rows, titles, steps, steps_per_bar, title)
    fig, axes = plt.subplots(len(rows), 1, figsize=(min(3 + steps / 10, 30), 0.3 + 1.1 * len(rows)),
                             sharex=True, squeeze=False)
    cmap = plt.get_cmap("viridis")
    sources = max(colours[: len(rows)], default=0)
    ticks, names = _pitch_ticks(low, high)
    for row, (ax, notes) in enumerate(zip(axes[:, 0], rows)):
        color = cmap(colours[row] / max(sources, 1)) if row < len(colours) else cmap(0)
        lead = notes[0].part if notes else None
        bars: dict[tuple[bool, int], list] = {}  # one call per pitch and layer: thousands of notes draw fast
        for n in notes:
            bars.setdefault((n.part == lead, n.pitch), []).append((n.start, max(n.end - n.start - 0.15, 0.1)))
        for (is_lead, pitch), spans in sorted(bars.items()):  # accompaniment first, under the lead
            ax.broken_barh(spans, (pitch - 0.4, 0.8), color=color if is_lead else "0.75")
            if is_lead:  # every onset marked: two repeated quarter notes are not one half note
                ax.broken_barh([(start, 0.3) for start, _ in spans], (pitch - 0.45, 0.9), color="0.15")
        for bar in range(0, steps + 1, steps_per_bar):
            ax.axvline(bar, color="0.8", lw=0.6, zorder=0)
        ax.set_ylim(low, high)
        ax.set_xlim(0, steps)
        ax.set_yticks(ticks, names, fontsize=6)
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


FADE_SECONDS = 0.005
"""Attack and release of each synthesized note: a note that starts or stops at full amplitude clicks."""


def _tone(pitch: int, seconds: float, sample_rate: int) -> np.ndarray:
    """A soft plucked tone (three harmonics, decaying), faded in and out."""
    t = np.arange(max(int(seconds * sample_rate), 1)) / sample_rate
    frequency = 440.0 * 2 ** ((pitch - 69) / 12)
    wave_ = sum(np.sin(2 * np.pi * k * frequency * t) / k ** 1.5 for k in (1, 2, 3))
    envelope = np.exp(-t * 2.5)
    fade = max(1, int(FADE_SECONDS * sample_rate))
    ramp = np.minimum(1.0, np.minimum(np.arange(len(t)) + 1, len(t) - np.arange(len(t))) / fade)
    return wave_ * envelope * ramp


def _synthesize(midi, sample_rate: int) -> np.ndarray:
    """The fallback synthesizer: soft tones for the pitched parts, a small synthetic kit for the drums."""
    notes = [(n, inst.is_drum) for inst in midi.instruments for n in inst.notes]
    if not notes:
        return np.zeros(0)
    sounds = {}
    length = 0
    for n, drum in notes:
        key = ("drum", n.pitch) if drum else ("tone", n.pitch, round(n.end - n.start, 3))
        if key not in sounds:
            sounds[key] = _drum_sound(n.pitch, sample_rate) if drum else _tone(n.pitch, n.end - n.start, sample_rate)
        length = max(length, int(n.start * sample_rate) + len(sounds[key]))
    out = np.zeros(length)
    for n, drum in notes:
        key = ("drum", n.pitch) if drum else ("tone", n.pitch, round(n.end - n.start, 3))
        at = int(n.start * sample_rate)
        out[at : at + len(sounds[key])] += sounds[key] * (n.velocity / 127) * (1.0 if drum else 0.5)
    return out


RELEASE_SECONDS = 10.0
"""What a render may run past the last note (reverb and release tails are a few seconds)."""


def _silenced(midi):
    """A copy of the MIDI whose every channel gets "all notes off" and "all sound off" at its end: a note left
    on (a note-on after its own note-off at one tick, in a file from elsewhere) cannot ring forever."""
    import copy

    import pretty_midi

    ended = copy.deepcopy(midi)
    end = ended.get_end_time()
    for instrument in ended.instruments:
        instrument.control_changes += [pretty_midi.ControlChange(123, 0, end), pretty_midi.ControlChange(120, 0, end)]
    return ended


def _fluidsynth(midi, soundfont: Path, sample_rate: int) -> bytes | None:
    """The MIDI rendered by FluidSynth's command line (stereo), or None when it fails. The render is stopped
    when its WAV outgrows the music plus RELEASE_SECONDS (FluidSynth renders as long as a voice sounds)."""
    limit = 44 + int((midi.get_end_time() + RELEASE_SECONDS) * sample_rate) * 4
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.mid", Path(folder) / "out.wav"
        _silenced(midi).write(str(source))
        try:
            process = subprocess.Popen(["fluidsynth", "-ni", "-q", "-g", "0.8", "-r", str(sample_rate), "-F",
                                        str(target), "-T", "wav", str(soundfont), str(source)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            return None
        try:
            while process.poll() is None:
                if target.exists() and target.stat().st_size > limit:
                    return None  # a runaway render: the next synthesizer plays it
                time.sleep(0.05)
            if process.returncode != 0:
                return None
            data = target.read_bytes()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return data if len(data) > 44 else None


def _tinysoundfont(midi, soundfont: Path, sample_rate: int) -> np.ndarray | None:
    """(samples, 2) float audio of the MIDI played by tinysoundfont (a pip package) from `soundfont`, or None
    when it is not installed or fails."""
    try:
        import tinysoundfont
    except ImportError:
        return None
    try:
        synth = tinysoundfont.Synth(samplerate=sample_rate)
        font = synth.sfload(str(soundfont))
        events = []  # (time, order, channel, pitch, velocity): note-offs before note-ons at one time
        for index, inst in enumerate(i for i in midi.instruments if i.notes):
            channel = 9 if inst.is_drum else [c for c in range(16) if c != 9][index % 15]
            synth.program_select(channel, font, 128 if inst.is_drum else 0, 0 if inst.is_drum else inst.program,
                                 is_drums=inst.is_drum)
            for n in inst.notes:
                events += [(n.start, 1, channel, n.pitch, n.velocity), (n.end, 0, channel, n.pitch, 0)]
        events.sort()
        chunks, now = [], 0
        for time, on, channel, pitch, velocity in events:
            at = int(round(time * sample_rate))
            if at > now:
                chunks.append(np.frombuffer(synth.generate(at - now), np.float32).reshape(-1, 2))
                now = at
            if on:
                synth.noteon(channel, pitch, velocity)
            else:
                synth.noteoff(channel, pitch)
        chunks.append(np.frombuffer(synth.generate(sample_rate), np.float32).reshape(-1, 2))  # a second of tail
        return np.concatenate(chunks)
    except Exception:  # a broken SoundFont or binding: the next synthesizer plays
        return None


def packaged_soundfont() -> Path | None:
    """The small General MIDI SoundFont that ships inside pretty_midi (TimGM6mb.sf2), if present."""
    try:
        import pretty_midi
    except ImportError:
        return None
    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    return path if path.is_file() else None


def _wav(audio: np.ndarray, sample_rate: int) -> bytes:
    """(samples,) or (samples, 2) float audio as 16-bit stereo WAV bytes, normalised."""
    stereo = np.repeat(audio[:, None], 2, axis=1) if audio.ndim == 1 else audio
    peak = np.abs(stereo).max() if len(stereo) else 0
    pcm = (stereo / peak * 0.8 * 32767).astype(np.int16) if peak > 0 else np.zeros((1, 2), np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes(pcm.tobytes())
    return buffer.getvalue()


def wav_bytes(midi, sample_rate: int = 44100) -> tuple[bytes, str]:
    """A pretty_midi.PrettyMIDI rendered to stereo WAV bytes by the first of: FluidSynth with a General MIDI
    SoundFont (Debian: fluidsynth, fluid-soundfont-gm; or $MUSICAE_SOUNDFONT); tinysoundfont (`pip install
    --no-deps tinysoundfont`) with that SoundFont or pretty_midi's own TimGM6mb.sf2; else the built-in
    synthesizer. Returns (bytes, which synthesizer was used)."""
    soundfont = find_soundfont()
    if soundfont is not None and shutil.which("fluidsynth"):
        data = _fluidsynth(midi, soundfont, sample_rate)
        if data is not None:
            return data, "fluidsynth"
    font = soundfont or packaged_soundfont()
    audio = None if font is None else _tinysoundfont(midi, font, sample_rate)
    if audio is not None and np.abs(audio).max() > 0:
        return _wav(audio, sample_rate), "tinysoundfont"
    return _wav(_synthesize(midi, sample_rate), sample_rate), "synth"
