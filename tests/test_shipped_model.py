"""The model that ships in the package, on the two held-out example melodies it never trained on."""

import json

import numpy as np
import pretty_midi

from musicae.cli import main
from musicae.music.generate import TrainedModel, example_melodies, melody_windows, shipped_model_dir


def test_shipped_model_is_small_and_loads_without_pickle():
    files = sorted(p.name for p in shipped_model_dir().iterdir())
    assert files == ["config.json", "model.safetensors"]
    assert sum(p.stat().st_size for p in shipped_model_dir().iterdir()) < 20e6
    model = TrainedModel.load()
    assert model.cfg.name == "mel_2bar_cpu" and model.cfg.steps == 32


def test_shipped_model_reconstructs_held_out_melodies():
    model = TrainedModel.load()
    for path in example_melodies():
        windows = melody_windows(path, 2)
        accuracy = float((model.reconstruct(windows) == windows).mean())
        assert accuracy > 0.8, (path, accuracy)


def test_readme_demo_interpolation(tmp_path, capsys):
    a, b = example_melodies()
    assert main(["interpolate", str(a), str(b), "--steps", "5", "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["files"]) == 5 and result["windows_per_step"] == 2
    for f in result["files"]:
        assert pretty_midi.PrettyMIDI(f).instruments[0].notes  # the trained model decodes real melodies
    assert (tmp_path / "path.png").exists() and (tmp_path / "path.wav").stat().st_size > 1000
    model = TrainedModel.load()
    wa, wb = melody_windows(a, 2), melody_windows(b, 2)
    path = model.interpolate(wa, wb, 5)
    np.testing.assert_array_equal(path[0], model.reconstruct(wa))
    np.testing.assert_array_equal(path[-1], model.reconstruct(wb))
    assert not np.array_equal(path[2], path[0]) and not np.array_equal(path[2], path[-1])
