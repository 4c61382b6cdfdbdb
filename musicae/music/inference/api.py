"""The Python API: MIDI in (a path, bytes, a pretty_midi.PrettyMIDI or a note-seq NoteSequence),
pretty_midi.PrettyMIDI out.

    from musicae.music.inference import api
    model = api.load()                                   # or "mel_2bar_folk_hikl", "drums_2bar", a run folder
    tune = api.reconstruct(model, "tune.mid")            # a PrettyMIDI at the input's tempo and meter
    path = api.interpolate(model, "a.mid", "b.mid", 5)   # 5 PrettyMIDIs, the inputs' reconstructions at the ends
    beats = api.sample(api.load("drums_2bar"), 4)
    z = api.encode(model, "tune.mid")                    # (windows, z_dim) posterior means

The commands use the same steps (inputs read as one track, windows played where they start); they add
files, pictures and sound.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from musicae.music.encodings.base import Extraction, Rows
from musicae.music.inference.commands import one_track, window_starts
from musicae.music.inference.conversions import (
    MidiFacts,
    midi_bytes,
    midi_facts,
    windows_from_midi_bytes,
)
from musicae.music.inference.trained_model import TrainedModel

MidiInput = str | Path | bytes
"""A MIDI file's path, its bytes, or a pretty_midi.PrettyMIDI."""


def load(checkpoint: str | Path | None = None, job: str | None = None, device: str = "cpu") -> TrainedModel:
    """A shipped model by name, a checkpoint or run folder, or (None) the default model of `job`."""
    return TrainedModel.load(checkpoint, device=device, job=job)


def _bytes(midi) -> tuple[bytes, str]:
    if isinstance(midi, bytes):
        return midi, "<MIDI bytes>"
    if isinstance(midi, (str, Path)):
        return Path(midi).read_bytes(), str(midi)
    if type(midi).__name__ == "NoteSequence":  # note-seq's protobuf (Magenta's own format)
        from note_seq import note_sequence_to_pretty_midi

        midi = note_sequence_to_pretty_midi(midi)
    if hasattr(midi, "write"):  # a pretty_midi.PrettyMIDI
        buffer = io.BytesIO()
        midi.write(buffer)
        return buffer.getvalue(), "<PrettyMIDI>"
    raise TypeError(f"expected a MIDI path, bytes, a pretty_midi.PrettyMIDI or a NoteSequence, got "
                    f"{type(midi).__name__}")


def read(model: TrainedModel, midi, track: int | str | None = None) -> Extraction:
    """The windows of one track of `midi` (`track`: an index or a name; default the melody, as the commands pick
    it), one window apart, as the model reads them; `.rows`, and `.origins` (segment, track, start step,
    start bar)."""
    return _read(model, midi, track)[0]


def _read(model: TrainedModel, midi, track: int | str | None) -> tuple[Extraction, MidiFacts]:
    data, name = _bytes(midi)
    found = windows_from_midi_bytes(data, model.cfg.bars, None, name, model.encoding)
    facts = midi_facts(data)
    return one_track(found, track, name, names=facts.track_names), facts


def to_midi(model: TrainedModel, rows: Rows, qpm: float | None = None, program: int | None = None,
            meter: tuple[int, int] = (4, 4), starts=None):
    """Rows played one after another (or each at its step of `starts`, as in the input) as a
    pretty_midi.PrettyMIDI."""
    import pretty_midi

    data = midi_bytes(Rows(rows), encoding=model.encoding, qpm=qpm, program=program, meter=meter, starts=starts)
    return pretty_midi.PrettyMIDI(io.BytesIO(data))


def sample(model: TrainedModel, n: int = 4, temperature: float = 0.5, seed: int = 0, qpm: float | None = None,
           program: int | None = None) -> list:
    """n PrettyMIDIs drawn from the model's prior (its personal prior, for a personal model)."""
    rows = model.sample_rows(n, temperature, seed)
    return [to_midi(model, rows.take(i), qpm, program) for i in range(n)]


def reconstruct(model: TrainedModel, midi, temperature: float | None = None, seed: int = 0,
                track: int | str | None = None, program: int | None = None):
    """The whole of one track encoded and decoded window by window, at the input's tempo and meter."""
    found, facts = _read(model, midi, track)
    rebuilt = model.reconstruct_rows(found.rows, model.temperature(temperature), seed)
    return to_midi(model, rebuilt, facts.qpm, program, facts.meter, window_starts(found))


def interpolate(model: TrainedModel, a, b, steps: int = 5, temperature: float | None = None, seed: int = 0,
                track: int | str | None = None) -> list:
    """`steps` points of the slerp path between a and b (both ends included), each a PrettyMIDI of as many
    windows as the shorter input has: melodies of different lengths are paired window by window."""
    (found_a, facts_a), rows_b = _read(model, a, track), read(model, b, track).rows
    rows_a = found_a.rows
    paired = min(len(rows_a), len(rows_b))
    path = model.interpolate_rows(rows_a.take(slice(0, paired)), rows_b.take(slice(0, paired)), steps,
                                  model.temperature(temperature), seed)
    return [to_midi(model, p, facts_a.qpm) for p in path]


def encode(model: TrainedModel, midi, track: int | str | None = None) -> np.ndarray:
    """(windows, z_dim) posterior means of one track's windows."""
    return model.encode(read(model, midi, track).rows)
