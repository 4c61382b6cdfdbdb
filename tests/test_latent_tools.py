"""Attribute functions on hand-made melodies, the latent tools' identities, and the quality report on
real folk windows."""

import json

import numpy as np
import pretty_midi
import pytest
import torch

from musicae.autoencoding.checkpoint import save_model
from musicae.autoencoding.runs import model_record
from musicae.cli import main
from musicae.music.data.prepare import PrepareOptions, prepare
from musicae.music.encodings.melody import NOTE_OFF, pitch_to_class
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent import attributes as attr
from musicae.music.latent.moves import attribute_vectors, grid, similar, transform
from musicae.music.models.language_model import MelodyLM, MelodyLMConfig
from tests.cli_helpers import one_output
from tests.midi_bytes import notes_file
from tests.music_helpers import untrained_model


def window(notes, steps=32):
    """(pitch, start, end) notes -> one (T,) class window."""
    w = np.zeros(steps, dtype=np.uint8)
    for pitch, start, end in notes:
        w[start] = pitch_to_class(pitch)
        if end < steps and w[end] == 0:
            w[end] = NOTE_OFF
    return w


def value(name, notes, steps=32):
    return float(attr.ATTRIBUTES[name](window(notes, steps)[None])[0])


def test_attributes_on_hand_made_melodies():
    triad = [(60, 0, 4), (64, 4, 8), (67, 8, 10)]
    assert value("note_density", triad) == 3 / 32
    assert value("average_interval", triad) == 3.5  # 4 then 3 semitones
    assert value("in_scale", triad) == 1.0
    assert value("in_scale", [(60, 0, 1), (61, 1, 2), (62, 2, 3), (63, 3, 4)]) == 0.75  # best key: C# major
    # on an odd sixteenth and still sounding at the next eighth / on an off-beat eighth, held over the beat
    assert value("syncopation_16th", [(60, 1, 3), (62, 3, 4), (64, 4, 8)]) == 1 / 3
    assert value("syncopation_8th", [(60, 2, 5), (62, 6, 8)]) == 1 / 2
    assert value("syncopation_8th", triad) == 0.0
    assert value("note_density", []) == 0.0 and value("average_interval", [(60, 0, 4)]) == 0.0
    two_bars = window([(60, 0, 4), (72, 4, 16), (60, 16, 20), (72, 20, 32)])[None]
    assert attr.pitch_range(two_bars)[0] == 12
    assert attr.pitch_class_entropy(two_bars)[0] == 0.0  # only Cs
    assert attr.bar_repetition(two_bars)[0] == 1.0  # the second bar repeats the first
    assert attr.empty_beat_rate(window([(60, 0, 4)])[None])[0] == 7 / 8
    np.testing.assert_allclose(attr.interval_histogram(two_bars)[[0, 12]], [0, 1])  # three octave leaps


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return TrainedModel.load(untrained_model(tmp_path_factory.mktemp("tiny") / "model", "mel_2bar_tiny"))


def test_amount_zero_similarity_one_and_grid_corners_give_the_reconstructions(tiny, folk_windows):
    windows = folk_windows[:6]
    plain = tiny.reconstruct(windows)
    vectors = {"note_density": np.random.default_rng(0).normal(size=tiny.cfg.z_dim).astype(np.float32)}
    np.testing.assert_array_equal(transform(tiny, windows, vectors, {"note_density": 0.0}), plain)
    assert not np.array_equal(transform(tiny, windows, vectors, {"note_density": 50.0}), plain)
    np.testing.assert_array_equal(similar(tiny, windows[0], 4, 1.0), np.repeat(plain[:1], 4, 0))
    assert not np.array_equal(similar(tiny, windows[0], 4, 0.0), np.repeat(plain[:1], 4, 0))
    cells = grid(tiny, windows[:4], 5)
    for (r, c), i in zip([(0, 0), (0, 4), (4, 0), (4, 4)], range(4)):
        np.testing.assert_array_equal(cells[r, c], plain[i])


