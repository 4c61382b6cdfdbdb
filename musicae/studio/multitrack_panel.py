"""The studio's multitrack panel: the Multitrack MusicVAE notebook's experiments, each answered with a picture
(a roll coloured by instrument, drums in lanes), the sound (a WAV through a GM SoundFont, rendered here) and
the MIDI, so the page needs no synthesizer of its own.

Actions (the notebook's cells):
- `samples`: random bars; with a chord model, each over the first chord of the progression (same chord,
  random styles);
- `style`: one style held over N bars (a chord model: the progression round and round);
- `morph`: a path between two random styles over N bars (over the progression, for a chord model);
- `measures`: an upload's (or example's) measures, by number;
- `reconstruct`: one measure encoded and decoded;
- `interpolate`: from measure A to measure B over N bars.
"""

from __future__ import annotations

import base64

import torch

from musicae.autoencoding.config import ConfigError
from musicae.music.encodings.base import Rows
from musicae.music.encodings.chords import UnknownChord
from musicae.music.inference.bar_paths import held_style, path_over_bars
from musicae.music.inference.conversions import NoWindows, midi_bytes, wav_of, windows_from_midi_bytes
from musicae.music.inference.trained_model import TrainedModel
from musicae.studio.service import Studio, StudioError, check_randomness

ACTIONS = ("samples", "style", "morph", "measures", "reconstruct", "interpolate")
MAX_BARS = 32
"""A piece the page renders and plays: seconds of music, not minutes of server work."""
MAX_SAMPLES = 8


def chorale_example() -> bytes:
    """Bach's BWV 66.6 from music21's corpus as MIDI, its voices on strings (as the training data has them)."""
    import music21

    from musicae.music.data.inputs import VOICE_PROGRAMS

    score = music21.corpus.parse("bach/bwv66.6")
    for part in score.parts:
        name = (part.partName or "").lower()
        part.getInstrument().midiProgram = next((p for voice, p in VOICE_PROGRAMS.items() if voice in name), 0)
    return music21.midi.translate.streamToMidiFile(score).writestr()


def piece_json(model: TrainedModel, rows: Rows, title: str, starts=None) -> dict:
    """A piece as the page shows it: a PNG, a WAV and the MIDI, base64; and where the picture's time axis lies
    (`axis`: left, right as fractions of its width, sixteenths spanned), for the page's playhead."""
    from musicae.music.inference.render_multitrack import multitrack_roll_png

    encoding = model.encoding
    wav, synth = wav_of(rows, encoding=encoding, starts=starts)
    extent: list = []
    picture = multitrack_roll_png([encoding.to_notes(rows.joined().row(0))], [title[:24]], title,
                                  encoding.sixteenths_per_bar, extent)
    return {"title": title, "synth": synth, "axis": extent,
            "png": base64.b64encode(picture).decode(),
            "wav": base64.b64encode(wav).decode(),
            "midi": base64.b64encode(midi_bytes(rows, encoding=encoding, starts=starts)).decode()}


