"""16-bar models of 2-bar segments started from a trained 2-bar model (`musicae train --init-from`): each
segment is read and written exactly as the 2-bar model would, misfits are refused before a run is touched."""

import json

import pytest
import torch

from musicae.cli import main
from musicae.music.models import sequence_vae as models
from musicae.music.models.configs import get_config
from tests.music_helpers import untrained_model


@pytest.fixture(scope="module")
def two_bar(tmp_path_factory):
    return untrained_model(tmp_path_factory.mktemp("two_bar") / "model", "mel_2bar_tiny", seed=3)


def untrained_multitrack(directory, config: str):
    from musicae.autoencoding.checkpoint import save_model
    from musicae.autoencoding.runs import model_record
    from musicae.music.models.multitrack_configs import MULTITRACK_CONFIGS
    from musicae.music.models.multitrack_vae import MultitrackVAE

    cfg = MULTITRACK_CONFIGS[config]
    return save_model(directory, MultitrackVAE(cfg), model_record(cfg))


def loaded(path):
    from musicae.music.inference.trained_model import TrainedModel

    return TrainedModel.load(path).model


def test_init_from_makes_every_segment_the_two_bar_model(two_bar):
    source = loaded(two_bar)
    torch.manual_seed(0)
    model = models.SequenceVAE(get_config("mel_16bar_hier2_tiny")).eval()
    tokens = torch.randint(0, 90, (2, 256))
    segments = tokens.reshape(16, 32)  # 2 windows x 8 two-bar segments
    before = model.encoder.segment({"notes": segments}).mean
    copied = model.init_from(source)
    assert copied and all(name.startswith(("encoder.segment.", "decoder.bar.")) for name in copied)
    after = model.encoder.segment({"notes": segments}).mean
    torch.testing.assert_close(after, source.encode(segments).mean)
    assert not torch.allclose(before, after)
    # the segment decoder turns a code into logits exactly as the 2-bar decoder turns z into them
    codes = torch.randn(16, 8)
    bar_params, _ = model.decoder.bar(codes, source.shift_right({"notes": segments}), {})
    bar_logits = bar_params["notes"]
    torch.testing.assert_close(bar_logits, source.teacher_forced_logits(codes, segments))
    # ...and the whole model still decodes 16 bars, its segments in one batched call
    assert model.decode(torch.randn(2, 16))["notes"].shape == (2, 256)


