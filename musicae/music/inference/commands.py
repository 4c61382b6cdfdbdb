"""File-level generation commands behind the CLI: sample, reconstruct, interpolate, encode.

Each computes in memory (conversions.py) and writes what it computed; none deletes anything.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding.checkpoint import atomic_write_text
from musicae.autoencoding.config import ConfigError
from musicae.music.encodings import ENCODINGS, get_encoding
from musicae.music.encodings.base import Extraction, Rows
from musicae.music.encodings.chords import parse_progression
from musicae.music.inference.bar_paths import held_style
from musicae.music.inference.conversions import (
    MidiFacts,
    NoWindows,
    file_facts,
    midi_bytes,
    png_of,
    row_at_bar,
    wav_of,
    windows_from_midi_file,
)
from musicae.music.inference.outputs import output_files, write_file
from musicae.music.inference.trained_model import TrainedModel

MAX_INTERPOLATION_STEPS = 1000
"""More points than anyone listens to; each costs a decode and a MIDI file."""


def check_temperature(value: float | None) -> float | None:
    """A finite temperature >= 0, or None (the model's default_temperature)."""
    if value is None:
        return None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"--temperature {value}: must be a finite number >= 0 (0 decodes greedily)")
    return value


MAX_PROGRESSION_BARS = 256
"""A progression's length bounds the work of one command or studio request (a 5,000-chord one ran for minutes)."""
CHORDS = "chords"
"""The control stream that --chords fills (an encoding with chords declares it)."""


MELODY_TRACK_NAMES = re.compile(r"melod|lead|vocal|voice|tune|soprano|solo|flute|violin", re.IGNORECASE)
ACCOMPANIMENT_NAMES = re.compile(r"piano|bridge|chord|accomp|bass|pad|guitar|comp\b|harmony", re.IGNORECASE)


def one_track(found: Extraction, track: int | str | None, name: str, notes: list[str] | None = None,
              names: list[str] = ()) -> Extraction:
    """The windows of one track of an input: `track` (an index, or a name from `names`), or by default the
    melody as MusicVAE would pick it: a track named like one (MELODY, lead, vocal...), else the track whose
    extraction gives the most windows, those named like accompaniment (piano, bass, chords...) aside when
    another gives windows. A lead sheet's accompaniment is never appended as a second melody; the tracks left
    out are said in `notes`."""
    tracks = found.origins[:, 1]
    counts = {int(t): int((tracks == t).sum()) for t in np.unique(tracks)}
    label = {t: f"{t} ({names[t]!r}, {n} windows)" if t < len(names) and names[t] else f"{t} ({n} windows)"
             for t, n in counts.items()}
    if isinstance(track, str) and not track.isdigit():
        matching = [t for t in counts if t < len(names) and names[t].strip().lower() == track.strip().lower()]
        if not matching:
            raise NoWindows(f"{name}: --track {track!r}: no track of that name gives windows; tracks with windows: "
                            + ", ".join(label.values()))
        chosen = matching[0]
    elif track is not None:
        chosen = int(track)
    else:
        def named(pattern):
            return [t for t in counts if t < len(names) and pattern.search(names[t] or "")]
        melodic = named(MELODY_TRACK_NAMES)
        others = [t for t in counts if t not in named(ACCOMPANIMENT_NAMES)] or list(counts)
        chosen = melodic[0] if melodic else max(others, key=lambda t: (counts[t], -t))
    if chosen not in counts:
        raise NoWindows(f"{name}: --track {track}: no window on that track; tracks with windows: "
                        + ", ".join(label.values()))
    if len(counts) > 1 and notes is not None:
        left = ", ".join(label[t] for t in counts if t != chosen)
        notes.append(f"{name}: reading track {label[chosen]}; left out: {left} (--track picks another)")
    return found.take(np.flatnonzero(tracks == chosen))


