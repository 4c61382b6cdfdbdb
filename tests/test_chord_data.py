"""Chord-conditioned windows: POP909 on its annotated beats, chords per step, transposition of both."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from musicae.autoencoding.batch import Batch
from musicae.music.data.annotated import annotated_segments
from musicae.music.data.prepare import PrepareOptions, load_conditions, load_windows, prepare
from musicae.music.encodings.base import get_encoding
from musicae.music.encodings.chords import parse_chord
from musicae.music.encodings.melody import FIRST_PITCH_CLASS
from musicae.music.encodings.melody_chords import chord_tone_ratio
from tests.cli_helpers import one_output
from tests.midi_bytes import notes_file
from tests.music_helpers import untrained_model

POP909 = Path(__file__).resolve().parents[2] / "shared" / "data" / "pop909"
SONGS = ("001", "002", "003", "004")


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    if not (POP909 / "001" / "001.mid").exists():
        pytest.skip("../shared/data/pop909 is not here")
    root = tmp_path_factory.mktemp("pop909")
    for song in SONGS:
        shutil.copytree(POP909 / song, root / song)
    return root


def test_pop909_is_read_on_its_annotated_beats_not_its_declared_meter(songs):
    import pretty_midi

    declared = pretty_midi.PrettyMIDI(str(songs / "001" / "001.mid")).time_signature_changes[0]
    assert (declared.numerator, declared.denominator) != (4, 4)  # the file says 1/4 or 2/4
    segment = annotated_segments(songs / "001" / "001.mid")[0]
    assert (segment.numerator, segment.denominator) == (4, 4) and segment.steps_per_bar == 16
    onsets = segment.start - np.round(segment.start)
    assert np.abs(onsets).mean() < 0.1  # notes fall on the sixteenth grid the beats define
    assert segment.chords is not None and len(segment.chords) >= segment.end.max()


def test_prepare_chords_stores_the_chord_of_every_step(songs, tmp_path):
    stats = prepare([songs], tmp_path / "d", PrepareOptions(encoding="melody_chords", workers=1, progress=False,
                                                            use_cache=False, valid_fraction=0.25))
    assert stats["ok"] == len(SONGS) and "chords" in [s["name"] for s in stats["streams"]] and stats["windows"] > 60
    for split in ("train", "valid"):
        windows, chords = load_windows(tmp_path / "d", split), load_conditions(tmp_path / "d", split)
        assert windows.shape == chords.shape
    windows, chords = load_windows(tmp_path / "d", "all"), load_conditions(tmp_path / "d", "all")
    # the melody follows its own chords far more than chords from elsewhere in the collection
    shuffled = chords[np.random.default_rng(0).permutation(len(chords))]
    assert chord_tone_ratio(windows, chords) > 0.55 > chord_tone_ratio(windows, shuffled) + 0.1
    # the same songs without --chords: melody windows on the same beat grid
    plain = prepare([songs], tmp_path / "m", PrepareOptions(workers=1, progress=False, use_cache=False))
    assert plain["ok"] == len(SONGS) and [s["name"] for s in plain["streams"]] == ["notes"]


def test_a_file_without_chords_and_an_unknown_chord_are_reported(songs, tmp_path):
    (tmp_path / "plain.mid").write_bytes(notes_file([[(60 + i % 5, 2 * i, 2 * i + 2) for i in range(64)]]))
    odd = tmp_path / "odd"
    shutil.copytree(songs / "001", odd)
    lines = (odd / "chord_midi.txt").read_text().splitlines()
    lines[5] = "\t".join(lines[5].split("\t")[:2] + ["C:weird"])
    (odd / "chord_midi.txt").write_text("\n".join(lines) + "\n")
    stats = prepare([tmp_path / "plain.mid", odd], tmp_path / "d", PrepareOptions(
        encoding="melody_chords", workers=1, progress=False, use_cache=False))
    assert stats["by_reason"] == {"no_chords": 1, "unknown_chord": 1}
    records = [json.loads(line) for line in (tmp_path / "d" / "manifest.jsonl").read_text().splitlines()]
    unknown = next(r for r in records if r["reason"] == "unknown_chord")
    assert "'C:weird'" in unknown["detail"] and "chord_midi.txt" in unknown["detail"]


@pytest.fixture(scope="module")
def song_windows(songs, tmp_path_factory):
    """Song 002's windows and their chords, as (N, T) tensors."""
    out = tmp_path_factory.mktemp("song002") / "d"
    prepare([songs / "002"], out, PrepareOptions(encoding="melody_chords", workers=1, progress=False,
                                                  use_cache=False, valid_fraction=0.0))
    return torch.from_numpy(load_windows(out)).long(), torch.from_numpy(load_conditions(out)).long()


