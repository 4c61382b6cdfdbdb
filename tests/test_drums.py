"""Drums: MusicVAE's 9-class drum encoding on real Groove MIDI Dataset files (when ../shared has them) and on
hand-made beats, prepare's split file, and every command on a tiny drum model writing drum MIDI."""

import csv
import json
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from musicae.cli import main
from musicae.music.data.inputs import load_midi_segments
from musicae.music.encodings import get_encoding
from musicae.music.encodings.base import ExtractOptions
from musicae.music.encodings.drums import DRUM_PITCHES, PITCH_TO_CLASS, classes_to_hits, hits_to_classes
from tests.midi_bytes import notes_file

GROOVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "groove"
PLAYED = {pitches[0] for pitches in DRUM_PITCHES}  # what decoding plays: each class's first pitch
KICK, SNARE, CLOSED, OPEN, CRASH = 36, 38, 42, 46, 49


def beat(kind: int, bars: int = 4) -> list[tuple[int, int, int]]:
    """(pitch, start_step, end_step) of a hand-made beat: kind 0 rock, 1 half-time, 2 four-on-the-floor."""
    notes = []
    for bar in range(bars):
        s = 16 * bar
        hats = range(0, 16, 2) if kind != 2 else range(2, 16, 4)
        notes += [(CLOSED if kind != 2 else OPEN, s + h, s + h + 1) for h in hats]
        kicks = {0: (0, 8, 10), 1: (0, 3), 2: (0, 4, 8, 12)}[kind]
        snares = {0: (4, 12), 1: (8,), 2: (4, 12)}[kind]
        notes += [(KICK, s + k, s + k + 1) for k in kicks] + [(SNARE, s + k, s + k + 1) for k in snares]
    if kind == 1:
        notes.append((CRASH, 0, 1))
    return sorted(notes, key=lambda n: n[1])