def input_rows(model: TrainedModel, path: Path, bar: int | None, flag: str, chords: str | None,
               track: int | str | None = None, notes: list[str] | None = None) -> Rows:
    return input_extraction(model, path, bar, flag, chords, track, notes)[0].rows


def input_extraction(model: TrainedModel, path: Path, bar: int | None, flag: str, chords: str | None,
                     track: int | str | None = None, notes: list[str] | None = None
                     ) -> tuple[Extraction, MidiFacts]:
    """An input's rows for the model: one track's windows (see one_track), the whole of it window after
    window, or with `bar` the one window that starts at that bar of the file; and the input's tempo, meter and
    track names. A model with chords plays them from --chords (bar after bar, round and round), else from the
    input's own (annotated, from a chords track, or inferred from its accompaniment)."""
    has_chords = CHORDS in model.control_names
    if not has_chords:
        progression(model, chords)  # refuses --chords for a model without chords
    own = has_chords and not chords
    encoding = model.encoding if own or not model.control_names else output_only(model)
    try:
        found = windows_from_midi_file(path, model.cfg.bars, None if bar is None else 1, encoding)
    except NoWindows as err:
        if own and "no chords" in str(err):
            raise NoWindows(f"{err}; give a progression with --chords") from None
        raise
    facts = file_facts(path)
    found = one_track(found, track, str(path), notes, facts.track_names)
    if bar is not None:
        found = found.take(row_at_bar(found, bar, str(path), flag))
    if has_chords and not own:
        per_bar, _ = progression(model, chords, windows=len(found))
        found = Extraction(found.rows.merged({CHORDS: per_bar}), found.origins, found.reason, found.detail,
                           found.counts, found.lengths)
    return found, facts


def window_starts(found: Extraction) -> np.ndarray | None:
    """The step of the input at which each window starts, when all come from one segment of it (steps are
    counted per segment), else None."""
    return found.origins[:, 2] if len(set(found.origins[:, 0].tolist())) == 1 else None


def played(rows: Rows, starts) -> Rows:
    """Rows as one piece: at their steps in the input (overlapping windows cut, see Rows.stitched), or one after
    another when their steps are not known."""
    return rows.joined() if starts is None else rows.stitched(starts)


def pick_windows(model: TrainedModel, path: Path, bar: int | None, flag: str, track: int | str | None = None
                 ) -> np.ndarray:
    """The first output stream of an input's rows (see `input_rows`): a one-stream model's windows."""
    return input_rows(model, path, bar, flag, None, track)[model.output_names[0]]


def output_only(model: TrainedModel):
    """The encoding that reads a model's outputs from a file without its controls (those come from flags)."""
    for candidate in ENCODINGS.names():
        other = get_encoding(candidate)
        if [s.name for s in other.streams] == model.output_names and other.steps_per_bar == model.encoding.steps_per_bar:
            return other
    raise ConfigError(f"{model.cfg.name}: no encoding reads its outputs without their controls")


