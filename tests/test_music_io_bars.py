"""Windows know where they came from (bars count from the start of the file); in-memory I/O; generation
randomness comes only from the seed given; the encoding registry drives extraction and conditioning."""

import io
import json
import re
import threading
import wave
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch
from midi_bytes import notes_file

from musicae.cli import main
from musicae.music.encodings.melody import windows_to_midi
from musicae.music.inference.conversions import (
    NoWindows,
    midi_bytes,
    png_of,
    wav_of,
    window_at_bar,
    windows_from_midi_bytes,
)

# The first track is drums; the melody sits on the second track: 3 bars of rest, 3 bars of tune,
# a 2-bar gap, then 2 more bars. Bars are 16 steps.
TUNE = [(60 + (i % 5), 48 + 4 * i, 52 + 4 * i) for i in range(12)]  # bars 3..5
AFTER_GAP = [(72 - (i % 3), 128 + 4 * i, 132 + 4 * i) for i in range(8)]  # bars 8..9


def late_melody() -> bytes:
    drums = [(36, 4 * i, 4 * i + 1) for i in range(40)]
    return notes_file([drums, TUNE + AFTER_GAP], drums=(0,))


def test_windows_count_bars_from_the_start_of_the_file():
    extraction = windows_from_midi_bytes(late_melody(), bars=2, hop_bars=1, name="late.mid", encoding="melody")
    assert extraction.origins[:, 3].tolist() == [3, 4, 8]  # start bars
    assert set(extraction.origins[:, 1].tolist()) == {1}  # the second track (0 is the drums)
    assert extraction.origins[:, 2].tolist() == [48, 64, 128]  # start steps
    first = window_at_bar(extraction, 3, "late.mid")
    assert first[0, 0] == 60 - 19  # the tune's first note, on the window's first step
    with pytest.raises(NoWindows, match=r"--bar 0: no window starts at bar 0; windows start at bars 3, 4, 8"):
        window_at_bar(extraction, 0, "late.mid")


def test_cli_bar_and_encode_start_bar(tmp_path, capsys):
    path = tmp_path / "late.mid"
    path.write_bytes(late_melody())
    other = windows_to_midi(np.array([[41] + [0] * 31]), tmp_path / "one.mid")
    assert main(["interpolate", str(path), str(other), "--bar", "8", "--bar-b", "0", "--steps", "2", "--no-wav",
                 "--out", str(tmp_path / "i")]) == 0
    result = json.loads(capsys.readouterr().out)
    a = windows_from_midi_bytes(late_melody(), 2, 1, encoding="melody").windows[2]
    assert result["windows_per_step"] == 1
    assert main(["encode", str(path), "--out", str(tmp_path / "z")]) == 0
    capsys.readouterr()
    rows = json.loads((tmp_path / "z.json").read_text())["windows"]
    assert [(r["start_bar"], r["track"], r["start_step"]) for r in rows] == [(3, 1, 48), (4, 1, 64), (8, 1, 128)]
    assert a[0] == 72 - 19


def test_in_memory_round_trip_and_renderings(folk_windows):
    windows = folk_windows[:3]
    data = midi_bytes(windows, encoding="melody")
    assert data[:4] == b"MThd"
    np.testing.assert_array_equal(windows_from_midi_bytes(data, 2, encoding="melody").windows, windows)
    audio, synth = wav_of(windows, encoding="melody")
    with wave.open(io.BytesIO(audio)) as f:  # 3 windows of 2 bars at 120 bpm: 12 s, in stereo at 44.1 kHz
        assert f.getnframes() > 44100 * 11 and f.getnchannels() == 2 and f.getframerate() == 44100
        assert synth in ("synth", "tinysoundfont", "fluidsynth")
    png = png_of(list(windows), ["a", "b", "c"], "three", encoding="melody")
    assert png[:4] == b"\x89PNG"
    with pytest.raises(NoWindows, match="upload.mid: not a MIDI file"):
        windows_from_midi_bytes(b"hello", 2, name="upload.mid", encoding="melody")


def test_same_seed_same_samples_in_any_thread():
    from musicae.music.inference.trained_model import TrainedModel

    model = TrainedModel.load()
    state = torch.get_rng_state()
    reference = model.sample(4, temperature=1.0, seed=7)
    assert torch.equal(torch.get_rng_state(), state)  # the global RNG was not touched
    results = [None] * 4

    def work(i):
        results[i] = model.sample(4, temperature=1.0, seed=7)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    torch.manual_seed(123)  # the main thread's global RNG moves meanwhile
    torch.rand(1000)
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, reference)
    assert not np.array_equal(model.sample(4, temperature=1.0, seed=8), reference)


