"""The Python API takes MIDI as a path, bytes or a PrettyMIDI and gives PrettyMIDI back."""

import numpy as np
import pretty_midi
import pytest

from musicae.music.inference import api
from musicae.music.inference.trained_model import example_melodies


@pytest.fixture(scope="module")
def model():
    return api.load("mel_2bar_folk")


def test_reconstruct_takes_a_path_bytes_or_a_prettymidi(model):
    path = example_melodies()[0]
    from_path = api.reconstruct(model, path)
    assert isinstance(from_path, pretty_midi.PrettyMIDI) and from_path.instruments[0].notes
    same = [api.reconstruct(model, path.read_bytes()), api.reconstruct(model, pretty_midi.PrettyMIDI(str(path)))]
    note_seq = pytest.importorskip("note_seq")
    same.append(api.reconstruct(model, note_seq.midi_file_to_note_sequence(str(path))))
    for other in same:
        assert [(n.pitch, n.start) for n in other.instruments[0].notes] == \
               [(n.pitch, n.start) for n in from_path.instruments[0].notes]
    original = pretty_midi.PrettyMIDI(str(path))
    assert abs(from_path.get_end_time() - original.get_end_time()) < 2.1  # as long as the input, not doubled


def test_interpolate_pairs_melodies_of_different_lengths(model):
    short, long = example_melodies()[0], example_melodies(long=True)[0]
    path = api.interpolate(model, short, long, steps=4)
    assert len(path) == 4 and all(isinstance(p, pretty_midi.PrettyMIDI) for p in path)
    windows = len(api.read(model, short).rows)
    assert all(abs(p.get_end_time() - windows * 4.0) < 4.1 for p in path)  # the shorter input's windows, 4 s each
    # the first point is A's reconstruction
    start = api.to_midi(model, model.reconstruct_rows(api.read(model, short).rows))
    assert [n.pitch for n in path[0].instruments[0].notes] == [n.pitch for n in start.instruments[0].notes]


def test_encode_and_sample(model):
    z = api.encode(model, example_melodies()[1])
    assert z.shape == (len(api.read(model, example_melodies()[1]).rows), model.cfg.z_dim) and np.isfinite(z).all()
    beats = api.sample(api.load("drums_2bar"), 2, seed=3)
    assert len(beats) == 2 and all(i.is_drum for b in beats for i in b.instruments)
    tunes = api.sample(model, 2, qpm=90, program=73)
    assert tunes[0].instruments[0].program == 73 and abs(tunes[0].get_tempo_changes()[1][0] - 90) < 1e-3
    with pytest.raises(TypeError, match="expected a MIDI path"):
        api.encode(model, 42)


def test_the_notebook_example_runs(tmp_path, monkeypatch, capsys):
    import runpy
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "docs" / "example_api.py"
    monkeypatch.setattr(sys, "argv", [str(example), str(tmp_path)])
    runpy.run_path(str(example), run_name="__main__")
    assert len(list(tmp_path.glob("path_*.mid"))) == 7 and len(list(tmp_path.glob("sample_*.mid"))) == 4
    assert "z: (" in capsys.readouterr().out


def test_the_api_reference_is_current():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "api_reference.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_api_is_reachable_from_the_package_without_loading_torch_first():
    import subprocess
    import sys

    code = ("import sys, musicae; assert 'torch' not in sys.modules; "
            "assert set(musicae.API) <= set(dir(musicae)); "
            "model = musicae.load('mel_2bar_folk'); tunes = musicae.sample(model, 2, seed=3); "
            "print(len(tunes), sum(len(t.instruments[0].notes) for t in tunes)); musicae.nothing_here")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    count, notes = map(int, done.stdout.split())
    assert count == 2 and notes > 0, done.stderr
    assert "AttributeError: module 'musicae' has no attribute 'nothing_here'" in done.stderr
