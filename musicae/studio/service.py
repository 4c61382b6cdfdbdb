"""What the studio computes, without HTTP: melodies from uploaded bytes, interpolation, sampling and
variations as JSON-ready notes plus base64 MIDI. The server (server.py) only moves bytes."""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from musicae.music.data.inputs import BadInput, _quiet_fds, folk_corpus_dir, split_abc_tunes
from musicae.music.encodings import get_encoding
from musicae.music.encodings.melody import DEFAULT_QPM, STEPS_PER_QUARTER
from musicae.music.inference.commands import output_only
from musicae.music.inference.conversions import NoWindows, midi_bytes, windows_from_midi_bytes
from musicae.music.inference.groove_commands import job_of, perform
from musicae.music.inference.shipped import DEFAULT_MODEL, model_card, shipped_names
from musicae.music.inference.trained_model import TrainedModel, example_melodies
from musicae.music.latent.moves import load_vectors, model_vectors_path, similar, transform

SECONDS_PER_STEP = 60.0 / DEFAULT_QPM / STEPS_PER_QUARTER
MAX_STEPS = 16
MAX_SAMPLES = 16
FOLK_EXAMPLES = 6  # tunes of O'Neill's collection offered on the page


class StudioError(ValueError):
    """A request the studio cannot serve; the message is shown in the page."""


def check_randomness(temperature: float, seed: int) -> None:
    """A finite temperature in 0..5 and a seed a torch.Generator takes, or a StudioError naming the field."""
    if not 0 <= temperature <= 5:  # false for nan as well
        raise StudioError(f"temperature must be a number in 0..5 (got {temperature})")
    if not 0 <= seed < 2**63:
        raise StudioError(f"seed must be a whole number in 0..2**63-1 (got {seed})")


def notes_json(model: TrainedModel, windows, gap_steps: int = 0) -> list[list[float]]:
    """Rows (as given: say, a performance, or what a GrooVAE encoder read) or (N, T) windows of the model's first
    stream, played in order -> [[pitch, start_seconds, end_seconds, velocity], ...]."""
    rows = windows if isinstance(windows, Mapping) else {model.output_names[0]: np.atleast_2d(windows)}
    notes, offset = [], 0
    for i in range(len(next(iter(rows.values())))):
        row = {name: np.asarray(values[i]) for name, values in rows.items()}
        for note in model.encoding.to_notes(row):
            notes.append([int(note.pitch), round((offset + note.start) * SECONDS_PER_STEP, 4),
                          round((offset + note.end) * SECONDS_PER_STEP, 4), int(note.velocity)])
        offset += next(iter(row.values())).shape[0] + gap_steps
    return notes


def b64_midi(model: TrainedModel, windows: np.ndarray, gap_steps: int = 0, chords: np.ndarray | None = None) -> str:
    return base64.b64encode(midi_bytes(windows, encoding=model.encoding, gap_steps=gap_steps, chords=chords)).decode()


def chord_notes_json(chords: np.ndarray) -> list[list[float]]:
    """(N, T) chord classes played in order -> the voicing's [[pitch, start_seconds, end_seconds], ...]."""
    from musicae.music.encodings.chords import chord_notes

    notes, offset = [], 0
    for row in np.atleast_2d(chords):
        notes += [[int(p), round((offset + s) * SECONDS_PER_STEP, 4), round((offset + e) * SECONDS_PER_STEP, 4)]
                  for p, s, e in chord_notes(row)]
        offset += row.shape[-1]
    return notes


def progression_or_none(model: TrainedModel, chords: str | None, windows: int | None) -> tuple[np.ndarray | None, int]:
    """A chord model's (W, T) chords for the typed progression and its length in bars; (None, 0) for a model
    without chords."""
    from musicae.autoencoding.config import ConfigError
    from musicae.music.encodings.chords import UnknownChord
    from musicae.music.inference.commands import progression

    try:
        return progression(model, chords, windows)
    except (ConfigError, UnknownChord) as err:
        raise StudioError(str(err).replace("--chords: ", "chord progression: ")) from None


def abc_to_midi(data: bytes, name: str) -> bytes:
    """The first tune of ABC text as MIDI bytes (abc2midi through symusic)."""
    import symusic

    try:
        header, tunes = split_abc_tunes(data.decode("latin-1"))
    except BadInput as err:
        raise StudioError(f"{name}: {err}") from None
    if not tunes:
        raise StudioError(f"{name}: no tune in this ABC file (no X: line)")
    try:
        with _quiet_fds():
            return symusic.Score.from_abc(header + tunes[0]).dumps_midi()
    except Exception as err:
        reason = re.sub(r"(?:[A-Za-z]:)?[/\\][^\s:'\"]+", "<path>", " ".join(str(err).split()))  # no server path
        raise StudioError(f"{name}: unreadable ABC ({reason[:100]})") from None