def test_no_global_seeding_in_library_code():
    """torch.manual_seed appears only in the core's `seeded` helper, inside `fork_rng`."""
    root = Path(__file__).resolve().parents[1]
    allowed = {"musicae/autoencoding/device.py"}
    for path in [*root.glob("musicae/**/*.py"), *root.glob("image_ae/**/*.py")]:
        text = path.read_text()
        relative = str(path.relative_to(root))
        for match in re.finditer(r"(?<!Generator\(\)\.)(?<!\)\.)torch\.manual_seed\(", text):
            assert relative in allowed, f"{relative}: global torch.manual_seed"
            block = text[max(0, match.start() - 200) : match.start()]
            assert "fork_rng" in block, f"{relative}: torch.manual_seed outside a fork_rng block"
        assert "np.random.seed(" not in text and "random.seed(" not in text.replace("np.random.seed(", ""), relative


def test_evaluate_limit_takes_a_fixed_random_subset(tmp_path, capsys, folk_windows):
    from musicae.cli import limited_subset
    from musicae.music.data.prepare import PrepareOptions, load_windows, write_dataset
    from musicae.music.inference.trained_model import TrainedModel
    from musicae.music.models.evaluation import evaluate_windows

    results = [({"source": f"s{i}", "status": "ok", "reason": None, "detail": "", "windows": 1}, folk_windows[i:i + 1])
               for i in range(150)]
    write_dataset(tmp_path / "data", results, PrepareOptions(valid_fraction=0.0))
    picked = limited_subset(150, 50)
    assert len(set(picked.tolist())) == 50 and picked.max() > 100  # not the first 50
    np.testing.assert_array_equal(picked, limited_subset(150, 50))  # fixed
    assert main(["evaluate", "--data", str(tmp_path / "data"), "--split", "train", "--limit", "50"]) == 0
    cli = json.loads(capsys.readouterr().out)
    windows = load_windows(tmp_path / "data", "train")
    assert cli == evaluate_windows(TrainedModel.load().model, windows[picked])


def test_a_conditioned_encoding_drives_the_sequence_vae(monkeypatch, tmp_path):
    """Per-step controls reach encoder and decoder: a tiny model learns tokens that only the controls
    predict; a new encoding is one class and its registry line (registered here for this test only)."""
    from musicae.autoencoding.batch import StreamData
    from musicae.autoencoding.trainer import Trainer, TrainerConfig
    from musicae.music.encodings.base import ENCODINGS, SequenceEncoding, Stream, get_encoding
    from musicae.music.models.configs import get_config
    from musicae.music.models.sequence_vae import SequenceVAE

    class EchoEncoding(SequenceEncoding):  # 4 token classes, each step's token = its control
        name, steps_per_bar = "echo", 4
        streams = (Stream("tokens", classes=4), Stream("cue", classes=4, role="control"))

    monkeypatch.setitem(ENCODINGS._items, "echo", EchoEncoding())
    assert [s.role for s in get_encoding("echo").streams] == ["output", "control"]
    cfg = get_config("mel_2bar_tiny", encoding="echo", z_dim=2, max_beta=1.0, beta_rate=0.0)
    model = SequenceVAE(cfg)
    cues = torch.randint(0, 4, (64, cfg.steps), generator=torch.Generator().manual_seed(0))
    Trainer(model, StreamData({"tokens": cues.clone(), "cue": cues}), TrainerConfig(steps=150, batch_size=32, lr=1e-2,
            progress=False, eval_every=0, checkpoint_every=10**6), tmp_path / "run", {"kind": "x", "config": {}}).fit()
    fresh = torch.randint(0, 4, (8, cfg.steps), generator=torch.Generator().manual_seed(1))
    decoded = model.decode(torch.zeros(8, 2), controls={"cue": fresh})["tokens"]
    assert (decoded == fresh).float().mean() > 0.95
    with pytest.raises(ValueError, match="needs per-step controls"):
        model.decode(torch.zeros(1, 2))

def test_pretty_midi_reads_what_we_write(folk_windows):
    midi = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes(folk_windows[:2], encoding="melody")))
    assert midi.instruments[0].notes


def test_the_fallback_synth_does_not_click(folk_windows, monkeypatch):
    from musicae.music.inference import render

    monkeypatch.setattr(render, "find_soundfont", lambda: None)
    monkeypatch.setattr(render, "packaged_soundfont", lambda: None)
    audio, synth = wav_of(folk_windows[:2], encoding="melody")
    assert synth == "synth"
    with wave.open(io.BytesIO(audio)) as f:
        pcm = np.frombuffer(f.readframes(f.getnframes()), np.int16).reshape(-1, 2)
    assert np.abs(pcm).max() > 10000  # it sounds
    for pitch, seconds in ((60, 0.25), (84, 0.125), (48, 1.0)):  # each note fades in and out: no step at its ends
        tone = render._tone(pitch, seconds, 44100)
        assert abs(tone[0]) < 0.01 * np.abs(tone).max() and abs(tone[-1]) < 0.01 * np.abs(tone).max()


