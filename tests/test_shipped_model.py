"""The model that ships in the package, on the two held-out example melodies it never trained on."""

import json

import numpy as np
import pretty_midi
import torch

from musicae.autoencoding.checkpoint import checkpoint_problem
from musicae.cli import main
from musicae.music.encodings.melody import FIRST_PITCH_CLASS
from musicae.music.inference.shipped import assets_dir, model_card, shipped_names
from musicae.music.inference.trained_model import (
    TrainedModel,
    example_melodies,
    melody_windows,
    shipped_model_dir,
)
from musicae.music.latent.attributes import bar_repetition
from musicae.music.latent.moves import load_vectors, model_vectors_path
from tests.cli_helpers import one_output

SIXTEEN_BAR_MIN_NOTES = 30  # per 16-bar step of the interpolation below; it gave 97, 59 and 42 notes
SIXTEEN_BAR_MIN_REPETITION = 0.12  # share of bars repeating an earlier one (100 samples: 0.20; held-out tunes 0.35)
SIXTEEN_BAR_MIN_ONSET_ACCURACY = 0.3  # below (z = posterior mean): 0.61 and 0.40; from-scratch runs 0.11 to 0.19


def test_shipped_model_is_small_and_loads_without_pickle():
    files = sorted(p.name for p in shipped_model_dir().iterdir())
    assert files == ["attributes.json", "card.json", "config.json", "files.json", "model.safetensors"]
    model = TrainedModel.load()
    assert model.cfg.name == "mel_2bar_cpu" and model.cfg.steps == 32


def test_every_shipped_model_loads_by_name_and_has_its_figures(capsys):
    names = shipped_names()
    assert "mel_2bar_folk" in names
    total = sum(p.stat().st_size for p in assets_dir().rglob("*") if p.is_file())
    assert total < 80e6  # issue 23: every shipped asset together under 80 MB
    for name in names:
        model = TrainedModel.load(name)
        assert checkpoint_problem(shipped_model_dir(name), full=True) is None
        card = model_card(name)
        assert card["bars"] == model.cfg.bars and card["parameters"] == sum(
            p.numel() for p in model.model.parameters())
        assert 0 < card["figures"]["sampled_accuracy"] < card["figures"]["teacher_forced_accuracy"] <= 1
        if model.encoding.lanes or model.encoding.instruments:  # drums, several instruments: no melody attributes
            continue
        vectors = load_vectors(model_vectors_path(model), model)  # every melody model ships its vectors
        assert {"note_density", "average_interval", "in_scale", "syncopation_8th"} <= set(vectors)
    assert main(["models", "--json"]) == 0
    assert [c["name"] for c in json.loads(capsys.readouterr().out)] == names
    assert main(["models"]) == 0
    table = capsys.readouterr().out
    assert all(name in table for name in names)