def write_beats(folder: Path, kinds=(0, 1, 2)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in kinds:
        path = folder / f"beat{kind}.mid"
        path.write_bytes(notes_file([beat(kind)], drums=(0,)))
        paths.append(path)
    return paths


def expected_hits(path: Path) -> set[tuple[int, int]]:
    """(step, drum class) of every mapped drum note of a file, read with pretty_midi: an independent reading,
    each onset's tick quantized to the nearest sixteenth (ticks, not seconds: a hit half-way between two steps
    must round as exact arithmetic does)."""
    midi = pretty_midi.PrettyMIDI(str(path))
    ticks_per_step = midi.resolution / 4
    return {(int(np.floor(midi.time_to_tick(n.start) / ticks_per_step + 0.5)), int(PITCH_TO_CLASS[n.pitch]))
            for inst in midi.instruments if inst.is_drum for n in inst.notes
            if n.velocity > 0 and PITCH_TO_CLASS[n.pitch] >= 0}


def window_hits(windows: np.ndarray, starts) -> set[tuple[int, int]]:
    return {(int(start + step), int(drum)) for window, start in zip(windows, starts)
            for step, drum in zip(*np.nonzero(classes_to_hits(window)))}


def test_the_512_classes_are_the_sets_of_nine_drums():
    hits = np.array([[1, 0, 1, 0, 0, 0, 0, 0, 0], [0] * 9, [1] * 9])
    classes = hits_to_classes(hits)
    assert classes.tolist() == [5, 0, 511]
    np.testing.assert_array_equal(classes_to_hits(classes), hits)
    assert sorted(PITCH_TO_CLASS[[36, 35, 38, 42, 46, 49, 51]].tolist()) == [0, 0, 1, 2, 3, 7, 8]


def test_hand_made_beats_round_trip_through_their_classes(tmp_path):
    drums = get_encoding("drums")
    for path in write_beats(tmp_path):
        found = drums.extract(load_midi_segments(path), ExtractOptions(deduplicate=False))
        assert len(found) == 3  # 4 bars: windows at bars 0, 1, 2
        starts = found.origins[:, 2]
        hits = expected_hits(path)
        assert window_hits(found.rows["drums"], starts) == {h for h in hits if h[0] < starts.max() + 32}
        played = {(n.start, n.pitch) for n in drums.to_notes({"drums": found.rows["drums"][0]})}
        assert played == {(step, DRUM_PITCHES[drum][0]) for step, drum in hits if step < 32}


@pytest.mark.skipif(not (GROOVE / "info.csv").exists(), reason=f"the Groove MIDI Dataset is not at {GROOVE}")
def test_real_groove_performances_land_in_their_classes():
    """Every hit of real GMD beats lands in its class at its nearest sixteenth, and nothing else is set."""
    drums = get_encoding("drums")
    rows = [r for r in csv.DictReader(open(GROOVE / "info.csv")) if r["beat_type"] == "beat"
            and r["time_signature"] == "4-4"][:6]
    checked = 0
    for row in rows:
        path = GROOVE / row["midi_filename"]
        found = drums.extract(load_midi_segments(path), ExtractOptions(deduplicate=False, gap_bars=1000))
        assert len(found) >= 1, row["midi_filename"]
        starts = found.origins[:, 2]
        covered = {h for h in expected_hits(path) if starts.min() <= h[0] < starts.max() + 32}
        assert window_hits(found.rows["drums"], starts) == covered, row["midi_filename"]
        checked += len(covered)
    assert checked > 1000


def test_a_split_file_places_every_file_and_leaves_test_out(tmp_path, capsys):
    write_beats(tmp_path / "in", kinds=(0, 1, 2))
    (tmp_path / "in" / "extra.mid").write_bytes(notes_file([beat(0, bars=3)], drums=(0,)))
    table = tmp_path / "info.csv"
    table.write_text("midi_filename,split\nbeat0.mid,train\nbeat1.mid,validation\nbeat2.mid,test\n")
    out = tmp_path / "data"
    assert main(["prepare", str(tmp_path / "in"), "--encoding", "drums", "--split-file", str(table), "--out", str(out),
                 "--workers", "1", "--no-cache"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["items"], stats["ok"], stats["skipped"]) == (4, 2, 2)
    assert stats["by_reason"] == {"test_split": 1, "not_in_split_file": 1}
    manifest = {Path(r["source"]).name: r for r in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}
    assert manifest["beat0.mid"]["split"] == "train" and manifest["beat1.mid"]["split"] == "valid"
    assert manifest["beat2.mid"]["status"] == "skipped" and "test split" in manifest["beat2.mid"]["detail"]
    # a repeated bar gives one distinct window; beat 1's opening crash makes its first window another
    assert stats["train_windows"] == 1 and stats["valid_windows"] == 2
    for text, words in (("path,part\nbeat0.mid,train\n", "needs a header with a `split` column"),
                        ("midi_filename,split\nbeat0.mid,holdout\n", "line 2: split 'holdout' is none of"),
                        ("midi_filename,split\n", "lists no files")):
        table.write_text(text)
        code = main(["prepare", str(tmp_path / "in"), "--encoding", "drums", "--split-file", str(table),
                     "--out", str(tmp_path / "bad"), "--no-cache"])
        err = capsys.readouterr().err
        assert code == 2 and words in err and err.count("\n") == 1, err
    code = main(["prepare", str(tmp_path / "in"), "--split-file", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "bad")])
    assert code == 2 and "split file not found" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def drum_midi(path) -> pretty_midi.PrettyMIDI:
    """Loads, every instrument is a drum kit, every pitch one decoding plays."""
    midi = pretty_midi.PrettyMIDI(str(path))
    assert midi.instruments and all(inst.is_drum for inst in midi.instruments), path
    assert {n.pitch for inst in midi.instruments for n in inst.notes} <= PLAYED, path
    return midi


@pytest.fixture(scope="module")
def drum_run(tmp_path_factory):
    """A tiny drum model trained here on three hand-made beats, long enough to learn them."""
    root = tmp_path_factory.mktemp("drums")
    write_beats(root / "beats")
    assert main(["prepare", str(root / "beats"), "--encoding", "drums", "--out", str(root / "data"), "--workers", "1",
                 "--no-cache", "--valid-fraction", "0"]) == 0
    assert main(["train", "--data", str(root / "data"), "--out", str(root / "run"), "--config", "drums_2bar_tiny",
                 "--steps", "400", "--lr", "0.01", "--eval-every", "0", "--checkpoint-every", "400", "--no-progress"]) == 0
    return root


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_every_drum_command_writes_drum_midi(drum_run, tmp_path, capsys):
    ckpt, beats = drum_run / "run", drum_run / "beats"
    sampled = run(capsys, "sample", "--checkpoint", ckpt, "-n", 3, "--out", tmp_path / "s")
    for f in sampled["files"]:
        drum_midi(f)
    rec = run(capsys, "reconstruct", beats / "beat0.mid", "--checkpoint", ckpt, "--out", tmp_path / "r")
    assert expected_hits(Path(rec["reconstruction_midi"])) == expected_hits(Path(rec["input_midi"]))  # learned
    drum_midi(rec["reconstruction_midi"])
    path = run(capsys, "interpolate", beats / "beat0.mid", beats / "beat2.mid", "--steps", 3, "--checkpoint", ckpt,
               "--out", tmp_path / "i")
    for f in path["files"] + [path["path_midi"]]:
        drum_midi(f)
    ends = [expected_hits(Path(path["files"][i])) for i in (0, -1)]
    assert ends[0] != ends[1] and ends[0] == expected_hits(Path(rec["reconstruction_midi"]))
    assert open(path["piano_roll"], "rb").read(4) == b"\x89PNG"
    encoded = run(capsys, "encode", beats / "beat0.mid", beats / "beat1.mid", "--checkpoint", ckpt, "--out", tmp_path / "z.npy")
    z, sources = np.load(tmp_path / "z.npy"), json.loads((tmp_path / "z.json").read_text())["windows"]
    assert list(z.shape) == encoded["shape"] and z.shape[1] == 8 and len(sources) == len(z)
    first = [i for i, s in enumerate(sources) if s["source"].endswith("beat0.mid")]
    other = [i for i, s in enumerate(sources) if s["source"].endswith("beat1.mid")]
    assert first and other and np.abs(z[first[0]] - z[other[0]]).max() > 1e-3  # two beats, two codes
    figures = run(capsys, "evaluate", "--checkpoint", ckpt, "--data", drum_run / "data", "--split", "train")
    assert figures["teacher_forced_accuracy"] > 0.9 and figures["windows"] == 4  # 1 + 2 (the crash) + 1


def test_a_melody_file_is_no_drum_input(drum_run, tmp_path, capsys):
    melody = tmp_path / "tune.mid"
    melody.write_bytes(notes_file([[(60 + i % 5, 2 * i, 2 * i + 2) for i in range(32)]]))
    code = main(["reconstruct", str(melody), "--checkpoint", str(drum_run / "run"), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "no drum notes" in err and err.count("\n") == 1, err


# ----------------------------------------------------------------------------- GrooVAE
def performance_notes(path: Path) -> list[tuple[float, int, int]]:
    """(step, drum class, velocity) of every mapped drum note, read with pretty_midi (ticks -> steps)."""
    midi = pretty_midi.PrettyMIDI(str(path))
    ticks_per_step = midi.resolution / 4
    return [(midi.time_to_tick(n.start) / ticks_per_step, int(PITCH_TO_CLASS[n.pitch]), n.velocity)
            for inst in midi.instruments if inst.is_drum for n in inst.notes if PITCH_TO_CLASS[n.pitch] >= 0]


def loudest_per_cell(notes, first: int, steps: int) -> dict[tuple[int, int], tuple[float, int]]:
    """(step in window, class) -> (offset, velocity) of the loudest hit of each cell of the window at `first`."""
    cells = {}
    for step, drum, velocity in notes:
        cell = (int(np.floor(step + 0.5)) - first, drum)
        offset = step - np.floor(step + 0.5)
        if 0 <= cell[0] < steps and (cell not in cells or (velocity, offset) >= (cells[cell][1], cells[cell][0])):
            cells[cell] = (offset, velocity)  # the louder wins, the later on a tie
    return cells


@pytest.mark.skipif(not (GROOVE / "info.csv").exists(), reason=f"the Groove MIDI Dataset is not at {GROOVE}")
def test_real_performances_keep_their_timing_and_velocity():
    """GrooVAE's rows of real GMD performances give back each cell's loudest hit: its step, its offset within
    float16's precision and its velocity to the unit; the notes played from a row are those hits."""
    groove = get_encoding("groove")
    rows = [r for r in csv.DictReader(open(GROOVE / "info.csv")) if r["beat_type"] == "beat"][:4]
    cells_checked = 0
    for row in rows:
        path = GROOVE / row["midi_filename"]
        found = groove.extract(load_midi_segments(path), ExtractOptions(deduplicate=False, gap_bars=1000))
        notes = performance_notes(path)
        for i in range(0, len(found), 7):
            window = found.rows.row(i)
            cells = loudest_per_cell(notes, int(found.origins[i, 2]), 32)
            assert {(int(s), int(d)) for s, d in zip(*np.nonzero(window["hits"]))} == set(cells), path
            for (step, drum), (offset, velocity) in cells.items():
                assert abs(float(window["offsets"][step, drum]) - offset) < 1e-3
                assert round(float(window["velocities"][step, drum]) * 127) == velocity
            played = groove.to_notes(window)
            assert len(played) == len(cells)
            assert all(abs(n.start - max(0.0, s + cells[(s, int(PITCH_TO_CLASS[n.pitch]))][0])) < 1e-3
                       for n, s in zip(played, [int(np.floor(n.start + 0.5)) for n in played]))
            cells_checked += len(cells)
    assert cells_checked > 500


def test_the_two_groovae_models_read_what_their_names_say(tmp_path):
    """humanize reads the quantized pattern (hits, no velocity, no timing); tap reads one voice: a tap where
    any drum is hit, with the loudest hit's velocity and offset."""
    performance = {"hits": np.zeros((1, 32, 9), np.uint8), "velocities": np.zeros((1, 32, 9), np.float32),
                   "offsets": np.zeros((1, 32, 9), np.float32)}
    for step, drum, velocity, offset in ((0, 0, 100, -0.1), (0, 2, 60, 0.2), (4, 1, 90, 0.05), (6, 2, 30, -0.3)):
        performance["hits"][0, step, drum] = 1
        performance["velocities"][0, step, drum] = velocity / 127
        performance["offsets"][0, step, drum] = offset
    humanize, tap = get_encoding("groove_humanize"), get_encoding("groove_tap")
    assert [s.name for s in humanize.encoder_streams] == ["pattern"]
    assert [s.name for s in tap.encoder_streams] == ["tap_hits", "tap_velocities", "tap_offsets"]
    pattern = humanize.inputs_of(performance)
    np.testing.assert_array_equal(pattern["pattern"], performance["hits"])
    taps = tap.inputs_of(performance)
    assert np.flatnonzero(taps["tap_hits"][0]).tolist() == [0, 4, 6]
    np.testing.assert_allclose(taps["tap_velocities"][0, [0, 4, 6]], np.array([100, 90, 30]) / 127, rtol=1e-6)
    np.testing.assert_allclose(taps["tap_offsets"][0, [0, 4, 6]], [-0.1, 0.05, -0.3], rtol=1e-6)


@pytest.fixture(scope="module")
def groove_runs(tmp_path_factory):
    """Tiny humanize and tap models trained on three hand-made beats until they know them."""
    root = tmp_path_factory.mktemp("groove")
    (root / "beats").mkdir()
    for kind in range(3):
        notes = [(p, s, e) for p, s, e in beat(kind)]
        (root / "beats" / f"beat{kind}.mid").write_bytes(notes_file([notes], drums=(0,)))
    runs = {}
    for reads in ("humanize", "tap"):
        data = root / f"data-{reads}"
        assert main(["prepare", str(root / "beats"), "--encoding", f"groove_{reads}", "--out", str(data), "--workers",
                     "1", "--no-cache", "--valid-fraction", "0"]) == 0
        runs[reads] = root / f"run-{reads}"
        assert main(["train", "--data", str(data), "--out", str(runs[reads]), "--config", f"groovae_2bar_{reads}_tiny",
                     "--steps", "300", "--lr", "0.01", "--eval-every", "0", "--checkpoint-every", "300",
                     "--no-progress"]) == 0
    return root, runs


def test_humanize_and_drumify_write_drum_midi_at_the_input_tempo(groove_runs, tmp_path, capsys):
    root, runs = groove_runs
    slow = tmp_path / "slow.mid"  # a beat at 90 qpm: the output must keep it
    midi = pretty_midi.PrettyMIDI(initial_tempo=90)
    kit = pretty_midi.Instrument(0, is_drum=True)
    kit.notes = [pretty_midi.Note(100, p, s / 6, s / 6 + 0.1) for p, s, _ in beat(0)]  # 1/6 s = a 16th at 90
    midi.instruments.append(kit)
    midi.write(str(slow))
    result = run(capsys, "humanize", slow, "--checkpoint", runs["humanize"], "--out", tmp_path / "h")
    assert result["qpm"] == pytest.approx(90) and result["windows"] == 2
    out = drum_midi(result["output_midi"])
    assert out.get_tempo_changes()[1][0] == pytest.approx(90, abs=1e-3)
    assert result["hits_kept_f1"] == 1.0  # humanize keeps the pattern's hits...
    velocities = [n.velocity for n in out.instruments[0].notes]
    assert abs(np.mean(velocities) - 80) < 12  # ...and plays them as the training beats were (80), not the input (100)
    free = run(capsys, "humanize", slow, "--checkpoint", runs["humanize"], "--out", tmp_path / "f", "--free-hits")
    assert free["hits_kept_f1"] > 0.9  # its own reconstruction of the pattern, learned from three beats
    assert open(result["drum_grid"], "rb").read(4) == b"\x89PNG" and open(result["wav"], "rb").read(4) == b"RIFF"
    melody = tmp_path / "tune.mid"
    melody.write_bytes(notes_file([[(60 + i % 5, 2 * i, 2 * i + 2) for i in range(32)]]))
    tapped = run(capsys, "drumify", melody, "--checkpoint", runs["tap"], "--out", tmp_path / "d")
    drum_midi(tapped["output_midi"])
    taps = pretty_midi.PrettyMIDI(tapped["input_midi"])
    assert len([n for i in taps.instruments for n in i.notes]) == 32  # every onset of the melody is a tap
    for job, other in (("humanize", "tap"), ("drumify", "humanize")):
        code = main([job, str(slow), "--checkpoint", str(runs[other]), "--out", str(tmp_path / "x")])
        err = capsys.readouterr().err
        assert code == 2 and "needs a GrooVAE model that reads" in err and err.count("\n") == 1, err
    code = main(["humanize", str(melody), "--checkpoint", str(runs["humanize"]), "--out", str(tmp_path / "y")])
    assert code == 2 and "no drum notes" in capsys.readouterr().err


def test_export_model_card_holds_what_evaluate_measures(drum_run, tmp_path, capsys):
    """scripts/export_model.py on a drum run: float16 weights when the figures hold, and a card whose figures
    are `musicae evaluate`'s on the same held-out rows."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("export_model", Path(__file__).parents[1] / "scripts" / "export_model.py")
    export_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export_model)
    table = tmp_path / "split.csv"
    table.write_text("midi_filename,split\nbeat0.mid,train\nbeat1.mid,validation\nbeat2.mid,train\n")
    assert main(["prepare", str(drum_run / "beats"), "--encoding", "drums", "--split-file", str(table),
                 "--out", str(tmp_path / "data"), "--no-cache", "--workers", "1"]) == 0
    capsys.readouterr()
    result = export_model.export(drum_run / "run", tmp_path / "model", fp16=True, heldout=tmp_path / "data",
                                 description="drums", recipe="tests")
    assert result["stored_dtype"] == "float16" and max(result["float16_check"]["differences"].values()) <= 0.001
    card = json.loads((tmp_path / "model" / "card.json").read_text())
    measured = run(capsys, "evaluate", "--checkpoint", tmp_path / "model", "--data", tmp_path / "data")
    for key in ("teacher_forced_accuracy", "sampled_accuracy", "windows"):
        assert card["figures"][key] == pytest.approx(measured[key], abs=1e-3), key


def test_the_melody_commands_take_groovae_models(groove_runs, tmp_path, capsys):
    """sample, reconstruct, interpolate and encode on a GrooVAE model: drum MIDI with its velocities and timing;
    reconstruct and interpolate read the input as the model's encoder does (the pattern, or the taps)."""
    root, runs = groove_runs
    beats = root / "beats"
    for reads, ckpt in runs.items():
        sampled = run(capsys, "sample", "--checkpoint", ckpt, "-n", 2, "--no-wav", "--out", tmp_path / f"s{reads}")
        assert [drum_midi(f) for f in sampled["files"]]
        rec = run(capsys, "reconstruct", beats / "beat1.mid", "--checkpoint", ckpt, "--no-wav", "--out",
                  tmp_path / f"r{reads}")
        performed = drum_midi(rec["reconstruction_midi"]).instruments[0].notes
        assert performed and len({n.velocity for n in performed}) > 1  # a performance: velocities vary
        path = run(capsys, "interpolate", beats / "beat0.mid", beats / "beat2.mid", "--steps", 3, "--checkpoint",
                   ckpt, "--no-wav", "--out", tmp_path / f"i{reads}")
        assert [drum_midi(f) for f in path["files"]] and path["model"] == str(ckpt)
        encoded = run(capsys, "encode", beats / "beat0.mid", "--checkpoint", ckpt, "--out", tmp_path / f"z{reads}.npy")
        z = np.load(encoded["out"])
        assert z.shape[0] == encoded["shape"][0] >= 1 and np.isfinite(z).all()
