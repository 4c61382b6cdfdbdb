import numpy as np
import pretty_midi
import torch

from musicae.music.encodings.melody import (
    NOTE_OFF,
    NUM_CLASSES,
    transpose,
    window_to_notes,
    windows_to_midi,
    windows_to_note_sequence,
)
from musicae.music.encodings.melody_extraction import windows_from_midi


def test_class_layout():
    assert NUM_CLASSES == 90
    window = [21 - 19, 0, 1, 0, 108 - 19, 0, 0, 0]
    assert window_to_notes(window) == [(21, 0, 2), (108, 4, 8)]


def test_transpose_drops_notes_that_leave_the_range():
    windows = torch.tensor([[2, 0, 1, 50], [89, 0, 0, 40]])
    out = transpose(windows, torch.tensor([-1, 3]))
    assert out.tolist() == [[NOTE_OFF, 0, 1, 49], [NOTE_OFF, 0, 0, 43]]


def test_note_sequence_and_midi_decoding(tmp_path):
    window = np.array([41, 0, 0, 0, 43, 0, 1, 0] + [0] * 24, np.uint8)  # 60 for 4 steps, 62 for 2
    ns = windows_to_note_sequence(window, qpm=120, velocity=80)
    assert [(n.pitch, n.start_time, n.end_time, n.velocity) for n in ns.notes] == [(60, 0.0, 0.5, 80), (62, 0.5, 0.75, 80)]
    path = windows_to_midi(window, tmp_path / "w.mid")
    midi = pretty_midi.PrettyMIDI(str(path))
    assert midi.estimate_tempo() > 0 and abs(midi.get_tempo_changes()[1][0] - 120) < 1e-6
    assert [(n.pitch, round(n.start, 3), round(n.end, 3)) for n in midi.instruments[0].notes] == [(60, 0.0, 0.5), (62, 0.5, 0.75)]


def _canonical(window):
    """A note-off before the first note is silence either way; MIDI cannot tell them apart."""
    window = window.copy()
    first_note = int(np.argmax(window >= 2)) if (window >= 2).any() else len(window)
    window[:first_note][window[:first_note] == NOTE_OFF] = 0
    return window


def test_round_trip_windows_midi_windows_on_real_melodies(tmp_path, folk_windows):
    windows = folk_windows[:150]
    path = windows_to_midi(windows, tmp_path / "all.mid", gap_steps=16)  # a bar of silence between windows
    back = windows_from_midi(path)
    expected = {_canonical(w).tobytes() for w in windows}
    assert {w.tobytes() for w in back} == expected
    assert len(back) == len(expected)