def test_a_shipped_name_works_wherever_a_checkpoint_goes(tmp_path, capsys):
    a, _ = example_melodies()
    assert main(["reconstruct", str(a), "--checkpoint", "mel_2bar_folk", "--out", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] > 0.8
    assert main(["sample", "--checkpoint", "mel_2bar_nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "mel_2bar_nope" in err and "mel_2bar_folk" in err


def test_the_low_kl_side_of_a_pair_answers_to_magentas_plain_name(tmp_path, capsys):
    """drums_2bar_lokl is drums_2bar (beside drums_2bar_hikl), as Magenta named its pairs; the JSON names the model."""
    assert main(["sample", "--checkpoint", "drums_2bar_lokl", "-n", "1", "--no-wav", "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "drums_2bar"
    assert all(i.is_drum for i in pretty_midi.PrettyMIDI(result["files"][0]).instruments)
    assert main(["models", "--json"]) == 0
    cards = {card["name"]: card for card in json.loads(capsys.readouterr().out)}
    assert cards["drums_2bar"]["also_named"] == ["drums_2bar_lokl"] and cards["drums_2bar_hikl"]["also_named"] == []


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
    assert one_output(tmp_path, "path.png").exists() and one_output(tmp_path, "path.wav").stat().st_size > 1000
    model = TrainedModel.load()
    wa, wb = melody_windows(a, 2), melody_windows(b, 2)
    path = model.interpolate(wa, wb, 5)
    np.testing.assert_array_equal(path[0], model.reconstruct(wa))
    np.testing.assert_array_equal(path[-1], model.reconstruct(wb))
    assert not np.array_equal(path[2], path[0]) and not np.array_equal(path[2], path[-1])


def test_shipped_language_model_loads_by_its_kind_alone_and_prefers_real_melodies(folk_windows):
    import subprocess
    import sys

    from musicae.music.models.language_model import load_lm, shipped_lm_dir

    code = ("from musicae.autoencoding.runs import load_model; "
            f"model, config = load_model({str(shipped_lm_dir())!r}); print(type(model).__name__)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "MelodyLM"  # the checkpoint's kind is enough: nothing had to import musicae.music.models.language_model first
    lm = load_lm()
    real = folk_windows[:200]
    shuffled = np.random.default_rng(0).permuted(real, axis=1)  # same notes, order destroyed
    assert lm.log_likelihood(real).mean() > lm.log_likelihood(shuffled).mean() + 0.3


def test_the_shipped_chord_model_follows_the_chords_it_is_given():
    from musicae.music.encodings.melody_chords import chord_tone_ratio
    from musicae.music.inference.commands import progression

    model = TrainedModel.load("mel_2bar_chords")
    chords, _ = progression(model, "C G Am F Dm G C C")  # (4, 32)
    rng = np.random.default_rng(0)
    z = rng.standard_normal((64, model.cfg.z_dim)).astype(np.float32)
    over = np.tile(chords, (16, 1))
    followed = model.decode(z, 0.5, 0, over)
    moved = np.tile(progression(model, "Eb Bb Cm Ab Fm Bb Eb Eb")[0], (16, 1))  # a progression far from it
    own, other = chord_tone_ratio(followed, over), chord_tone_ratio(followed, moved)
    # real melodies sit on their chords about 0.63 of the time, melodies that ignore them about 0.25
    assert own > 0.55 and own > other + 0.25, (own, other)
    # the same latent codes over the other progression give melodies that follow that one
    assert chord_tone_ratio(model.decode(z, 0.5, 0, moved), moved) > 0.55


def test_the_shipped_sixteen_bar_model_interpolates_whole_tunes(tmp_path, capsys):
    """The README's 16-bar demo: every step a 16-bar tune with many notes and pitches, not a held note."""
    a, b = example_melodies(long=True)
    assert main(["interpolate", str(a), str(b), "--checkpoint", "mel_16bar_folk", "--steps", "3", "--temperature",
                 "0.5", "--no-wav", "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["files"]) == 3 and result["windows_per_step"] == 1
    for f in result["files"]:
        notes = pretty_midi.PrettyMIDI(f).instruments[0].notes
        assert len(notes) >= SIXTEEN_BAR_MIN_NOTES and len({n.pitch for n in notes}) >= 4, (f, len(notes))
        assert 28 < max(n.end for n in notes) <= 32 + 1e-6  # 16 bars at 2 s a bar
    model = TrainedModel.load("mel_16bar_folk")
    assert model.cfg.bars == 16 and model.cfg.decoder == "hierarchical"
    for path in (a, b):  # held-out tunes: their pitches come back from z far more often than a guess in key
        tokens = torch.as_tensor(melody_windows(path, 16)).long()
        predicted = model.model.teacher_forced_logits(model.model.encode(tokens).mode(), tokens).argmax(-1)
        onsets = tokens >= FIRST_PITCH_CLASS  # hold steps alone would give 0.55 and 0.78 to a model that never plays
        accuracy = float((predicted == tokens)[onsets].float().mean())
        assert accuracy > SIXTEEN_BAR_MIN_ONSET_ACCURACY, (path, accuracy)


def test_the_shipped_sixteen_bar_model_samples_tunes_with_repeated_bars():
    """A tune's form: held-out folk tunes repeat about a third of their bars. Coupled segment draws (every
    command's default) let the conductor's repeats be heard; independent draws at 0.5 repeat almost none."""
    model = TrainedModel.load("mel_16bar_folk")
    coupled = bar_repetition(model.sample(24, 0.5, 0)).mean()
    independent = bar_repetition(model.sample(24, 0.5, 0, coupled_segments=False)).mean()
    assert coupled > SIXTEEN_BAR_MIN_REPETITION and coupled > independent + 0.08, (coupled, independent)


def test_the_shipped_multitrack_models_play_instruments_and_follow_their_chords():
    """multitrack_1bar's samples play GM instruments; multitrack_1bar_chords' samples over C hold C's tones,
    and over F# F#'s: each chord's triad is far more common under it than under the other."""
    from musicae.music.encodings.chords import chord_pitches, parse_progression
    from musicae.music.encodings.multitrack_events import tokens_to_notes

    plain = TrainedModel.load("multitrack_1bar")
    bars = [tokens_to_notes(row) for row in plain.sample_rows(16, 0.2, seed=0)["tracks"]]
    assert sum(bool(notes) for notes in bars) >= 12 and len({n.program for b in bars for n in b}) >= 2
    model = TrainedModel.load("multitrack_1bar_chords")
    share = {}
    for name in ("C", "F#"):
        grid = model.encoding.chords_for_bars(np.full((40, 1), parse_progression(name)[0]))
        notes = [n for row in model.sample_rows(40, 0.2, seed=1, controls={"chords": grid})["tracks"]
                 for n in tokens_to_notes(row) if not n.is_drum]
        share[name] = {chord: np.mean([n.pitch % 12 in {p % 12 for p in chord_pitches(parse_progression(chord)[0])}
                                       for n in notes]) for chord in ("C", "F#")}
    assert share["C"]["C"] > share["F#"]["C"] + 0.2 and share["F#"]["F#"] > share["C"]["F#"] + 0.2, share
