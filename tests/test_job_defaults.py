"""Each command's default model is the one for its job, and says so; 16-bar models decode at 0.5 unless told;
`musicae --version` and a bare `musicae` answer without an error."""

import json
from pathlib import Path

from cli_helpers import run_cli

from musicae.cli import main
from musicae.music.inference.shipped import JOB_MODELS, default_model, shipped_names
from musicae.music.inference.trained_model import example_melodies

run = run_cli


def test_the_default_model_of_each_command_is_named_in_its_json(tmp_path, capsys):
    a, b = example_melodies()[:2]
    commands = {
        "sample": ["sample", "-n", 1, "--out", tmp_path / "s", "--no-png"],
        "reconstruct": ["reconstruct", a, "--out", tmp_path / "r", "--no-png"],
        "interpolate": ["interpolate", a, b, "--steps", 3, "--out", tmp_path / "i", "--no-png", "--no-wav"],
        "encode": ["encode", a, "--out", tmp_path / "z.npy"],
        "similar": ["similar", a, "-n", 2, "--out", tmp_path / "v", "--no-png"],
    }
    for job, argv in commands.items():
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert json.loads(out)["model"] == default_model(job) == (
            JOB_MODELS[job] if JOB_MODELS[job] in shipped_names() else "mel_2bar_folk")
    # the low-KL model samples; a high-KL one, when shipped, does everything that starts from a melody
    assert JOB_MODELS["sample"] == "mel_2bar_folk"
    assert {JOB_MODELS[j] for j in ("reconstruct", "interpolate", "encode", "similar", "transform")} == {
        "mel_2bar_folk_hikl"}
    code, out, _ = run(capsys, "models")
    assert "Used when --checkpoint is not given" in out and "sample" in out


def test_sixteen_bar_models_decode_at_half_temperature_unless_told(tmp_path, capsys):
    a, b = example_melodies(long=True)[:2]
    base = ["interpolate", a, b, "--checkpoint", "mel_16bar_folk", "--steps", 2, "--no-png", "--no-wav"]
    code, out, err = run(capsys, *base, "--out", tmp_path / "i")
    assert code == 0, err
    assert json.loads(out)["temperature"] == 0.5
    code, out, _ = run(capsys, *base, "--out", tmp_path / "j", "--temperature", 0)
    assert json.loads(out)["temperature"] == 0
    code, out, _ = run(capsys, "reconstruct", example_melodies()[0], "--checkpoint", "mel_2bar_folk", "--no-png",
                       "--out", tmp_path / "r")
    assert json.loads(out)["temperature"] == 0  # a 2-bar model decodes greedily


def test_version_and_a_bare_command(capsys):
    code, out, err = run(capsys)
    assert code == 0 and "personalize" in out and "error" not in err
    try:
        main(["--version"])
    except SystemExit as done:
        assert done.code == 0
    assert capsys.readouterr().out.startswith("musicae ")


def test_generation_commands_default_to_a_folder_named_for_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    a = example_melodies()[0]
    for argv, folder in ((["sample", "-n", 1, "--no-png", "--no-wav"], f"out/sample-{default_model('sample')}-s0"),
                         (["reconstruct", a, "--no-png", "--no-wav", "--checkpoint", "mel_2bar_folk", "--seed", 3],
                          "out/reconstruct-a-mel_2bar_folk-s3")):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert all(f.startswith(folder) for f in json.loads(out).get("files", [json.loads(out).get("input_midi")]))
        assert (tmp_path / folder / ".musicae-outputs").is_file()


def test_file_names_say_their_sources_model_step_and_seed(tmp_path, capsys):
    """A file copied out of its folder still says what made it: SOURCES-MODEL-sSEED-ROLE."""
    a, b = example_melodies()
    code, out, err = run(capsys, "interpolate", a, b, "--steps", 3, "--seed", 7, "--checkpoint", "mel_2bar_folk",
                         "--out", tmp_path / "i", "--no-wav")
    assert code == 0, err
    result = json.loads(out)
    assert [Path(f).name for f in result["files"]] == [f"a-b-mel_2bar_folk-s7-step_{i:02d}.mid" for i in range(3)]
    assert Path(result["piano_roll"]).name == "a-b-mel_2bar_folk-s7-path.png"
    code, out, err = run(capsys, "sample", "-n", 2, "--seed", 4, "--checkpoint", "drums_2bar", "--out", tmp_path / "s",
                         "--no-wav", "--no-png")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "s").glob("*.mid")) == ["drums_2bar-s4-sample_00.mid",
                                                                       "drums_2bar-s4-sample_01.mid"]