def test_fluidsynth_renders_when_installed(folk_windows):
    import shutil

    from musicae.music.inference.render import find_soundfont

    if not (shutil.which("fluidsynth") and find_soundfont()):
        pytest.skip("fluidsynth and a General MIDI SoundFont are not installed (Debian: fluidsynth fluid-soundfont-gm)")
    audio, synth = wav_of(folk_windows[:2], encoding="melody")
    assert synth == "fluidsynth"
    with wave.open(io.BytesIO(audio)) as f:
        assert f.getnchannels() == 2 and f.getnframes() > 44100 * 7
        pcm = np.frombuffer(f.readframes(f.getnframes()), np.int16)
    assert np.abs(pcm).max() > 1000


def test_tinysoundfont_plays_pretty_midis_soundfont(folk_windows, monkeypatch):
    pytest.importorskip("tinysoundfont", reason="tinysoundfont is installed by scripts/env.sh (pip --no-deps)")
    from musicae.music.inference import render

    monkeypatch.setattr(render, "find_soundfont", lambda: None)  # no system SoundFont: pretty_midi's TimGM6mb
    audio, synth = wav_of(folk_windows[:2], encoding="melody")
    assert synth == "tinysoundfont"
    with wave.open(io.BytesIO(audio)) as f:
        pcm = np.frombuffer(f.readframes(f.getnframes()), np.int16).reshape(-1, 2)
    assert f.getframerate() == 44100 and len(pcm) > 44100 * 7 and np.abs(pcm).max() > 10000


def test_piano_rolls_wrap_long_tunes_and_name_their_notes():
    from musicae.music.encodings.base import Note
    from musicae.music.inference import render

    tune = [Note(60 + i % 5, 4 * i, 4 * i + 4, 90, "melody") for i in range(128)]  # 32 bars of quarter notes
    lines, labels, steps, _ = render._wrapped([tune], ["input"], 512, 16, "")
    assert len(lines) == 4 and steps == 128 and labels[0].startswith("input") and labels[1] == "bar 9"
    assert [len(line) for line in lines] == [32] * 4 and all(0 <= n.start < 128 for line in lines for n in line)
    assert lines[1][0].pitch == tune[32].pitch and lines[1][0].start == 0  # each line starts at its own bar
    ticks, names = render._pitch_ticks(58, 76)  # MIDI 60 is C4, 76 is E5
    assert names == ["C4", "E4", "G4", "C5", "E5"] and ticks[0] == 60
    png = render.piano_roll_png([tune], ["input"], "32 bars")
    assert png[:4] == b"\x89PNG"


def test_a_note_left_on_cannot_make_a_render_run_forever():
    """A MIDI file whose note-on comes after its own note-off at one tick leaves a sustained note sounding for
    ever: FluidSynth rendered an 11 GB WAV of it before anything stopped it. The render is ended by "all notes
    off" at the music's end and bounded by the music's length; whatever synthesizer plays it, the WAV lasts the
    music and its release."""
    import mido

    from musicae.music.inference.render import RELEASE_SECONDS, wav_bytes

    song = mido.MidiFile(ticks_per_beat=220)
    track = mido.MidiTrack()
    track.append(mido.Message("program_change", program=52, time=0))  # choir: a voice that holds
    track.append(mido.Message("note_on", note=60, velocity=90, time=0))
    track.append(mido.Message("note_on", note=60, velocity=0, time=440))
    track.append(mido.Message("note_on", note=64, velocity=0, time=440))  # the off first, then its on: stuck
    track.append(mido.Message("note_on", note=64, velocity=90, time=0))
    song.tracks.append(track)
    buffer = io.BytesIO()
    song.save(file=buffer)
    midi = pretty_midi.PrettyMIDI(io.BytesIO(buffer.getvalue()))
    data, synth = wav_bytes(midi)
    with wave.open(io.BytesIO(data)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
    assert 1.0 < seconds <= midi.get_end_time() + RELEASE_SECONDS, (synth, seconds)


def test_a_multitrack_note_on_at_the_bar_line_is_no_note():
    from musicae.music.encodings import multitrack_events as mt

    row = np.full((mt.MAX_TRACKS, mt.TRACK_TOKENS), mt.END)
    row[0, :6] = [mt.PROGRAM + 43, mt.NOTE_ON + 47, mt.SHIFT + 95, mt.NOTE_OFF + 47, mt.NOTE_ON + 52, mt.END]
    notes = mt.tokens_to_notes(row)  # the second note would start at step 96, the next bar's first
    assert [(n.pitch, n.start, n.end) for n in notes] == [(47, 0, 96)]