def interpolate(checkpoint, a: Path, b: Path, steps: int, out: Path, bar_a: int | None = None, bar_b: int | None = None,
                temperature: float | None = None, wav: bool = True, png: bool = True, seed: int = 0,
                chords: str | None = None, track: int | str | None = None, qpm: float | None = None,
                program: int | None = None) -> dict:
    """With a chord model, every step is decoded over --chords, else over A's own chords. Temperature None:
    the model's default (TrainedModel.default_temperature). `track`: of both inputs (default: each one's
    melody, see one_track)."""
    if not 2 <= steps <= MAX_INTERPOLATION_STEPS:
        raise ConfigError(f"--steps {steps}: must be in 2..{MAX_INTERPOLATION_STEPS} (both endpoints are included)")
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint, job="interpolate")
    temperature = model.temperature(temperature)
    encoding, steps_per_bar = model.encoding, model.encoding.sixteenths_per_bar
    notes = []
    found_a, facts_a = input_extraction(model, a, bar_a, "--bar", chords, track, notes)
    rows_a = found_a.rows
    rows_b = input_rows(model, b, bar_a if bar_b is None else bar_b, "--bar" if bar_b is None else "--bar-b", chords,
                        track, notes)
    paired = min(len(rows_a), len(rows_b))
    if len(rows_a) != len(rows_b):
        notes.append(f"A has {len(rows_a)} windows and B {len(rows_b)}: interpolating the first {paired} of each")
    rows_a, rows_b = rows_a.take(slice(0, paired)), rows_b.take(slice(0, paired))
    path = model.interpolate_rows(rows_a, rows_b, steps, temperature, seed)  # every step over A's controls
    qpm = qpm or facts_a.qpm  # the path plays at A's tempo unless told
    out = output_files(out, [a, b], model.name, seed)
    files = [out.write(f"step_{i:02d}.mid", midi_bytes(path[i], encoding=encoding, qpm=qpm, program=program))
             for i in range(steps)]
    whole_path = Rows.concat([p.joined() for p in path])  # each step's windows back to back
    whole = out.write("path.mid", midi_bytes(whole_path, encoding=encoding, gap_steps=steps_per_bar, qpm=qpm,
                                                       program=program))
    result = {"a": str(a), "b": str(b), "steps": steps, "windows_per_step": paired, "files": files,
              "path_midi": whole, "qpm": qpm or encoding.qpm, "temperature": temperature, "model": model.name, "checkpoint": model.source}
    if png:
        rows = [rows_a.joined(), *[p.joined() for p in path], rows_b.joined()]
        result["piano_roll"] = out.write("path.png", png_of(
            rows, ["A (input)", *map(str, range(steps)), "B (input)"],
            f"{a.name} -> {b.name}: {steps} points on the slerp path, between the inputs", encoding=encoding))
    if wav:
        data, result["synth"] = wav_of(whole_path, encoding=encoding, gap_steps=steps_per_bar, qpm=qpm, program=program)
        result["wav"] = out.write("path.wav", data)
    if notes:
        result["notes"] = notes
    return result


def reconstruct(checkpoint, midi: Path, out: Path, temperature: float | None = None, png: bool = True, seed: int = 0,
                chords: str | None = None, wav: bool = True, track: int | str | None = None, qpm: float | None = None,
                program: int | None = None, bar: int | None = None) -> dict:
    """With a chord model: over the input's own chords, or over --chords. `bar`: only the window that starts at
    that bar of the file (a multitrack model's measure, as `musicae measures` lists them)."""
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint, job="reconstruct")
    temperature = model.temperature(temperature)
    encoding = model.encoding
    notes = []
    found, facts = input_extraction(model, midi, bar, "--bar", chords, track, notes)
    rows = found.rows
    rebuilt = model.reconstruct_rows(rows, temperature, seed)
    starts, meter = window_starts(found), facts.meter
    first = model.output_names[0]
    qpm = qpm or facts.qpm  # the output plays at the input's tempo unless told
    out = output_files(out, [midi], model.name, seed)
    result = {"input": str(midi), "windows": len(rows), "bars": [int(b) for b in found.origins[:, 3]],
              "qpm": qpm or encoding.qpm, "temperature": temperature,
              "model": model.name, "checkpoint": model.source,
              "accuracy": round(float((rebuilt[first] == rows[first]).mean()), 4),
              "input_midi": out.write("input.mid", midi_bytes(
                  rows, encoding=encoding, qpm=qpm, program=program, meter=meter, starts=starts)),
              "reconstruction_midi": out.write("reconstruction.mid", midi_bytes(
                  rebuilt, encoding=encoding, qpm=qpm, program=program, meter=meter, starts=starts))}
    if png:
        result["piano_roll"] = out.write("reconstruction.png", png_of(
            [played(rows, starts), played(rebuilt, starts)], ["input", "output"], midi.name, encoding=encoding))
    if wav:
        data, result["synth"] = wav_of(rebuilt, encoding=encoding, qpm=qpm, program=program, starts=starts)
        result["wav"] = out.write("reconstruction.wav", data)
    if notes:
        result["notes"] = notes
    return result