def test_transposition_moves_notes_and_chords_together(song_windows):
    windows, chords = song_windows
    out = get_encoding("melody_chords").augment(Batch({"notes": windows, "chords": chords}), 5,
                                                torch.Generator().manual_seed(0))
    moved, moved_chords = out["notes"], out["chords"]
    assert not torch.equal(moved_chords, chords)
    notes, roots = windows >= FIRST_PITCH_CLASS, chords > 0
    for w0, c0, w1, c1, n, r in zip(windows, chords, moved, moved_chords, notes, roots):
        both = n & r & (w1 >= FIRST_PITCH_CLASS)
        before = (w0[both] - 19 - (c0[both] - 1) // 4) % 12  # pitch class relative to the chord's root
        after = (w1[both] - 19 - (c1[both] - 1) // 4) % 12
        assert torch.equal(before, after)
        assert torch.equal((c0[r] - 1) % 4, (c1[r] - 1) % 4)  # qualities unchanged
    assert parse_chord("N") == 0 and torch.equal(moved_chords[~roots], chords[~roots])


@pytest.fixture(scope="module")
def tiny_chord_model(tmp_path_factory):
    return untrained_model(tmp_path_factory.mktemp("chords") / "model", "mel_2bar_chords_tiny")


def test_chords_change_the_decoders_output(tiny_chord_model):
    from musicae.music.inference.trained_model import TrainedModel

    model = TrainedModel.load(tiny_chord_model)
    z = np.random.default_rng(0).normal(size=(4, model.cfg.z_dim)).astype(np.float32)
    c_major = np.full((4, 32), parse_chord("C"), np.uint8)
    f_sharp = np.full((4, 32), parse_chord("F#m"), np.uint8)
    assert not np.array_equal(model.decode(z, conditions=c_major), model.decode(z, conditions=f_sharp))


def test_sample_over_a_progression_writes_melody_and_chords(tiny_chord_model, tmp_path, capsys):
    import pretty_midi

    from musicae.cli import main

    assert main(["sample", "--checkpoint", str(tiny_chord_model), "--chords", "C G Am F Dm", "-n", "2",
                 "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    for path in result["files"]:
        midi = pretty_midi.PrettyMIDI(path)
        assert [i.name for i in midi.instruments] == ["melody", "chords"]
        chord_track = midi.instruments[1].notes
        assert len(chord_track) == 15 and max(n.end for n in chord_track) == pytest.approx(10.0)  # 5 bars at 120 qpm
        assert max(n.end for n in midi.instruments[0].notes) <= 10.0 + 1e-6
    assert one_output(tmp_path, "samples.png").stat().st_size > 5000
    assert main(["sample", "--checkpoint", str(tiny_chord_model), "--out", str(tmp_path)]) == 2
    assert "chord-conditioned" in capsys.readouterr().err


def test_the_two_instrument_output_round_trips_through_prepare_chords(tiny_chord_model, tmp_path, capsys):
    from musicae.cli import main
    from musicae.music.encodings.chords import chord_name
    from musicae.music.encodings.melody_extraction import ExtractOptions

    assert main(["sample", "--checkpoint", str(tiny_chord_model), "--chords", "C G Am F Bb Dm Edim Caug", "-n", "1",
                 "--temperature", "0", "--out", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    options = PrepareOptions(encoding="melody_chords", workers=1, progress=False, use_cache=False, valid_fraction=0.0,
                             extract=ExtractOptions(deduplicate=False, hop_bars=2))
    stats = prepare([one_output(tmp_path / "s", "sample_00.mid")], tmp_path / "d", options)
    assert stats["windows"] == 4, stats  # the chords track's notes are not taken for a melody
    chords = load_conditions(tmp_path / "d")
    assert [chord_name(c) for c in chords.reshape(-1)[::16]] == ["C", "G", "Am", "F", "Bb", "Dm",
                                                                  "Edim", "Caug"]
    # a lone melody track has no chords to infer
    single = tmp_path / "single.mid"
    single.write_bytes(notes_file([[(60 + i % 5, 2 * i, 2 * i + 2) for i in range(64)]]))
    assert prepare([single], tmp_path / "e", options)["by_reason"] == {"no_chords": 1}


def test_abc_chord_symbols_of_real_tunes_become_the_chords_of_their_steps(tmp_path):
    from musicae.music.data.inputs import folk_corpus_dir
    from musicae.music.encodings.chords import chord_name

    path = folk_corpus_dir() / "nottingham-dataset" / "reelsa-c.abc"  # its two tunes carry chord symbols
    shutil.copy(path, tmp_path / path.name)
    (tmp_path / "plain.abc").write_text("X:1\nT:plain\nM:4/4\nL:1/8\nK:G\nGABc dedB|c2e2 d2c2|B2G2 A2c2|d4 G4|\n")
    stats = prepare([tmp_path / path.name, tmp_path / "plain.abc"], tmp_path / "d", PrepareOptions(
        encoding="melody_chords", workers=1, progress=False, use_cache=False, valid_fraction=0.0))
    records = [json.loads(line) for line in (tmp_path / "d" / "manifest.jsonl").read_text().splitlines()]
    assert {r["source"].split("#")[1] for r in records if r["status"] == "ok"} == {"X:80", "X:81"}
    assert stats["by_reason"] == {"no_chords": 1}  # the tune without symbols
    windows, chords = load_windows(tmp_path / "d"), load_conditions(tmp_path / "d")
    written = {"D", "Em", "A", "C", "Am", "E", "Dm", "G", "F"}  # the symbols as triads: A7 -> A, E7 -> E, Am/c -> Am
    named = [chord_name(c) for c in chords.reshape(-1) if c]
    assert sum(name in written for name in named) > 0.95 * len(named)
    assert chord_tone_ratio(windows, chords) > 0.6



def test_reconstruct_and_interpolate_with_chords(tiny_chord_model, tmp_path, capsys):
    import pretty_midi

    from musicae.cli import main
    from musicae.music.inference.trained_model import example_melodies

    a, b = example_melodies()
    assert main(["sample", "--checkpoint", str(tiny_chord_model), "--chords", "C G Am F", "-n", "1",
                 "--out", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    # reconstruct keeps the input's own chords (its chords track)
    assert main(["reconstruct", str(one_output(tmp_path / "s", "sample_00.mid")), "--checkpoint", str(tiny_chord_model),
                 "--out", str(tmp_path / "r")]) == 0
    result = json.loads(capsys.readouterr().out)
    chords = [n.pitch % 12 for n in pretty_midi.PrettyMIDI(result["input_midi"]).instruments[-1].notes]
    assert result["windows"] == 2 and chords == [0, 4, 7, 7, 11, 2, 9, 0, 4, 5, 9, 0]  # C G Am F, root position
    # a melody alone has no chords: one line that suggests --chords, and --chords then works
    assert main(["reconstruct", str(a), "--checkpoint", str(tiny_chord_model), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "give a progression with --chords" in err
    assert main(["interpolate", str(a), str(b), "--checkpoint", str(tiny_chord_model), "--chords", "Dm G", "--steps",
                 "3", "--out", str(tmp_path / "i")]) == 0
    result = json.loads(capsys.readouterr().out)
    for path in result["files"]:
        track = next(i for i in pretty_midi.PrettyMIDI(path).instruments if i.name == "chords")
        assert [n.pitch % 12 for n in track.notes] == [2, 5, 9, 7, 11, 2] * result["windows_per_step"]
    assert main(["interpolate", str(a), str(b), "--chords", "C G", "--out", str(tmp_path / "j")]) == 2
    assert "not chord-conditioned" in capsys.readouterr().err


def test_the_encoder_reads_training_windows_in_another_key_than_the_decoder_writes(song_windows):
    from dataclasses import replace

    from musicae.music.models.configs import get_config
    from musicae.music.models.sequence_vae import SequenceVAE

    windows, chords = (t[:64] for t in song_windows)
    torch.manual_seed(0)
    model = SequenceVAE(replace(get_config("mel_2bar_chords_tiny"), encoder_transpose=5))
    seen = []
    model.encoder.register_forward_hook(lambda module, args, out: seen.append((args[0]["notes"].clone(), args[0]["chords"].clone())))
    model.train()
    model(Batch({"notes": windows, "chords": chords}))
    model.eval()
    model(Batch({"notes": windows, "chords": chords}))
    (train_tokens, train_chords), (eval_tokens, eval_chords) = seen
    assert torch.equal(eval_tokens, windows) and torch.equal(eval_chords, chords)
    roots = chords > 0
    shift = ((train_chords - 1) // 4 - (chords - 1) // 4) % 12  # per step; one per window where chords sound
    moved = [row for row in range(len(windows)) if roots[row].any() and shift[row][roots[row]][0] != 0]
    assert len(moved) > len(windows) // 2
    for row in moved:
        s = shift[row][roots[row]]
        assert (s == s[0]).all()
        both = (windows[row] >= FIRST_PITCH_CLASS) & (train_tokens[row] >= FIRST_PITCH_CLASS)
        assert ((train_tokens[row][both] - windows[row][both]) % 12 == s[0]).all()  # notes moved with their chords


def test_encoder_transpose_needs_conditions():
    from musicae.autoencoding.config import ConfigError
    from musicae.music.models.configs import get_config

    with pytest.raises(ConfigError, match="encoder-transpose .*conditions"):
        get_config("mel_2bar_tiny", encoder_transpose=3).check()
