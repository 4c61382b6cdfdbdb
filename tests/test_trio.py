"""MusicVAE's trio (hierdec-trio_16bar) on small multi-instrument files the test writes: parts assigned by GM
program as MusicVAE assigns them, every file accounted for, a tiny model with one decoder per part trained and
sampled into melody, bass and drums."""

import json

import numpy as np
import pretty_midi
import pytest
import torch

from musicae.music.data.inputs import load_midi_segments
from musicae.music.encodings.base import ExtractOptions
from musicae.music.encodings.trio import TRIO
from tests.cli_helpers import run_cli

SCALE = (60, 62, 64, 65, 67, 69, 71, 72)


def band(path, bars: int = 18, melody_program: int = 0, bass_program: int = 33, drums: bool = True):
    """A 120-qpm 4/4 file: a melody (quarter notes up and down a scale), a bass on each half bar, a rock beat."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    lead = pretty_midi.Instrument(melody_program, name="lead")
    bass = pretty_midi.Instrument(bass_program, name="bass")
    kit = pretty_midi.Instrument(0, is_drum=True, name="drums")
    for beat in range(bars * 4):
        t = beat * 0.5
        lead.notes.append(pretty_midi.Note(90, SCALE[(beat * 3 + bars) % len(SCALE)], t, t + 0.45))
        if beat % 2 == 0:
            bass.notes.append(pretty_midi.Note(80, (36, 43, 41, 38)[(beat // 2) % 4], t, t + 0.9))
        kit.notes.append(pretty_midi.Note(100, 36 if beat % 2 == 0 else 38, t, t + 0.1))
        kit.notes.append(pretty_midi.Note(70, 42, t + 0.25, t + 0.3))
    midi.instruments += [lead, bass] + ([kit] if drums else [])
    midi.write(str(path))
    return path


def test_parts_follow_musicvaes_programs_and_come_back_as_melody_bass_and_drums(tmp_path):
    path = band(tmp_path / "band.mid")
    found = TRIO.extract(load_midi_segments(path), ExtractOptions(bars=16, deduplicate=False))
    assert len(found) == 3  # windows at bars 0, 1, 2 of 18
    row = found.rows.row(1)
    notes = TRIO.to_notes(row)
    midi = pretty_midi.PrettyMIDI(str(path))
    lead = [n.pitch for n in midi.instruments[0].notes if 2 <= n.start < 34]  # bars 1..16, 2 s a bar
    assert [n.pitch for n in notes if n.part == "melody"] == lead and len(lead) == 64
    assert {n.pitch for n in notes if n.part == "bass"} == {36, 43, 41, 38}
    assert {n.pitch for n in notes if n.is_drum} == {36, 38, 42}
    strings = TRIO.extract(load_midi_segments(band(tmp_path / "strings.mid", melody_program=40)),
                           ExtractOptions(bars=16))
    assert strings.reason == "no_melody"  # a violin (40) is not a trio melody in MusicVAE's assignment
    plain = TRIO.extract(load_midi_segments(band(tmp_path / "nodrums.mid", drums=False)), ExtractOptions(bars=16))
    assert plain.reason == "no_drums"


@pytest.fixture(scope="module")
def trio_run(tmp_path_factory):
    from musicae.music.models.training import train_sequence_vae

    folder = tmp_path_factory.mktemp("trio_inputs")
    for i, program in enumerate((0, 4, 24, 30)):
        band(folder / f"band{i}.mid", bars=20 + i, melody_program=program, bass_program=32 + i)
    band(folder / "strings.mid", melody_program=48)
    (folder / "notes.mid").write_bytes(b"not a midi file")
    data = folder.parent / "trio_data"
    from tests.cli_helpers import main

    assert main(["prepare", str(folder), "--encoding", "trio", "--out", str(data), "--workers", "1", "--no-cache",
                 "--valid-fraction", "0"]) == 0
    run = folder.parent / "trio_run"
    train_sequence_vae(data, run, "trio_16bar_tiny", steps=30, device="cpu", progress=False, eval_every=0,
                       checkpoint_every=30)
    return data, run


def test_prepare_accounts_for_every_file_and_a_tiny_trio_samples_three_parts(trio_run, tmp_path, capsys):
    data, run = trio_run
    records = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    by_name = {r["source"].rsplit("/", 1)[-1]: r for r in records}
    assert len(by_name) == 6 and by_name["strings.mid"]["reason"] == "no_melody"
    assert by_name["notes.mid"]["status"] == "error" and by_name["band3.mid"]["windows"] > 0
    code, stdout, _ = run_cli(capsys, "sample", "--checkpoint", run, "-n", "2", "--out", tmp_path / "s", "--no-wav",
                              "--no-png", "--temperature", "1.0")
    assert code == 0
    midi = pretty_midi.PrettyMIDI(json.loads(stdout)["files"][0])
    assert [(i.name, i.program, i.is_drum) for i in midi.instruments] == [("melody", 0, False), ("bass", 33, False),
                                                                          ("drums", 0, True)]


def test_each_part_has_its_own_decoder_under_the_conductor(trio_run):
    from musicae.music.data.prepare import load_streams
    from musicae.music.inference.trained_model import TrainedModel

    data, run = trio_run
    model = TrainedModel.load(run).model
    assert set(model.decoder.bar.cores) == {"melody", "bass", "drums"}
    rows = load_streams(data, "train").take(slice(0, 2))
    batch = {k: torch.as_tensor(v.astype(np.int64)) for k, v in rows.items()}
    z = model.encode(batch).mean
    before = model.teacher_forced(z, batch)
    other = dict(batch, bass=torch.roll(batch["bass"], 5, dims=1), drums=torch.zeros_like(batch["drums"]))
    after = model.teacher_forced(z, other)
    torch.testing.assert_close(after["melody"], before["melody"])  # the melody reads only its own steps
    assert not torch.allclose(after["bass"], before["bass"])
