"""16-bar models through every command, the paper's sampled accuracy, and the hierarchical decoder's speed
contract (teacher forcing decodes all bars of all windows as one batch)."""

import json

import numpy as np
import pretty_midi
import pytest
import torch

from musicae.cli import main
from musicae.music.encodings.melody import FIRST_PITCH_CLASS
from musicae.music.inference.conversions import windows_from_midi_file
from musicae.music.models import decoders
from musicae.music.models import sequence_vae as models
from musicae.music.models.configs import get_config
from musicae.music.models.evaluation import evaluate_windows
from tests.cli_helpers import one_output
from tests.midi_bytes import notes_file
from tests.music_helpers import untrained_model

SECONDS_PER_BAR = 2.0  # 16 sixteenths at the 120 qpm the MIDI writer uses


def melody(bars: int, seed: int) -> list[tuple[int, int, int]]:
    """A monophonic line of `bars` bars: notes of 1 to 4 sixteenths, a rest now and then."""
    rng = np.random.default_rng(seed)
    notes, t = [], 0
    while t < bars * 16:
        length = int(rng.integers(1, 5))
        if rng.random() > 0.15:
            notes.append((int(rng.integers(60, 80)), t, min(t + length, bars * 16)))
        t += length
    return notes


@pytest.fixture(scope="module")
def tiny16(tmp_path_factory):
    return untrained_model(tmp_path_factory.mktemp("tiny16") / "model", "mel_16bar_tiny")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    for name, bars, seed in (("a", 20, 1), ("b", 33, 2), ("short", 8, 3)):
        (root / f"{name}.mid").write_bytes(notes_file([melody(bars, seed)]))
    return root


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured


def test_sixteen_bar_interpolation_writes_one_midi_per_step_the_path_a_roll_and_a_wav(tiny16, inputs, tmp_path, capsys):
    code, out = run(capsys, "interpolate", inputs / "a.mid", inputs / "b.mid", "--checkpoint", tiny16, "--steps", 5,
                    "--out", tmp_path)
    assert code == 0, out.err
    result = json.loads(out.out)
    assert len(result["files"]) == 5 and result["windows_per_step"] == 1  # 20 bars hold one 16-bar window
    for f in result["files"]:
        notes = pretty_midi.PrettyMIDI(f).instruments[0].notes
        assert notes and max(n.end for n in notes) <= 16 * SECONDS_PER_BAR + 1e-6
    whole = pretty_midi.PrettyMIDI(result["path_midi"]).instruments[0].notes
    assert max(n.end for n in whole) > 4 * 16 * SECONDS_PER_BAR  # five 16-bar steps back to back
    assert one_output(tmp_path, "path.png").stat().st_size > 1000 and one_output(tmp_path, "path.wav").stat().st_size > 1000


def test_sixteen_bar_reconstruct_sample_and_encode(tiny16, inputs, tmp_path, capsys):
    code, out = run(capsys, "reconstruct", inputs / "b.mid", "--checkpoint", tiny16, "--out", tmp_path / "r")
    assert code == 0, out.err
    result = json.loads(out.out)
    assert result["windows"] == 2  # 33 bars: two whole 16-bar windows
    rebuilt = pretty_midi.PrettyMIDI(result["reconstruction_midi"]).instruments[0].notes
    assert rebuilt and max(n.end for n in rebuilt) <= 2 * 16 * SECONDS_PER_BAR + 1e-6
    original = windows_from_midi_file(result["input_midi"], 16, encoding="melody").windows
    np.testing.assert_array_equal(original, windows_from_midi_file(inputs / "b.mid", 16, encoding="melody").windows)

    code, out = run(capsys, "sample", "--checkpoint", tiny16, "-n", 3, "--out", tmp_path / "s")
    assert code == 0, out.err
    for f in json.loads(out.out)["files"]:
        pretty_midi.PrettyMIDI(f)  # parses
    code, out = run(capsys, "encode", inputs / "a.mid", inputs / "short.mid", "--checkpoint", tiny16,
                    "--out", tmp_path / "z")
    assert code == 0, out.err
    result = json.loads(out.out)
    assert result["shape"] == [5, 8]  # 20 bars, sliding one bar: 5 windows of 16 bars
    assert len(result["failed"]) == 1 and "short.mid" in result["failed"][0]