def test_attribute_vectors_point_from_the_bottom_quartile_to_the_top(tiny, folk_windows):
    result = attribute_vectors(tiny, folk_windows, ["note_density", "in_scale"])
    z = tiny.encode(folk_windows)
    quarter = len(folk_windows) // 4
    for name in ("note_density", "in_scale"):  # most folk windows are wholly in scale: ties at the top
        values = attr.ATTRIBUTES[name](folk_windows)
        entry = result["attributes"][name]
        assert entry["windows_per_quartile"] == quarter
        assert entry["top_mean"] > entry["data_mean"] > entry["bottom_mean"]
        ranked = np.sort(values)
        assert entry["bottom_mean"] == pytest.approx(ranked[:quarter].mean())
        assert entry["top_mean"] == pytest.approx(ranked[-quarter:].mean())
    density = attr.note_density(folk_windows)
    distinct = np.unique(density)
    low, high = density <= distinct[0], density >= distinct[-1]  # the extremes are always in their quartile
    vector = np.asarray(result["attributes"]["note_density"]["vector"])
    assert vector @ (z[high].mean(0) - z[low].mean(0)) > 0
    constant = attribute_vectors(tiny, folk_windows[:40], ["note_density", "syncopation_16th"])
    assert "note_density" in constant["attributes"] and "syncopation_16th" in constant["skipped"]
    with pytest.raises(ValueError, match="no attribute varies"):
        attribute_vectors(tiny, np.zeros((8, 32), dtype=np.uint8), ["note_density"])


@pytest.fixture(scope="module")
def folk_data(folk_midi_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared") / "folk"
    prepare([folk_midi_dir], out, PrepareOptions(workers=1, progress=False, use_cache=False, valid_fraction=0.3))
    return out


def test_quality_report_on_real_folk_windows(tiny, folk_data, tmp_path, capsys):
    torch.manual_seed(0)
    lm_cfg = MelodyLMConfig(hidden=16, embed_dim=8)
    save_model(tmp_path / "lm", MelodyLM(lm_cfg), model_record(lm_cfg))
    code = main(["attributes", "--data", str(folk_data), "--checkpoint", tiny.source, "--out", str(tmp_path / "v.json")])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    code = main(["quality", "--checkpoint", tiny.source, "--data", str(folk_data), "--out", str(tmp_path / "q"),
                 "--samples", "64", "--pairs", "8", "--effect-windows", "16", "--lm", str(tmp_path / "lm"),
                 "--vectors", str(tmp_path / "v.json")])
    assert code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "q" / "quality.json").read_text())
    stats = report["prior_vs_data"]
    assert set(stats["temperatures"]) == {"0.5", "1.0"}
    for t in stats["temperatures"].values():
        assert set(t) == {*attr.SCALAR_STATISTICS, "interval_histogram"}
        # a barely trained model's samples are not the data: its statistics are apart, the histograms too
        # (bar repetition may be 0 on both sides: 2-bar windows of a tiny model rarely repeat a bar)
        assert all(entry["distance"] > 0 for name, entry in t.items() if name != "bar_repetition"), t
        assert 0 < t["interval_histogram"]["distance"] <= 1
    analysis = report["interpolation"]
    assert len(analysis["alphas"]) == 11
    data_path = analysis["data"]["hamming_to_start"]
    assert data_path[0] == 0 and data_path[-1] > 0  # from the first window to another one
    # data-space interpolation mixes the two windows step by step: it moves away from the start as alpha grows,
    # with noise (not monotonically)
    assert np.corrcoef(analysis["alphas"], data_path)[0, 1] > 0.8, data_path
    assert all(ll < 0 for ll in analysis["latent"]["log_likelihood"] + analysis["data"]["log_likelihood"])
    effects = report["attribute_effects"]
    vectors = json.loads((tmp_path / "v.json").read_text())
    assert set(effects["change_at_amount_1"]) == set(vectors["attributes"]) and len(vectors["attributes"]) >= 4
    assert all(effects["means"][v]["0.0"] == effects["means"]["note_density"]["0.0"] for v in effects["means"])
    for name in ("statistics", "interpolation", "effects"):
        assert (tmp_path / "q" / f"{name}.png").stat().st_size > 5000


