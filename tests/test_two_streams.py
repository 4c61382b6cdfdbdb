"""The stream contract with an encoding that only this test defines: a melody, and a bass line that follows
from it (each bar, the pitch class of the bar's first melody note, two octaves down). A tiny model learns both
streams through the ordinary prepare -> train -> sample -> MIDI path, and the package names neither."""

import json

import numpy as np
import pretty_midi
import pytest

from musicae.cli import main
from musicae.music.encodings import ENCODINGS
from musicae.music.encodings.base import Extraction, Note, Rows, SequenceEncoding, Stream
from musicae.music.encodings.melody import MELODY

FIRST_PITCH, LOWEST_MIDI = 2, 21  # the melody's classes: 2 is MIDI pitch 21
BASS_CLASSES = 2 + 12  # hold, off, then a pitch class
BASS_OCTAVE = 36


def bass_of(notes: np.ndarray, steps_per_bar: int = 16) -> np.ndarray:
    """(N, T) melody classes -> (N, T) bass classes: each bar, the first melody note's pitch class."""
    bass = np.zeros_like(notes)
    for row, window in enumerate(notes):
        for start in range(0, window.shape[0], steps_per_bar):
            onsets = window[start:start + steps_per_bar]
            played = onsets[onsets >= FIRST_PITCH]
            if len(played):
                bass[row, start] = 2 + (int(played[0]) - FIRST_PITCH + LOWEST_MIDI) % 12
    return bass


class MelodyBass(SequenceEncoding):
    name = "test_melody_bass"
    streams = (Stream("notes", classes=90, onset_from=FIRST_PITCH), Stream("bass", classes=BASS_CLASSES, onset_from=2))
    steps_per_bar = 16
    bass_part = ("bass", 33, False)

    def extract(self, segments, options, source: str = "") -> Extraction:
        found = MELODY.extract(segments, options, source)
        notes = found.rows["notes"]
        rows = Rows(notes=notes, bass=bass_of(notes).astype(np.uint8))
        return Extraction(rows, found.origins, found.reason, found.detail, found.counts)

    def to_notes(self, row) -> list[Note]:
        notes = MELODY.to_notes({"notes": row["notes"]})
        bass = np.asarray(row["bass"])
        starts = np.flatnonzero(bass >= 2)
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(bass)
            notes.append(Note(BASS_OCTAVE + int(bass[start]) - 2, int(start), int(end), 70, *self.bass_part))
        return notes

    def parts(self):
        return [MELODY.part, self.bass_part]


@pytest.fixture
def melody_bass(monkeypatch):
    """Registered for this test only (prepare and the model find encodings by name)."""
    encoding = MelodyBass()
    monkeypatch.setitem(ENCODINGS._items, encoding.name, encoding)
    return encoding


def test_a_two_stream_encoding_is_prepared_trained_sampled_and_played(melody_bass, folk_midi_dir, tmp_path, capsys,
                                                                      monkeypatch):
    from dataclasses import replace

    from musicae.music.models import configs

    data, run = tmp_path / "data", tmp_path / "run"
    assert main(["prepare", str(folk_midi_dir), "--encoding", melody_bass.name, "--out", str(data), "--workers", "1",
                 "--no-cache", "--valid-fraction", "0.3"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in stats["streams"]] == ["notes", "bass"]
    assert sorted(p.name for p in data.glob("train-*.npy")) == ["train-bass-00000.npy", "train-notes-00000.npy"]
    tiny = replace(configs.get_config("mel_2bar_tiny"), name="test_melody_bass_tiny", encoding=melody_bass.name)
    monkeypatch.setitem(configs.SEQUENCE_CONFIGS._items, tiny.name, tiny)
    assert main(["train", "--data", str(data), "--out", str(run), "--config", tiny.name, "--steps", "600", "--lr",
                 "0.005", "--eval-every", "0", "--checkpoint-every", "600", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", str(run), "--data", str(data)]) == 0
    figures = json.loads(capsys.readouterr().out)
    # both streams are scored; the bass follows the melody's first note, which the model reads from z and the
    # melody far better than a guess of the held-out windows' most common bass note (folk tunes dwell on the tonic)
    assert {"teacher_forced_accuracy_notes", "teacher_forced_accuracy_bass"} <= set(figures)
    held_out_bass = np.concatenate([np.load(p) for p in sorted(data.glob("valid-bass-*.npy"))]).ravel()
    onsets = held_out_bass[held_out_bass >= 2]
    most_common_share = np.bincount(onsets).max() / len(onsets)
    assert figures["onset_accuracy_bass"] > most_common_share + 0.1, (most_common_share, figures)
    assert main(["sample", "--checkpoint", str(run), "-n", "4", "--out", str(tmp_path / "s")]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    bass_notes = 0
    for path in files:  # a part with no note is not read back: a sample may have a silent bass
        parts = {i.name: i for i in pretty_midi.PrettyMIDI(path).instruments}
        assert set(parts) <= {"melody", "bass"} and parts["melody"].program == 0
        if "bass" in parts:
            assert parts["bass"].program == 33 and all(BASS_OCTAVE <= n.pitch < BASS_OCTAVE + 12 for n in parts["bass"].notes)
            bass_notes += len(parts["bass"].notes)
    assert bass_notes > 0  # the second stream is decoded and played