def lead_sheet(path):
    """8 bars of a melody on track 0 and a bass line on track 1, at 120 qpm."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI()
    tune, bass = pretty_midi.Instrument(0, name="melody"), pretty_midi.Instrument(33, name="bass")
    tune.notes = [pretty_midi.Note(90, 72 + (i * 3) % 8, i * 0.5, i * 0.5 + 0.45) for i in range(32)]
    bass.notes = [pretty_midi.Note(80, 40 + (i % 2) * 7, i * 2.0, i * 2.0 + 1.9) for i in range(8)]
    midi.instruments += [tune, bass]
    midi.write(str(path))
    return path


def test_reconstruct_reads_one_track_and_gives_the_lead_sheet_back(tmp_path, capsys):
    import pretty_midi

    song = lead_sheet(tmp_path / "song.mid")
    code, out, err = run(capsys, "reconstruct", song, "--checkpoint", "mel_2bar_folk", "--no-png", "--no-wav",
                         "--out", tmp_path / "r")
    assert code == 0, err
    result = json.loads(out)
    assert result["windows"] == 4  # the melody's 8 bars, not the bass appended after it
    assert "reading track 0 ('melody'" in result["notes"][0] and "1 ('bass'" in result["notes"][0]
    rebuilt = pretty_midi.PrettyMIDI(result["reconstruction_midi"])
    assert rebuilt.get_end_time() <= 16.5  # 8 bars at 120 qpm
    code, out, _ = run(capsys, "reconstruct", song, "--track", 1, "--checkpoint", "mel_2bar_folk", "--no-png",
                       "--no-wav", "--out", tmp_path / "b")
    pitches = [n.pitch for n in pretty_midi.PrettyMIDI(json.loads(out)["input_midi"]).instruments[0].notes]
    assert max(pitches) < 60  # the bass line
    code, _, err = run(capsys, "reconstruct", song, "--track", 5, "--out", tmp_path / "x")
    assert code == 2 and "--track 5" in err and "0 ('melody', 4 windows)" in err
    code, out, err = run(capsys, "similar", song, "--track", "Bass", "-n", 1, "--no-png", "--out", tmp_path / "v")
    assert code == 0, err  # by name, any case


def test_the_default_track_is_the_melody_wherever_it_is(tmp_path, capsys):
    """An accompaniment first and unnamed tracks: the melody is the track named like one, else the one with the
    most windows with accompaniment aside."""
    import pretty_midi

    def song(names):
        midi = pretty_midi.PrettyMIDI()
        piano = pretty_midi.Instrument(0, name=names[0])  # chords on beats: 16 bars of windows
        piano.notes = [pretty_midi.Note(70, 48 + i % 3, i * 0.5, i * 0.5 + 0.4) for i in range(64)]
        tune = pretty_midi.Instrument(73, name=names[1])  # a 8-bar tune, later in the file
        tune.notes = [pretty_midi.Note(90, 72 + (i * 3) % 8, 16 + i * 0.5, 16 + i * 0.5 + 0.45) for i in range(32)]
        midi.instruments += [piano, tune]
        path = tmp_path / f"{names[1] or 'x'}.mid"
        midi.write(str(path))
        return path

    for names in (("PIANO", "MELODY"), ("Piano", "")):
        code, out, err = run(capsys, "reconstruct", song(names), "--checkpoint", "mel_2bar_folk", "--no-png",
                             "--no-wav", "--out", tmp_path / "r")
        assert code == 0, err
        assert "reading track 1" in json.loads(out)["notes"][0], (names, json.loads(out)["notes"])


def test_tempo_and_instrument_flags(tmp_path, capsys):
    import pretty_midi

    song = lead_sheet(tmp_path / "song.mid")
    code, out, err = run(capsys, "reconstruct", song, "--qpm", 90, "--program", 40, "--no-png", "--no-wav",
                         "--out", tmp_path / "r")
    assert code == 0, err
    midi = pretty_midi.PrettyMIDI(json.loads(out)["reconstruction_midi"])
    assert abs(midi.get_tempo_changes()[1][0] - 90) < 1e-3 and midi.instruments[0].program == 40
    assert midi.get_end_time() > 16 * 120 / 90 - 1  # 8 bars at 90 qpm last longer than at 120
    for flag, value in (("--qpm", 0), ("--qpm", 1000), ("--program", 128)):
        code, _, err = run(capsys, "sample", flag, value, "--out", tmp_path / "x")
        assert code == 2 and flag in err


def test_a_jig_comes_back_in_its_meter_and_length(tmp_path, capsys):
    import pretty_midi

    jig = pretty_midi.PrettyMIDI()  # 16 bars of 6/8 at 120 qpm: 24 s, six eighths a bar
    jig.time_signature_changes.append(pretty_midi.TimeSignature(6, 8, 0))
    voice = pretty_midi.Instrument(0)
    voice.notes = [pretty_midi.Note(90, 67 + (i * 5) % 9, i * 0.25, i * 0.25 + 0.24) for i in range(96)]
    jig.instruments.append(voice)
    jig.write(str(tmp_path / "jig.mid"))
    code, out, err = run(capsys, "reconstruct", tmp_path / "jig.mid", "--checkpoint", "mel_2bar_folk", "--no-png",
                         "--out", tmp_path / "r")
    assert code == 0, err
    result = json.loads(out)
    assert result["windows"] == 7  # 32-step windows, a 2-bar (24-step) hop apart
    for name in ("input_midi", "reconstruction_midi"):
        midi = pretty_midi.PrettyMIDI(result[name])
        # the windows overlap by 8 steps: played where they start, 176 steps (22 s), not 7 x 32 (28 s)
        assert 21 < midi.get_end_time() <= 22.01, (name, midi.get_end_time())
        signature = midi.time_signature_changes[0]
        assert (signature.numerator, signature.denominator) == (6, 8)
    given = pretty_midi.PrettyMIDI(result["input_midi"]).instruments[0].notes
    assert [(round(n.start, 2), n.pitch) for n in given] == [(round(n.start, 2), n.pitch) for n in voice.notes[:88]]


def test_the_command_line_is_built_without_torch():
    """`musicae --help`, `musicae models` and every --help import no torch: only commands that run a model do
    (their speed is measured by scripts/bench_startup.py, not here)."""
    import subprocess
    import sys

    probe = ("import sys; from musicae.cli import build_parser, main; build_parser(); main(['models']); "
             "assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]


def test_reconstruct_keeps_the_silences_and_the_length_of_a_pop909_song(tmp_path, capsys):
    """A real lead sheet (POP909 001, from ../shared): its melody comes back whole, each window where it was,
    the rests between phrases kept, with the song's chords on their own track."""
    import pretty_midi
    import pytest
    from conftest import REPO

    song = REPO.parent / "shared" / "data" / "pop909" / "001" / "001.mid"
    if not song.exists():
        pytest.skip(f"POP909 not found at {song}")
    code, out, err = run(capsys, "reconstruct", song, "--checkpoint", "mel_2bar_chords", "--no-png", "--no-wav",
                         "--out", tmp_path / "r")
    assert code == 0, err
    result = json.loads(out)
    assert "reading track 0 ('MELODY'" in result["notes"][0]
    original = pretty_midi.PrettyMIDI(str(song)).instruments[0].notes
    given = pretty_midi.PrettyMIDI(result["input_midi"])
    rebuilt = pretty_midi.PrettyMIDI(result["reconstruction_midi"])
    melody = [i for i in given.instruments if i.name == "melody"][0].notes
    assert abs(len(melody) - len(original)) <= 0.05 * len(original)  # the whole melody, nothing doubled
    assert abs(melody[0].start - original[0].start) < 0.5  # the intro's silence kept
    assert abs(rebuilt.get_end_time() - given.get_end_time()) < 2
    assert {i.name for i in rebuilt.instruments} == {"melody", "chords"}