@pytest.mark.parametrize("config, source_config, reason", [
    ("mel_16bar_tiny", "mel_2bar_tiny", "1-bar segments"),  # MusicVAE's 1-bar layout has no 2-bar segments
    ("mel_16bar_hier2_tiny", "mel_2bar_chords_tiny", "melody_chords"),
    ("mel_16bar_hier2_tiny", "mel_16bar_tiny", "hierarchical 16-bar"),
    ("mel_2bar_tiny", "drums_2bar_tiny", "drums model"),  # a whole flat model of another encoding
    ("mel_2bar_tiny", "multitrack_1bar_tiny", "MultitrackVAE"),  # another kind of model
    ("multitrack_1bar_tiny", "mel_2bar_tiny", "starts only from a multitrack model"),  # never silently ignored
])
def test_a_misfit_is_one_line_and_leaves_the_run_in_out_alone(tmp_path, capsys, config, source_config, reason):
    source = untrained_model(tmp_path / "source", source_config) if not source_config.startswith("multitrack") \
        else untrained_multitrack(tmp_path / "source", source_config)
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "metrics.jsonl").write_text('{"step": 1}\n')
    code = main(["train", "--data", str(tmp_path / "nowhere"), "--config", config, "--init-from", str(source),
                 "--out", str(run), "--overwrite", "--steps", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and reason in err, err
    assert (run / "metrics.jsonl").read_text() == '{"step": 1}\n' and (run / "checkpoints").is_dir()


def test_a_misfit_on_resume_of_a_run_not_yet_begun_leaves_no_folder(folk_midi_dir, tmp_path, capsys):
    """The recipes pass `--resume` with a stage's whole settings, so that a run killed before its first
    checkpoint starts again as that stage: with nothing to resume, the warm start is made, and one that does
    not fit is refused in one line with no run folder left behind."""
    data = tmp_path / "data"
    assert main(["prepare", str(folk_midi_dir), "--out", str(data), "--workers", "1", "--no-cache"]) == 0
    source = untrained_model(tmp_path / "drums", "drums_2bar_tiny")
    capsys.readouterr()
    run = tmp_path / "run"
    code = main(["train", "--data", str(data), "--config", "mel_2bar_tiny", "--init-from", str(source), "--resume",
                 "--out", str(run), "--steps", "1", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "drums model" in err[-1] and not err[-1].startswith("Traceback"), err
    assert not run.exists()


def test_init_from_a_path_that_does_not_exist_names_it(tmp_path, capsys):
    code = main(["train", "--data", str(tmp_path), "--config", "mel_16bar_hier2_tiny", "--init-from",
                 str(tmp_path / "missing"), "--out", str(tmp_path / "run"), "--steps", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "missing" in err, err


def test_train_init_from_starts_from_the_two_bar_weights_and_resume_keeps_its_own(folk_midi_dir, two_bar, tmp_path,
                                                                                  capsys):
    data = tmp_path / "data16"
    assert main(["prepare", str(folk_midi_dir), "--out", str(data), "--bars", "16", "--any-meter", "--workers", "1",
                 "--no-cache"]) == 0
    run = tmp_path / "run"
    args = ["train", "--data", str(data), "--config", "mel_16bar_hier2_tiny", "--init-from", str(two_bar),
            "--out", str(run), "--steps", "1", "--eval-every", "0", "--no-progress"]
    assert main(args) == 0
    capsys.readouterr()
    trained = loaded(run)
    source = loaded(two_bar)
    one_step = trained.encoder.segment.lstm.weight_hh_l0
    # one Adam step moves each weight by about the learning rate (1e-3): it started from the 2-bar weights
    assert (one_step - source.encoder.lstm.weight_hh_l0).abs().max() < 5e-3
    record = json.loads((sorted((run / "checkpoints").glob("step-*"))[-1] / "config.json").read_text())
    assert str(two_bar) in json.dumps(record)
    other = untrained_model(tmp_path / "other", "mel_2bar_tiny", seed=7)
    resume = args[:6] + [str(other), "--out", str(run), "--steps", "2", "--resume", "--eval-every", "0",
                          "--no-progress"]
    assert main(resume) == 0
    resumed = loaded(run).encoder.segment.lstm.weight_hh_l0
    assert (resumed - one_step).abs().max() < 5e-3  # went on from step 1: the stored weights win on --resume
    assert (resumed - loaded(other).encoder.lstm.weight_hh_l0).abs().max() > 0.05


@pytest.mark.parametrize("config, steps, misfits", [
    ("mel_2bar_tiny", 32, [({"decoder_hidden": 72}, "decoder"), ({"bars": 4}, "4 bars")]),
    ("mel_16bar_hier2_tiny", 256, [({"conductor_span": 4}, "own layout")]),
])
def test_a_model_starts_whole_from_one_of_its_own_layout(tmp_path, config, steps, misfits):
    """A new run goes on from trained weights with other settings (a high-KL second stage: more free bits), a
    16-bar model conductor, segments and all: every tensor is the trained model's, so it reads and writes
    windows as that model does. Another size or layout is refused, naming what differs."""
    from dataclasses import replace

    source = loaded(untrained_model(tmp_path / "source", config, seed=5)).eval()
    model = models.SequenceVAE(replace(source.cfg, free_bits=1024.0)).eval()
    tokens = torch.randint(0, 90, (2, steps))
    assert not torch.allclose(model.encode(tokens).mean, source.encode(tokens).mean)
    copied = model.init_from(source)
    assert set(copied) == set(source.state_dict())
    torch.testing.assert_close(model.encode(tokens).mean, source.encode(tokens).mean)
    z = torch.randn(2, source.cfg.z_dim)
    torch.testing.assert_close(model.teacher_forced_logits(z, tokens), source.teacher_forced_logits(z, tokens))
    for change, reason in misfits:
        with pytest.raises(ValueError, match=reason):
            models.SequenceVAE(replace(source.cfg, **change)).init_from(source)
