"""Round 3's hostile cases (issue 26): each test failed on the code before its fix."""

import json
import os

import pytest

from musicae.autoencoding.checkpoint import save_model
from musicae.autoencoding.runs import model_record
from musicae.cli import main
from musicae.music.inference.trained_model import example_melodies
from musicae.music.models.configs import get_config
from musicae.music.models.sequence_vae import SequenceVAE

A, B = example_melodies()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "model"
    cfg = get_config("mel_2bar_tiny")
    save_model(path, SequenceVAE(cfg), model_record(cfg))
    return path


def test_outputs_never_write_through_a_link(tiny, tmp_path, capsys):
    precious = tmp_path / "precious.txt"
    precious.write_text("the user's own words")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("step_00.mid", "path.png", "samples.png"):
        os.symlink(precious, out / name)
    os.symlink(precious, tmp_path / "z.npy")
    commands = (["interpolate", A, B, "--steps", "3", "--no-wav", "--out", out],
                ["sample", "-n", "2", "--out", out], ["encode", A, "--out", tmp_path / "z.npy"])
    for command in commands:
        assert main([str(c) for c in command] + ["--checkpoint", str(tiny)]) == 0, capsys.readouterr().err
    assert precious.read_text() == "the user's own words"
    for name in ("step_00.mid", "path.png", "samples.png"):
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0
    assert not (tmp_path / "z.npy").is_symlink()


def test_encode_keeps_a_json_file_it_did_not_write(tiny, tmp_path, capsys):
    mine = tmp_path / "notes.json"
    mine.write_text('{"my": "notes"}')
    code = main(["encode", str(A), "--out", str(tmp_path / "notes.npy"), "--checkpoint", str(tiny)])
    err = capsys.readouterr().err
    assert code == 2 and "notes.json beside it is not one that encode wrote" in err and err.count("\n") == 1
    assert mine.read_text() == '{"my": "notes"}' and not (tmp_path / "notes.npy").exists()
    assert main(["encode", str(A), "--out", str(tmp_path / "z.npy"), "--checkpoint", str(tiny)]) == 0
    assert main(["encode", str(B), "--out", str(tmp_path / "z.npy"), "--checkpoint", str(tiny)]) == 0  # its own: replaced
    assert json.loads((tmp_path / "z.json").read_text())["windows"][0]["source"] == str(B)