def kind_json(encoding) -> dict:
    """What the page needs to know of a model's music: chords to type, drum lanes to draw, a GrooVAE job."""
    return {"chords": "chords" in [s.name for s in encoding.controls], "drums": bool(encoding.lanes),
            "instruments": bool(encoding.instruments),
            "lanes": [[name, pitches[0]] for name, pitches in encoding.lanes], "job": job_of(encoding)}


def drum_examples() -> dict[str, bytes]:
    """The drum examples shipped with the package (excerpts of the Groove MIDI Dataset's validation split)."""
    folder = Path(__file__).resolve().parents[1] / "assets" / "examples" / "drums"
    return {f"beat: {p.stem.replace('_', ' ')}": p.read_bytes() for p in sorted(folder.glob("*.mid"))}


class Studio:
    """Models loaded once (thread-safe), examples, and the operations the page calls."""

    def __init__(self, checkpoint: str | None = None):
        self.checkpoint = checkpoint
        self._models: dict[str, TrainedModel] = {}
        self._lock = threading.Lock()
        self._examples: dict[str, bytes] | None = None
        self.multitrack_examples: dict[str, bytes] | None = None
        """The multitrack panel's examples, made on first use (multitrack_panel.multitrack_examples)."""

    # --- models ---
    def model_names(self) -> list[str]:
        return ["custom"] if self.checkpoint else shipped_names()

    def models(self) -> list[dict]:
        if self.checkpoint:
            model = self.model("custom")
            return [{"name": "custom", "bars": model.cfg.bars, "default": True,  # never the server's paths
                     **kind_json(model.encoding), "sliders": self.sliders("custom")}]
        return [{**{k: card[k] for k in ("name", "bars", "decoder", "default", "description", "figures")},
                 **kind_json(get_encoding(card["encoding"])), "sliders": self.sliders(card["name"])}
                for card in map(model_card, shipped_names())]

    def sliders(self, name: str | None) -> list[dict]:
        """The attribute vectors the page offers as sliders: only those measured to move their attribute (the
        `effects` of the model's attributes.json, `musicae attributes`), each with its musical unit and how far
        one unit of the vector moves it."""
        path = model_vectors_path(self.model(name))
        if not path.exists() or not self.vectors(name):
            return []
        import json

        effects = json.loads(path.read_text()).get("effects", {}).get("attributes", {})
        return [{"name": attribute, "unit": effect["unit"], "per_unit": effect["per_unit"]}
                for attribute, effect in sorted(effects.items()) if effect.get("moves") and effect["per_unit"]]

    def vectors(self, name: str | None) -> dict[str, np.ndarray]:
        """The model's own attribute vectors (shipped beside its weights), or none."""
        model = self.model(name)
        path = model_vectors_path(model)
        return load_vectors(path, model) if path.exists() else {}

    def model(self, name: str | None) -> TrainedModel:
        name = name or ("custom" if self.checkpoint else DEFAULT_MODEL)
        if name not in self.model_names():  # shipped names only: the client never names a path
            raise StudioError(f"unknown model {name!r}; choose from {', '.join(self.model_names())}")
        with self._lock:
            if name not in self._models:
                self._models[name] = TrainedModel.load(self.checkpoint if name == "custom" else name)
            return self._models[name]

    # --- inputs ---
    def examples(self) -> dict[str, bytes]:
        if self._examples is None:
            found = {f"example {p.stem}": p.read_bytes() for p in example_melodies() + example_melodies(long=True)}
            path = folk_corpus_dir() / "oneills1850" / "0001-0050.abc"
            if path.exists():
                header, tunes = split_abc_tunes(path.read_text("latin-1"))
                for tune in tunes[:FOLK_EXAMPLES]:
                    title = next((line[2:].strip() for line in tune.splitlines() if line.startswith("T:")), "tune")
                    try:
                        found[f"folk: {title}"] = abc_to_midi((header + tune).encode("latin-1"), title)
                    except StudioError:
                        continue
            self._examples = {**found, **drum_examples()}
        return self._examples

    def example_names(self, kind: str | None = None) -> list[str]:
        """Every example, or those for drum models (kind "drums") or for melody models (kind "melody")."""
        names = list(self.examples())
        if kind is None:
            return names
        return [n for n in names if n.startswith("beat: ") == (kind == "drums")]

    def melody(self, data: bytes | None, name: str, example: str | None, model: TrainedModel) -> np.ndarray:
        """The windows of an upload (MIDI or ABC) or of a named example."""
        return self.rows(data, name, example, model).windows

    def rows(self, data: bytes | None, name: str, example: str | None, model: TrainedModel, any_notes: bool = False):
        """The rows of an upload (MIDI or ABC) or of a named example for the model (its controls left to the
        request), one window apart."""
        if not data:
            if not example:
                raise StudioError(f"{name}: choose a file or an example")
            if example not in self.examples():
                raise StudioError(f"unknown example {example!r}")
            data, name = self.examples()[example], example
        elif name.lower().endswith(".abc") or data.lstrip()[:2] in (b"X:", b"%a", b"%%"):
            data = abc_to_midi(data, name)
        encoding = output_only(model) if model.control_names else model.encoding
        try:
            return windows_from_midi_bytes(data, model.cfg.bars, name=name, encoding=encoding, any_notes=any_notes)
        except NoWindows as err:
            raise StudioError(str(err)) from None

    # --- operations ---
    def interpolate(self, a: bytes | None, a_name: str, b: bytes | None, b_name: str, steps: int = 5,
                    model_name: str | None = None, example_a: str | None = None, example_b: str | None = None,
                    temperature: float | None = None, seed: int = 0, chords: str | None = None,
                    bar_a: int = 0, bar_b: int = 0) -> dict:
        """`bar_a`, `bar_b`: where in each input the excerpt starts (its first window at or after that bar)."""
        if not 2 <= steps <= MAX_STEPS:
            raise StudioError(f"steps must be in 2..{MAX_STEPS}")
        model = self.model(model_name)
        temperature = model.temperature(temperature)  # a 16-bar model decodes at 0.5 unless told otherwise
        check_randomness(temperature, seed)
        self._not_groove(model, "interpolate")
        found = [self.from_bar(self.rows(data, name, example, model), bar, label, model.cfg.bars)
                 for data, name, example, bar, label in ((a, a_name, example_a, bar_a, "A"),
                                                         (b, b_name, example_b, bar_b, "B"))]
        (wa, first_a, total_a), (wb, first_b, total_b) = found
        paired = min(len(wa), len(wb), 4)  # four windows at most: a page plays seconds, not whole tunes
        under, _ = progression_or_none(model, chords, paired)  # a chord model: every step over the progression
        path = model.interpolate(wa[:paired], wb[:paired], steps, temperature, seed, under, under, under)
        bar = model.cfg.steps_per_bar
        span = paired * model.cfg.bars
        cut = [f"{label}: bars {first} to {first + span - 1} of its {total} bars"
               for label, first, total in (("A", first_a, total_a), ("B", first_b, total_b)) if total > span]
        return {
            "model": model_name or ("custom" if self.checkpoint else DEFAULT_MODEL),
            "bars": model.cfg.bars * paired,
            "notes": cut,  # what the page plays of each input, when it is not the whole of it
            "steps": [{"notes": notes_json(model, path[i]), "midi": b64_midi(model, path[i], chords=under)} for i in range(steps)],
            "inputs": [{"notes": notes_json(model, wa[:paired])}, {"notes": notes_json(model, wb[:paired])}],
            "chords": [] if under is None else chord_notes_json(under),
            "midi": b64_midi(model, path.reshape(steps, -1), gap_steps=bar,
                             chords=None if under is None else np.tile(under.reshape(-1), (steps, 1))),
        }

    @staticmethod
    def from_bar(found, bar: int, label: str, window_bars: int) -> tuple[np.ndarray, int, int]:
        """(the windows from the first one that starts at or after `bar`, the bar it starts at, the input's bars)."""
        starts = found.origins[:, 3]
        total = int(starts.max()) + window_bars if len(starts) else 0
        later = np.flatnonzero(starts >= bar)
        if bar < 0 or not len(later):
            raise StudioError(f"{label}: no window starts at or after bar {bar} (its windows start at bars "
                              f"{', '.join(map(str, starts[:12].tolist()))}{', ...' if len(starts) > 12 else ''})")
        return found.windows[later[0]:], int(starts[later[0]]), total

    def sample(self, n: int = 4, temperature: float = 0.5, model_name: str | None = None, seed: int = 0,
               chords: str | None = None) -> dict:
        if not 1 <= n <= MAX_SAMPLES:
            raise StudioError(f"n must be in 1..{MAX_SAMPLES}")
        check_randomness(temperature, seed)
        model = self.model(model_name)
        self._not_groove(model, "sample")
        under, bars = progression_or_none(model, chords, None)
        if under is None:
            windows = model.sample(n, temperature, seed)
            return {"samples": [{"notes": notes_json(model, w), "midi": b64_midi(model, w)} for w in windows],
                    "midi": b64_midi(model, windows, gap_steps=model.cfg.steps_per_bar)}
        from musicae.music.inference.commands import progression_melody

        generator = torch.Generator().manual_seed(seed)
        melodies = np.stack([progression_melody(model, under, bars, temperature, generator)[model.output_names[0]][0]
                              for _ in range(n)])
        steps = under.reshape(-1)[: melodies.shape[1]]
        return {"samples": [{"notes": notes_json(model, m[None]), "midi": b64_midi(model, m[None], chords=steps[None])}
                            for m in melodies],
                "chords": chord_notes_json(steps[None]),
                "midi": b64_midi(model, melodies, gap_steps=model.cfg.steps_per_bar, chords=np.tile(steps, (n, 1)))}

    @staticmethod
    def _not_groove(model: TrainedModel, what: str) -> None:
        job = job_of(model.encoding)
        if job is not None:
            raise StudioError(f"{model.cfg.name} is a GrooVAE model: it does one job ({job}, in its own panel); "
                              f"pick a drum model such as drums_2bar to {what} beats")

    def groove(self, a: bytes | None, a_name: str, example: str | None = None, model_name: str | None = None,
               temperature: float = 0.0, seed: int = 0) -> dict:
        """Humanize or drumify (the model's job) the first windows of an upload or example."""
        check_randomness(temperature, seed)
        model = self.model(model_name)
        job = job_of(model.encoding)
        if job is None:
            raise StudioError(f"{model_name or 'this model'} is not a GrooVAE model: pick groovae_humanize or "
                              f"groovae_tap to humanize or drumify")
        found = self.rows(a, a_name, example, model, any_notes=job == "drumify")
        inputs, performance = perform(model, found.rows.take(slice(0, 4)), temperature, seed)
        return {"job": job, "input": {"notes": notes_json(model, inputs)},
                "output": {"notes": notes_json(model, performance), "midi": b64_midi(model, performance)}}

    def similar(self, a: bytes | None, a_name: str, example: str | None = None, n: int = 4,
                similarity: float = 0.8, model_name: str | None = None, seed: int = 0) -> dict:
        if not 1 <= n <= MAX_SAMPLES or not 0 <= similarity <= 1:
            raise StudioError(f"n must be in 1..{MAX_SAMPLES} and similarity in [0, 1]")
        check_randomness(0.0, seed)
        model = self.model(model_name)
        window = self.melody(a, a_name, example, model)[0]
        variations = similar(model, window, n, similarity, model.default_temperature, seed=seed)
        return {"samples": [{"notes": notes_json(model, w), "midi": b64_midi(model, w)} for w in variations],
                "input": {"notes": notes_json(model, window)},
                "midi": b64_midi(model, variations, gap_steps=model.cfg.steps_per_bar)}