def progression(model: TrainedModel, text: str | None, windows: int | None = None) -> tuple[np.ndarray | None, int]:
    """--chords as the model needs it: (W, T) per-step chord classes, one chord per bar, and the progression's
    length in bars. W windows cover the progression (the last chord held to fill the last one), or, given
    `windows`, the progression repeats over that many. (None, 0) for a model without chords."""
    if CHORDS not in model.control_names:
        if text:
            raise ConfigError(f"--chords: {model.cfg.name} is not chord-conditioned (use a chord model such as "
                              f"mel_2bar_chords or multitrack_1bar_chords)")
        return None, 0
    if not text:
        raise ConfigError(f"--chords: {model.cfg.name} is chord-conditioned; give a progression, e.g. --chords \"C G Am F\"")
    if len(text) > 20 * MAX_PROGRESSION_BARS or len(text.split()) > MAX_PROGRESSION_BARS:
        raise ConfigError(f"--chords: at most {MAX_PROGRESSION_BARS} chords (bars) in a progression")
    classes = parse_progression(text)
    bars, per_window = len(classes), model.cfg.bars
    if windows is None:
        windows = -(-bars // per_window)
        per_bar = classes + [classes[-1]] * (windows * per_window - bars)
    else:
        per_bar = [classes[i % bars] for i in range(windows * per_window)]
    dtype = model.encoding.stream(CHORDS).dtype
    per_window = np.array(per_bar).reshape(windows, per_window)
    return model.encoding.chords_for_bars(per_window).astype(dtype), bars


def progression_melody(model: TrainedModel, conditions: np.ndarray, bars: int, temperature: float,
                       generator: torch.Generator) -> Rows:
    """One sample over a whole progression: one z decoded over each of its (W, T) windows of chords, cut to its
    `bars` (the last window's padding dropped). -> one row of bars * steps_per_bar steps, with its chords."""
    z = model.model.prior_z(1, generator).numpy().repeat(len(conditions), 0)
    decoded = model.decode_rows(z, temperature, generator, Rows({CHORDS: conditions})).joined()
    length = bars * model.cfg.steps_per_bar
    return Rows({name: values[:, :length] for name, values in decoded.items()})


def sample(checkpoint, n: int, temperature: float, out: Path, seed: int = 0, png: bool = True,
           chords: str | None = None, wav: bool = True, qpm: float | None = None, program: int | None = None,
           bars: int | None = None) -> dict:
    """n samples, one MIDI file each; the piano roll shows the first few (its cost does not grow with n).

    With a chord model, each sample plays over the whole --chords progression: its windows are decoded from
    one z, each over its own chords (the notebook's "same style over a chord progression"). With `bars`, each
    sample is one z held over that many bars (the progression round and round under it: bar_paths.held_style)."""
    if n < 1:
        raise ConfigError(f"-n {n}: must be at least 1")
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint, job="sample")
    encoding = model.encoding
    conditions, progression_bars = progression(model, chords) if bars is None else (None, 0)
    out = output_files(out, [], model.name, seed)
    width = max(2, len(str(n - 1)))
    files, shown = [], []
    if bars is not None:
        generator = torch.Generator().manual_seed(seed)
        for i in range(n):
            piece = held_style(model, model.model.prior_z(1, generator).numpy()[0], bars, chords, temperature,
                               generator)
            files.append(out.write(f"sample_{i:0{width}d}.mid", midi_bytes(piece, encoding=encoding, qpm=qpm,
                                                                                     program=program)))
            if len(shown) < 16:
                shown.append(piece)
    elif conditions is None:
        for start in range(0, n, 256):  # bounded memory for any n
            rows = model.sample_rows(min(256, n - start), temperature, seed + start)
            files += [out.write(f"sample_{start + i:0{width}d}.mid", midi_bytes(rows.take(i), encoding=encoding,
                                                                                           qpm=qpm, program=program))
                      for i in range(len(rows))]
            shown += [rows.take(i) for i in range(min(len(rows), 16 - len(shown)))]
    else:
        generator = torch.Generator().manual_seed(seed)
        for i in range(n):
            melody = progression_melody(model, conditions, progression_bars, temperature, generator)
            files.append(out.write(f"sample_{i:0{width}d}.mid", midi_bytes(melody, encoding=encoding, qpm=qpm,
                                                                                     program=program)))
            if len(shown) < 16:
                shown.append(melody)
    result = {"files": files, "temperature": temperature, "seed": seed, "qpm": qpm or encoding.qpm, "model": model.name,
              "checkpoint": model.source}
    if bars is not None:
        result["bars"] = bars
    if chords:
        result["chords"] = chords
    if png:
        label = f" over {chords}" if chords else ""
        result["piano_roll"] = out.write("samples.png", png_of(
            shown, [str(i) for i in range(len(shown))], f"{len(shown)} of {n} samples, temperature {temperature}{label}",
            encoding=encoding))
    if wav:  # the samples the picture shows, a bar of silence between them
        data, result["synth"] = wav_of(Rows.concat([s.joined() for s in shown]), encoding=encoding,
                                       gap_steps=encoding.sixteenths_per_bar, qpm=qpm, program=program)
        result["wav"] = out.write("samples.wav", data)
    return result