def test_transform_similar_and_grid_commands_write_midi(tiny, tmp_path, capsys):
    melody = [(60 + (i * 5) % 12, 2 * i, 2 * i + 2) for i in range(32)]
    paths = []
    for k in range(4):
        path = tmp_path / f"m{k}.mid"
        path.write_bytes(notes_file([[(p + k, s, e) for p, s, e in melody]]))
        paths.append(str(path))
    varied = [window([(p, s - 2 * i, e - 2 * i) for p, s, e in melody[i : i + 4 + i % 12]]) for i in range(20)]
    vectors = attribute_vectors(tiny, np.stack(varied))
    (tmp_path / "v.json").write_text(json.dumps(vectors))
    assert main(["transform", paths[0], "--attribute", "note_density", "--amount", "1.5", "--vectors",
                 str(tmp_path / "v.json"), "--checkpoint", tiny.source, "--out", str(tmp_path / "t"), "--no-wav"]) == 0
    result = json.loads(capsys.readouterr().out)
    pretty_midi.PrettyMIDI(result["transformed_midi"])
    assert result["windows"] == 2 and one_output(tmp_path / "t", "transformed.png").exists()
    assert main(["similar", paths[0], "-n", "3", "--similarity", "0.5", "--out", str(tmp_path / "s")]) == 0
    assert len(json.loads(capsys.readouterr().out)["files"]) == 3
    assert main(["grid", *paths, "--size", "3", "--checkpoint", tiny.source, "--out", str(tmp_path / "g")]) == 0
    assert len(list((tmp_path / "g").glob("*-grid_r*_c*.mid"))) == 9 and one_output(tmp_path / "g", "grid.png").exists()


@pytest.mark.parametrize("argv, words", [
    (["transform", "X", "--attribute", "note_density", "--attribute", "in_scale", "--amount", "1"], "one amount per"),
    (["similar", "X", "--similarity", "1.5"], "[0, 1]"),
    (["grid", "X", "X", "X", "X", "--size", "40"], "2..16"),
    (["transform", "X", "--attribute", "note_density", "--amount", "1", "--vectors", "/nonexistent.json"],
     "no such attribute-vector file"),
])
def test_latent_commands_refuse_bad_input_in_one_line(tmp_path, capsys, argv, words):
    midi = tmp_path / "a.mid"
    midi.write_bytes(notes_file([[(60 + i % 7, 2 * i, 2 * i + 2) for i in range(32)]]))
    argv = [str(midi) if a == "X" else a for a in argv]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err


def test_slider_effects_offer_only_vectors_that_move_their_attribute(folk_windows):
    """The shipped folk model's note-density vector moves note density, measurably and monotonically, in notes
    per bar; a vector made of noise moves nothing and gets no slider."""
    from musicae.music.inference.trained_model import TrainedModel
    from musicae.music.latent.moves import load_vectors, model_vectors_path
    from musicae.music.latent.quality import slider_effects

    model = TrainedModel.load("mel_2bar_folk")
    vectors = load_vectors(model_vectors_path(model), model)
    noise = np.random.default_rng(0).normal(size=model.cfg.z_dim).astype(np.float32) * 0.05
    found = slider_effects(model, folk_windows, {"note_density": vectors["note_density"], "in_scale": noise},
                           count=64)["attributes"]
    density = found["note_density"]
    assert density["moves"] and density["monotonic"] and density["unit"] == "notes per bar"
    assert density["per_unit"] > 1  # a unit of the vector adds notes: more than one a bar
    assert not found["in_scale"]["moves"]