def multitrack(studio: Studio, action: str, model_name: str | None = None, data: bytes | None = None,
               name: str = "upload", example: str | None = None, bars: int = 4, temperature: float = 0.2,
               seed: int = 0, chords: str | None = None, measure_a: int | None = None,
               measure_b: int | None = None, n: int = 4) -> dict:
    if action not in ACTIONS:
        raise StudioError(f"action must be one of {', '.join(ACTIONS)}")
    if not 1 <= bars <= MAX_BARS or not 1 <= n <= MAX_SAMPLES:
        raise StudioError(f"bars must be in 1..{MAX_BARS} and n in 1..{MAX_SAMPLES}")
    check_randomness(temperature, seed)
    model = studio.model(model_name)
    if not model.encoding.instruments:
        raise StudioError(f"{model_name or 'this model'} is not a multitrack model: pick multitrack_1bar or "
                          f"multitrack_1bar_chords")
    generator = torch.Generator().manual_seed(seed)
    try:
        if action in ("samples", "style", "morph"):
            return {"pieces": invented(model, action, bars, temperature, generator, chords, n)}
        found = measures_of(studio, model, data, name, example)
        numbers = [int(b) for b in found.origins[:, 3]]
        if action == "measures":
            return {"measures": numbers, "input": name if data else example}
        a = pick(found, numbers, measure_a, "measure A")
        if action == "reconstruct":
            rows = found.rows.take(a)
            rebuilt = model.reconstruct_rows(rows, temperature, generator)
            return {"pieces": [piece_json(model, rows, f"measure {numbers[a]} (input)"),
                               piece_json(model, rebuilt, f"measure {numbers[a]}, reconstructed")]}
        b = pick(found, numbers, measure_b, "measure B")
        za, zb = model.encode(found.rows.take(a))[0], model.encode(found.rows.take(b))[0]
        under = found.rows.take(a).only(model.control_names) or None
        piece = path_over_bars(model, za, zb, max(bars, 2), chords, temperature, generator, under)
        return {"pieces": [piece_json(model, piece, f"measure {numbers[a]} to measure {numbers[b]}, "
                                                    f"{max(bars, 2)} bars")]}
    except (ConfigError, UnknownChord) as err:
        raise StudioError(str(err).replace("--chords: ", "chords: ").replace("--bars", "bars")) from None


def invented(model: TrainedModel, action: str, bars: int, temperature: float, generator, chords: str | None,
             n: int) -> list[dict]:
    """Pieces from the prior: random bars, a held style, or a path between two styles."""
    if action == "samples":
        first = chords.split()[0] if chords and chords.split() else None
        pieces = []
        for i in range(n):
            z = model.model.prior_z(1, generator).numpy()[0]
            rows = held_style(model, z, 1, first, temperature, generator)
            pieces.append(piece_json(model, rows, f"sample {i}" + (f" over {first}" if first else "")))
        return pieces
    if action == "style":
        z = model.model.prior_z(1, generator).numpy()[0]
        rows = held_style(model, z, bars, chords, temperature, generator)
        return [piece_json(model, rows, f"one style, {bars} bars" + (f" over {chords}" if chords else ""))]
    za, zb = model.model.prior_z(2, generator).numpy()
    rows = path_over_bars(model, za, zb, max(bars, 2), chords, temperature, generator)
    return [piece_json(model, rows, f"from one style to another, {max(bars, 2)} bars"
                                    + (f" over {chords}" if chords else ""))]


def measures_of(studio: Studio, model: TrainedModel, data: bytes | None, name: str, example: str | None):
    if not data:
        if not example:
            raise StudioError("choose a MIDI file or an example")
        examples = multitrack_examples(studio)
        if example not in examples:
            raise StudioError(f"unknown example {example!r}")
        data, name = examples[example], example
    try:  # a chord model's encoding reads each measure's chords from its notes, as training inferred them
        found = windows_from_midi_bytes(data, 1, name=name, encoding=model.encoding)
    except NoWindows as err:
        raise StudioError(str(err)) from None
    return found


def pick(found, numbers: list[int], measure: int | None, label: str) -> int:
    if measure is None:
        return 0
    if measure not in numbers:
        shown = ", ".join(map(str, numbers[:20])) + (", ..." if len(numbers) > 20 else "")
        raise StudioError(f"{label}: no measure {measure}; the measures are {shown}")
    return numbers.index(measure)


def multitrack_examples(studio: Studio) -> dict[str, bytes]:
    """The chorale and the drum beats the page offers to a multitrack model."""
    if studio.multitrack_examples is None:
        from musicae.studio.service import drum_examples

        studio.multitrack_examples = {"chorale: BWV 66.6 (strings)": chorale_example(), **drum_examples()}
    return studio.multitrack_examples