def is_encode_sidecar(path: Path) -> bool:
    """Whether `path` is a sources file that encode wrote (and may replace)."""
    try:
        found = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(found, dict) and {"checkpoint", "z_dim", "windows"} <= set(found)


def encode(checkpoint, inputs: list[Path], out: Path) -> dict:
    """Posterior means of every window (sliding one bar) of every input; bad inputs are reported, not fatal.

    Writes OUT.npy (".npy" is added when missing) and OUT.json naming each row's source and start bar.
    """
    out = Path(out)
    if out.is_dir():
        raise IsADirectoryError(f"--out {out}: is an existing folder; give a file name such as {out / 'z.npy'}")
    if out.suffix != ".npy":
        out = out.with_name(out.name + ".npy")
    sidecar = out.with_suffix(".json")
    for target in (out, sidecar):
        if target.is_dir():
            raise IsADirectoryError(f"--out {target}: is an existing folder; give a file name such as z.npy")
    if sidecar.exists() and not is_encode_sidecar(sidecar):  # --out names the .npy, not this file
        raise FileExistsError(f"--out {out}: {sidecar.name} beside it is not one that encode wrote; it would be "
                              f"replaced by the sources of the rows: choose another --out")
    model = TrainedModel.load(checkpoint, job="encode")
    vectors, sources, failed = [], [], []
    for path in inputs:
        try:
            extraction = windows_from_midi_file(path, model.cfg.bars, hop_bars=1, encoding=model.encoding)
        except NoWindows as err:
            failed.append(str(err))
            continue
        vectors.append(model.encode(extraction.rows))
        sources += [{"source": str(path), "window": i, **extraction.origin(i)} for i in range(len(extraction))]
    if not vectors:
        raise NoWindows("no input gave a window: " + "; ".join(failed))
    z = np.concatenate(vectors).astype(np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.save(buffer, z)
    write_file(out, buffer.getvalue())
    atomic_write_text(sidecar, json.dumps({"model": model.name, "checkpoint": model.source, "z_dim": int(z.shape[1]),
                                           "windows": sources}, indent=1))
    return {"out": str(out), "sources": str(sidecar), "shape": list(z.shape), "failed": failed, "model": model.name}
