"""The multitrack encodings on real multi-instrument files (a Bach chorale, POP909, a Groove MIDI Dataset beat):
every note of a kept bar comes back with its instrument, drum flag and velocity bin; `prepare --encoding
multitrack` accounts for every file of a folder; chords come from annotations or from the notes."""

import json
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from musicae.music.data.inputs import corpus_files, load_midi_segments, load_music21_segments
from musicae.music.encodings import multitrack_events as mt
from musicae.music.encodings.base import ExtractOptions
from musicae.music.encodings.chords import parse_chord
from musicae.music.encodings.multitrack import MULTITRACK, MULTITRACK_CHORDS
from tests.cli_helpers import run_cli

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ONE_BAR = ExtractOptions(bars=1, deduplicate=False)


def source_bars(midi: pretty_midi.PrettyMIDI, programs=None) -> dict[int, list]:
    """bar -> sorted (is_drum, program, pitch, onset step, velocity bin) of every sounding note starting in it,
    on the file's own beats at 24 steps a quarter (a constant-tempo 4/4 file)."""
    step = 60.0 / midi.get_tempo_changes()[1][0] / mt.STEPS_PER_QUARTER
    bars: dict[int, list] = {}
    for k, instrument in enumerate(midi.instruments):
        program = 0 if instrument.is_drum else (programs or {}).get(k, instrument.program)
        for n in instrument.notes:
            if n.velocity == 0:
                continue
            bar, onset = divmod(int(round(n.start / step)), mt.STEPS_PER_BAR)
            bars.setdefault(bar, []).append((instrument.is_drum, program, n.pitch, onset, mt.velocity_bin(n.velocity)))
    return {bar: sorted(notes) for bar, notes in bars.items()}


def decoded_bars(extraction) -> dict[int, list]:
    bars = {}
    for i, row in enumerate(extraction.rows["tracks"]):
        notes = mt.tokens_to_notes(row)
        bars[int(extraction.origins[i, 3])] = sorted(
            (n.is_drum, n.program, n.pitch, n.start, mt.velocity_bin(n.velocity)) for n in notes)
    return bars


def test_a_chorale_file_comes_back_note_for_note_with_its_instruments(chorales, tmp_path):
    midi = chorales["bach/bwv7.7"]  # piano, bass, oboe, clarinet
    path = tmp_path / "bwv7.7.mid"
    midi.write(str(path))
    found = MULTITRACK.extract(load_midi_segments(path), ONE_BAR, str(path))
    wanted, got = source_bars(midi), decoded_bars(found)
    assert len(got) >= 10 and set(got) <= set(wanted)
    assert all(got[bar] == wanted[bar] for bar in got)
    assert {p for bar in got.values() for _, p, *_ in bar} == {0, 33, 68, 71}


def test_the_bach_corpus_gives_its_voices_string_programs():
    chorale = next(f for f in corpus_files("bach") if f.path.name == "bwv66.6.mxl")
    found = MULTITRACK.extract(load_music21_segments(chorale.path), ONE_BAR, chorale.label)
    heads = {int(t) - mt.PROGRAM for row in found.rows["tracks"] for t in row[:, 0] if t != mt.END}
    assert len(found) >= 8 and heads == {40, 41, 42, 43}  # soprano, alto, tenor, bass: violin ... contrabass


@pytest.mark.skipif(not (SHARED / "pop909" / "001").is_dir(), reason="POP909 is not in ../shared here")
def test_a_pop909_song_gives_its_three_tracks_on_its_annotated_beats_with_chords():
    path = SHARED / "pop909" / "001" / "001.mid"
    found = MULTITRACK_CHORDS.extract(load_midi_segments(path, every_track=True), ONE_BAR, str(path))
    notes = [n for row in found.rows["tracks"] for n in mt.tokens_to_notes(row)]
    assert {n.part for n in notes} == {"Voice Oohs", "Flute", "Acoustic Grand Piano"}
    # the file declares another meter; its beat annotations make 4/4 bars, the chords annotated per sixteenth
    chords = found.rows["chords"]
    assert len(found) > 40 and chords.shape == (len(found), mt.MAX_TRACKS, 16)
    assert (chords == chords[:, :1]).all()  # the same bar of chords on every track's line
    annotated = [line.split()[2] for line in (path.parent / "chord_midi.txt").read_text().splitlines() if line.strip()]
    assert set(np.unique(chords)) - {0} <= {parse_chord(name) for name in annotated}


@pytest.mark.skipif(not (SHARED / "groove").is_dir(), reason="the Groove MIDI Dataset is not in ../shared here")
def test_a_groove_beat_keeps_its_hits_and_velocity_bins():
    path = SHARED / "groove" / "drummer1" / "session1" / "101_dance-disco_120_beat_4-4.mid"
    midi = pretty_midi.PrettyMIDI(str(path))
    found = MULTITRACK.extract(load_midi_segments(path), ONE_BAR, str(path))
    wanted, got = source_bars(midi), decoded_bars(found)
    assert got and all(got[bar] == wanted[bar] for bar in got)
    assert all(drum for bar in got.values() for drum, *_ in bar)
    refused = {k: v for k, v in found.counts.items() if k.startswith("refused")}
    assert refused.get("refused_track_too_busy", 0) > 0  # busy human bars exceed 62 events: counted, not cut


def test_prepare_accounts_for_every_file_and_chords_are_inferred(chorales, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, midi in chorales.items():
        midi.write(str(folder / (name.replace("/", "_") + ".mid")))
    waltz = pretty_midi.PrettyMIDI(initial_tempo=120)
    waltz.time_signature_changes.append(pretty_midi.TimeSignature(3, 4, 0))
    piano = pretty_midi.Instrument(0)
    piano.notes += [pretty_midi.Note(80, 60 + i % 5, i * 0.5, i * 0.5 + 0.4) for i in range(24)]
    waltz.instruments.append(piano)
    waltz.write(str(folder / "waltz.mid"))
    (folder / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    (folder / "empty.mid").write_bytes(b"")
    out = tmp_path / "prepared"
    code, stdout, _ = run_cli(capsys, "prepare", folder, "--encoding", "multitrack", "--chords", "--out", out,
                              "--workers", "1", "--no-cache", "--valid-fraction", "0")
    assert code == 0
    stats = json.loads(stdout)
    records = {Path(json.loads(line)["source"]).name: json.loads(line)
               for line in (out / "manifest.jsonl").read_text().splitlines()}
    assert set(records) == {"bach_bwv66.6.mid", "bach_bwv7.7.mid", "waltz.mid", "broken.mid", "empty.mid"}
    assert records["waltz.mid"]["reason"] == "meter" and "3/4" in records["waltz.mid"]["detail"]
    assert records["broken.mid"]["status"] == "error" and records["empty.mid"]["reason"] == "empty_file"
    assert stats["encoding"] == "multitrack_chords" and stats["steps"] == mt.MAX_TRACKS
    chords = np.load(out / "train-chords-00000.npy")
    # the chorales' chords inferred from their four voices: mostly real chords, changing within bars
    assert (chords[:, 0] != 0).mean() > 0.9 and len(np.unique(chords)) > 10