def transform_melody(studio: Studio, a: bytes | None, a_name: str, example: str | None, amounts: dict[str, float],
                     model_name: str | None = None) -> dict:
    """Add attribute vectors (amounts in units of the vector, -4..4) to the first windows of a melody."""
    vectors = studio.vectors(model_name)
    if not vectors:
        raise StudioError("this model has no attribute vectors (compute them with `musicae attributes`)")
    unknown = [name for name in amounts if name not in vectors]
    if unknown:
        raise StudioError(f"unknown attribute {unknown[0]!r}; choose from {', '.join(sorted(vectors))}")
    if any(not -4 <= amount <= 4 for amount in amounts.values()):
        raise StudioError("amounts must be in -4..4")
    model = studio.model(model_name)
    windows = studio.melody(a, a_name, example, model)[:4]
    temperature = model.default_temperature  # 0.5 for a 16-bar model, as the commands
    changed = transform(model, windows, vectors, amounts, temperature)
    plain = transform(model, windows, vectors, {}, temperature)
    return {"input": {"notes": notes_json(model, windows)}, "reconstruction": {"notes": notes_json(model, plain)},
            "transformed": {"notes": notes_json(model, changed), "midi": b64_midi(model, changed)}}


def static_dir() -> Path:
    return Path(__file__).parent / "static"