def test_the_high_kl_chord_model_gives_a_held_out_lead_sheet_back_on_its_chords():
    """A POP909 song neither chord model trained on (scripts/splits/chords_mix.csv holds it out): the high-KL
    model gives its melody back far more exactly than the low-KL one, and its reconstruction sits on the song's
    chords about as often as the song does, where the low-KL model's chord-tone line sits on them far more."""
    import csv

    import pytest
    from conftest import REPO

    from musicae.music.encodings.melody_chords import chord_tone_ratio
    from musicae.music.inference import api

    held_out = [row["path"] for row in csv.DictReader(open(REPO / "scripts" / "splits" / "chords_mix.csv"))
                if row["split"] == "valid"]
    song = REPO.parent / "shared" / "data" / "pop909" / held_out[0]
    if not song.exists():
        pytest.skip(f"POP909 not found at {song}")
    figures = {}
    for name in ("mel_2bar_chords", "mel_2bar_chords_hikl"):
        model = api.load(name)
        rows = api.read(model, song).rows
        notes, chords = rows["notes"], rows["chords"]
        rebuilt = model.reconstruct_rows(rows)["notes"]  # greedy, as `musicae reconstruct` gives it
        figures[name] = {"steps": float((rebuilt == notes).mean()), "chord_tones": chord_tone_ratio(rebuilt, chords)}
    song_tones = chord_tone_ratio(notes, chords)
    low, high = figures["mel_2bar_chords"], figures["mel_2bar_chords_hikl"]
    assert high["steps"] > 0.75 and high["steps"] > low["steps"] + 0.1, figures
    assert abs(high["chord_tones"] - song_tones) < 0.1 < low["chord_tones"] - song_tones, (figures, song_tones)
