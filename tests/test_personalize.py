"""`musicae personalize` (MidiMe): a personal prior over the shipped model's z, from real folk tunes; the
result loads as any model, samples from the tunes' region of z, and bad input gets one line."""

import json
import shutil

import numpy as np
import pretty_midi
import pytest
import torch
from cli_helpers import run_cli

from musicae.cli import main
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent.personal import PersonalizeOptions, load_base, personal_model, read_tunes

run = run_cli


@pytest.fixture(scope="module")
def tunes_dir(folk_midi_dir, tmp_path_factory):
    """A user's folder: 12 real folk tunes (MIDI made from music21's ABC)."""
    folder = tmp_path_factory.mktemp("my_tunes")
    for path in sorted(folk_midi_dir.glob("*.mid"))[:12]:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def personal_dir(tunes_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("personal") / "mine"
    assert main(["personalize", str(tunes_dir), "--out", str(out), "--steps", "300", "--no-progress"]) == 0
    return out


def nearest_distance(z: np.ndarray, to: np.ndarray) -> float:
    """Mean distance from each row of z to its nearest row of `to`."""
    return float(np.sqrt(((z[:, None] - to[None]) ** 2).sum(-1)).min(1).mean())


def test_a_personal_model_samples_near_its_tunes(personal_dir, tunes_dir):
    made = json.loads((personal_dir / "personal.json").read_text())
    assert made["base"] == "mel_2bar_folk" and made["tunes"] >= 8 and made["windows"] >= 16
    assert (personal_dir / "samples.png").read_bytes()[:4] == b"\x89PNG"
    personal = TrainedModel.load(personal_dir)  # checksummed like any checkpoint
    base = TrainedModel.load("mel_2bar_folk")
    assert personal.cfg.prior_dim == PersonalizeOptions().latent_dim
    tunes, _ = read_tunes([tunes_dir], base)
    from musicae.music.encodings.base import Rows

    z_tunes = base.encode(Rows.concat([r for _, r in tunes]))
    generator = torch.Generator().manual_seed(1)
    mine, anyone = personal.model.prior_z(200, generator).numpy(), base.model.prior_z(200, generator).numpy()
    # the learned prior draws codes near the tunes' codes; the standard normal prior draws them anywhere
    assert nearest_distance(mine, z_tunes) < 0.8 * nearest_distance(anyone, z_tunes)
    # encoding is the base model's (personalize leaves its weights alone): the tunes come back as well
    rows = Rows.concat([r for _, r in tunes[:3]])
    np.testing.assert_array_equal(personal.reconstruct_rows(rows)["notes"], base.reconstruct_rows(rows)["notes"])


def test_a_personal_model_works_in_the_commands(personal_dir, tunes_dir, tmp_path, capsys):
    code, out, _ = run(capsys, "sample", "--checkpoint", personal_dir, "-n", 3, "--out", tmp_path / "s")
    assert code == 0
    result = json.loads(out)
    assert len(result["files"]) == 3 and result["model"] == str(personal_dir)
    assert any(pretty_midi.PrettyMIDI(f).instruments[0].notes for f in result["files"])
    a, b = sorted(tunes_dir.glob("*.mid"))[:2]
    code, out, _ = run(capsys, "interpolate", a, b, "--checkpoint", personal_dir, "--out", tmp_path / "i", "--no-wav")
    assert code == 0 and len(json.loads(out)["files"]) == 5
    # the base's attribute vectors come along (its z is unchanged): transform works on the personal model
    code, out, err = run(capsys, "transform", a, "--checkpoint", personal_dir, "--attribute", "note_density",
                         "--amount", "1", "--out", tmp_path / "t", "--no-wav")
    assert code == 0, err


def test_fine_tune_changes_the_weights_and_lowers_the_loss_on_the_tunes(tunes_dir):
    base = load_base(None)
    tunes, _ = read_tunes([tunes_dir], base)
    model, made = personal_model(base, tunes[:6], PersonalizeOptions(fine_tune=30, steps=50))
    assert made["fine_tune_loss"]["after"] < made["fine_tune_loss"]["before"]
    changed = [k for k, v in base.model.state_dict().items() if not torch.equal(v, model.model.state_dict()[k])]
    assert changed  # the whole model trained, not only the prior
    assert any(k.startswith("prior.") for k in model.model.state_dict())
    fresh = load_base(None).model.state_dict()  # the base model in memory was copied, not trained
    assert all(torch.equal(v, fresh[k]) for k, v in base.model.state_dict().items())


def test_bad_input_gets_one_line(tunes_dir, tmp_path, capsys):
    one = tmp_path / "one"
    one.mkdir()
    short = pretty_midi.PrettyMIDI()  # a 4-bar tune: 3 windows of 2 bars
    voice = pretty_midi.Instrument(0)
    voice.notes = [pretty_midi.Note(90, 60 + (i % 5), i * 0.5, i * 0.5 + 0.45) for i in range(16)]
    short.instruments.append(voice)
    short.write(str(one / "tune.mid"))
    code, _, err = run(capsys, "personalize", one, "--out", tmp_path / "m1", "--no-progress")
    assert code != 0 and "too few tunes" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m1").exists()
    # a drum file: no melody; it is named with its reason
    drums = tmp_path / "drums"
    drums.mkdir()
    midi = pretty_midi.PrettyMIDI()
    kit = pretty_midi.Instrument(0, is_drum=True)
    kit.notes = [pretty_midi.Note(100, 36 + (i % 3) * 2, i * 0.25, i * 0.25 + 0.1) for i in range(64)]
    midi.instruments.append(kit)
    midi.write(str(drums / "beat.mid"))
    code, _, err = run(capsys, "personalize", drums, "--out", tmp_path / "m2", "--no-progress")
    assert code != 0 and "beat.mid" in err and "too few tunes" in err
    # a GrooVAE base model cannot be personalized
    code, _, err = run(capsys, "personalize", tunes_dir, "--checkpoint", "groovae_tap", "--out", tmp_path / "m3")
    assert code != 0 and "GrooVAE" in err
    # --out holding the user's own files is refused, and they are untouched
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    code, _, err = run(capsys, "personalize", tunes_dir, "--out", mine, "--no-progress")
    assert code != 0 and "did not write" in err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    code, _, err = run(capsys, "personalize", tunes_dir, "--out", tmp_path / "m4", "--latent-dim", "0")
    assert code != 0 and "--latent-dim 0" in err


def test_personalize_replaces_its_own_output(personal_dir, tunes_dir, tmp_path, capsys):
    out = tmp_path / "again"
    shutil.copytree(personal_dir, out)
    code, out_json, _ = run(capsys, "personalize", tunes_dir, "--out", out, "--steps", "20", "--seed", "3",
                            "--no-progress")
    assert code == 0
    assert json.loads((out / "personal.json").read_text())["options"]["seed"] == 3
    TrainedModel.load(out)