@pytest.mark.parametrize("command", ["reconstruct", "interpolate"])
def test_an_input_shorter_than_sixteen_bars_gets_one_line(tiny16, inputs, tmp_path, capsys, command):
    files = [inputs / "short.mid"] + ([inputs / "a.mid"] if command == "interpolate" else [])
    code, out = run(capsys, command, *files, "--checkpoint", tiny16, "--out", tmp_path)
    assert code == 2
    message = out.err.strip()
    assert len(message.splitlines()) == 1 and "short.mid" in message and "16-bar" in message, message
    assert "Traceback" not in out.err


@pytest.mark.parametrize("config, batch", [("mel_16bar_tiny", (3 * 16, 16)), ("mel_16bar_hier2_tiny", (3 * 8, 32))])
def test_hierarchical_teacher_forcing_is_one_batched_call_not_a_loop(monkeypatch, config, batch):
    """All bars (or 2-bar segments) of all windows go through the bar decoder as one (B*U, S) batch."""
    cfg = get_config(config)
    model = models.SequenceVAE(cfg).eval()
    shapes = []
    real = decoders.ConditionedLSTM.forward

    def spy(self, cond, previous, controls, state=None):
        shapes.append(tuple(previous["notes"].shape))
        return real(self, cond, previous, controls, state)

    monkeypatch.setattr(decoders.ConditionedLSTM, "forward", spy)
    tokens = torch.randint(0, 90, (3, 256))
    model.teacher_forced_logits(torch.randn(3, cfg.z_dim), tokens)
    assert shapes == [batch]


def test_sampled_accuracy_at_temperature_near_zero_is_the_greedy_accuracy(folk_windows):
    torch.manual_seed(0)
    model = models.SequenceVAE(get_config("mel_2bar_tiny")).eval()
    windows = folk_windows[:64]
    greedy = evaluate_windows(model, windows, batch_size=64, sampled_temperature=0.0)
    near_zero = evaluate_windows(model, windows, batch_size=64, sampled_temperature=1e-6)
    hot = evaluate_windows(model, windows, batch_size=64, sampled_temperature=1.0)
    assert near_zero["sampled_accuracy"] == greedy["sampled_accuracy"]
    assert hot["sampled_accuracy"] != greedy["sampled_accuracy"]
    # the same z (drawn first from the seed), decoded greedily by hand
    generator = torch.Generator().manual_seed(0)
    tokens = torch.as_tensor(windows).long()
    z = model.encode(tokens).rsample(generator=generator)
    by_hand = float((model.decode(z, temperature=0.0)["notes"] == tokens).float().mean())
    assert greedy["sampled_accuracy"] == round(by_hand, 4)
    predicted = model.teacher_forced_logits(z, tokens).argmax(-1)
    onsets = tokens >= FIRST_PITCH_CLASS
    assert greedy["onset_accuracy"] == round(float((predicted == tokens)[onsets].float().mean()), 4)
    for key in ("teacher_forced_accuracy", "free_running_accuracy", "nll", "kl_bits"):  # round 1's keys are kept
        assert key in greedy


def test_coupled_segments_decode_segments_the_conductor_made_alike_into_the_same_notes():
    """With one code for every segment (the conductor's weights zeroed), coupled draws give the same notes in
    every segment after the first (each starts from the last note of one alike); independent draws do not."""
    torch.manual_seed(0)
    model = models.SequenceVAE(get_config("mel_16bar_tiny")).eval()
    with torch.no_grad():
        model.decoder.conductor.weight_ih_l0.zero_()
        model.decoder.conductor.weight_hh_l0.zero_()
        model.decoder.conductor_init.weight.zero_()
    z = torch.randn(6, model.cfg.z_dim)
    steps = model.cfg.steps_per_bar

    def segments(coupled: bool, seed: int) -> torch.Tensor:  # (B, 16 bars, 16 steps)
        tokens = model.decode(z, 1.0, generator=torch.Generator().manual_seed(seed), coupled_segments=coupled)
        return tokens["notes"].reshape(len(z), 16, steps)

    coupled = segments(True, 1)
    assert (coupled[:, 1:] == coupled[:, 1:2]).all()
    independent = segments(False, 1)
    assert (independent[:, 1:] != independent[:, 1:2]).any(-1).float().mean() > 0.5
    # still a draw: another seed gives other notes, the same seed the same
    assert (segments(True, 2) != coupled).any() and torch.equal(segments(True, 1), coupled)
    # teacher forcing and evaluation are untouched: the paper's sampled accuracy draws each segment afresh
    assert torch.equal(model.decode(z, 1.0, generator=torch.Generator().manual_seed(1))["notes"].reshape(6, 16, steps),
                       independent)
