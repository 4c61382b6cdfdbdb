"""Runs: resume restores the stored run, refuses conflicting flags, survives damaged checkpoints, kills
mid-write, disk-full and SIGTERM; a new run never clobbers an old one."""

import json
import os
import subprocess
import sys

import pytest
import torch

from musicae.autoencoding import checkpoint as ckpt
from musicae.autoencoding.trainer import METRICS_FILE
from musicae.cli import main


@pytest.fixture(scope="module")
def data(tmp_path_factory, folk_windows):
    from musicae.music.data.prepare import PrepareOptions, write_dataset

    root = tmp_path_factory.mktemp("runs") / "data"
    results = [({"source": f"s{i}", "status": "ok", "reason": None, "detail": "", "windows": 1}, folk_windows[i:i + 1])
               for i in range(80)]
    write_dataset(root, results, PrepareOptions(valid_fraction=0.2))
    return root


def train(data, out, *flags):
    return main(["train", "--data", str(data), "--out", str(out), "--no-progress", "--eval-every", "0",
                 "--log-every", "1", "--checkpoint-every", "5", *map(str, flags)])


def losses(run):
    records = [json.loads(line) for line in (run / METRICS_FILE).read_text().splitlines()]
    return [(r["step"], r["loss"]) for r in records if r["split"] == "train"]


def test_resume_restores_the_stored_seed_and_schedule(data, tmp_path, capsys):
    assert train(data, tmp_path / "full", "--config", "mel_2bar_tiny", "--seed", 3, "--steps", 12, "--lr", 0.003) == 0
    assert train(data, tmp_path / "part", "--config", "mel_2bar_tiny", "--seed", 3, "--steps", 6, "--lr", 0.003) == 0
    # resumed with neither --seed nor --lr nor --config: they come back from the checkpoint
    assert train(data, tmp_path / "part", "--steps", 12, "--resume") == 0
    assert losses(tmp_path / "part") == losses(tmp_path / "full")
    capsys.readouterr()
    for flag, value in (("--lr", 0.01), ("--seed", 4), ("--batch-size", 8), ("--config", "mel_2bar_cpu"),
                        ("--z-dim", 4)):
        code = train(data, tmp_path / "part", "--steps", 14, "--resume", flag, value)
        err = capsys.readouterr().err
        assert code == 2 and err.startswith(f"musicae train: error: {flag} {value} conflicts") and err.count("\n") == 1
    code = train(data, tmp_path / "part", "--steps", 4, "--resume")
    assert code == 2 and "already at step 12" in capsys.readouterr().err


def test_a_new_run_never_clobbers_an_old_one(data, tmp_path, capsys):
    assert train(data, tmp_path / "run", "--config", "mel_2bar_tiny", "--steps", 5) == 0
    before = (tmp_path / "run" / METRICS_FILE).read_text()
    capsys.readouterr()
    assert train(data, tmp_path / "run", "--config", "mel_2bar_tiny", "--steps", 3) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "--overwrite" in err and err.count("\n") == 1
    assert (tmp_path / "run" / METRICS_FILE).read_text() == before
    assert train(data, tmp_path / "run", "--config", "mel_2bar_tiny", "--steps", 3, "--overwrite") == 0
    assert ckpt.latest_checkpoint(tmp_path / "run").name == "step-00000003"


def test_resume_passes_over_damaged_or_missing_checkpoints(data, tmp_path, capsys):
    run = tmp_path / "run"
    assert train(data, run, "--config", "mel_2bar_tiny", "--steps", 10) == 0
    newest = run / "checkpoints" / "step-00000010"
    weights = newest / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # a kill mid-copy, a bad disk
    capsys.readouterr()
    assert train(data, run, "--steps", 12, "--resume") == 0
    err = capsys.readouterr().err
    assert "step-00000010 model.safetensors is 100 bytes" in err and "resuming from step-00000005" in err
    assert [s for s, _ in losses(run)][-7:] == list(range(6, 13))
    # `latest` naming a checkpoint that is gone
    (run / "checkpoints" / "latest").write_text("step-00000099\n")
    assert train(data, run, "--steps", 14, "--resume") == 0
    assert "step-00000099 does not exist" in capsys.readouterr().err
    # nothing intact at all: one line, no silent restart from step 0
    for checkpoint in (run / "checkpoints").glob("step-*"):
        (checkpoint / "model.safetensors").write_bytes(b"")
    assert train(data, run, "--steps", 16, "--resume") == 2
    err = capsys.readouterr().err
    assert "no intact checkpoint" in err and err.count("\n") == 1


def test_a_line_cut_short_in_the_log_does_not_block_resume(data, tmp_path, capsys):
    run = tmp_path / "run"
    assert train(data, run, "--config", "mel_2bar_tiny", "--steps", 5) == 0
    with open(run / METRICS_FILE, "a") as f:
        f.write('{"step": 6, "split": "tr')
    assert train(data, run, "--steps", 7, "--resume") == 0
    assert [s for s, _ in losses(run)] == list(range(1, 8))
    assert str(run / METRICS_FILE) in capsys.readouterr().err


def test_disk_full_while_checkpointing_is_one_line_and_keeps_the_old_state(data, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    assert train(data, run, "--config", "mel_2bar_tiny", "--steps", 5) == 0
    good = ckpt.latest_checkpoint(run)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ckpt, "save_file", full)
    capsys.readouterr()
    assert train(data, run, "--steps", 10, "--resume") == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and err.count("\n") == 1 and "Traceback" not in err
    assert ckpt.latest_checkpoint(run) == good and ckpt.checkpoint_problem(good) is None
    assert not list((run / "checkpoints").glob(".*tmp"))


SIGNAL_SCRIPT = """
import signal, sys
from musicae.autoencoding import trainer as t
from musicae.cli import main
real_save, real_lr = t.Trainer._write_checkpoint, t.Trainer.learning_rate
def lr(self, step):  # the signal arrives during step 3
    if step == 3 and not getattr(self, "_sent", False):
        self._sent = True
        signal.raise_signal(getattr(signal, sys.argv[3]))
    return real_lr(self, step)
def save(self):  # and a second Ctrl-C during the save the first one asked for
    if self._interrupted:
        signal.raise_signal(signal.SIGINT)
    return real_save(self)
t.Trainer.learning_rate, t.Trainer._write_checkpoint = lr, save
sys.exit(main(["train", "--data", sys.argv[1], "--out", sys.argv[2], "--config", "mel_2bar_tiny", "--steps", "1000",
               "--no-progress", "--eval-every", "0", "--checkpoint-every", "500"]))
"""


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_sigterm_and_a_second_sigint_during_the_save_still_leave_a_checkpoint(data, tmp_path, signame):
    run = tmp_path / "run"
    done = subprocess.run([sys.executable, "-c", SIGNAL_SCRIPT, str(data), str(run), signame], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    latest = ckpt.latest_checkpoint(run)
    assert latest is not None and ckpt.checkpoint_problem(latest) is None
    assert json.loads((latest / "trainer.json").read_text())["step"] == 4


def test_image_runs_resume_with_their_stored_config(synthetic_mnist_dir, tmp_path, capsys):
    from image_ae.cli import main as image_main

    run = tmp_path / "vae"
    base = ["train", "vae", "--data-dir", str(synthetic_mnist_dir), "--out", str(run), "--no-progress", "--limit", "256"]
    assert image_main([*base, "--model", "lesson_dense_vae", "--epochs", "1", "--seed", "5", "--latent-dim", "3"]) == 0
    capsys.readouterr()
    # resumed without --model, --seed or --latent-dim: the stored run's, not the task's defaults
    assert image_main(["train", "vae", "--data-dir", str(synthetic_mnist_dir), "--out", str(run), "--no-progress",
                       "--epochs", "2", "--resume"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["config"] == "lesson_dense_vae"
    record = json.loads((ckpt.latest_checkpoint(run) / "config.json").read_text())
    trainer = json.loads((ckpt.latest_checkpoint(run) / "trainer.json").read_text())["trainer"]
    assert record["config"]["latent_dim"] == 3 and trainer["seed"] == 5 and record["data"]["limit"] == 256
    assert image_main([*base, "--epochs", "3", "--resume", "--latent-dim", "4"]) == 2
    assert "--latent-dim 4 conflicts" in capsys.readouterr().err


def test_trainer_leaves_the_callers_rng_alone(tmp_path):
    from musicae.autoencoding.trainer import TensorData, Trainer, TrainerConfig

    model = torch.nn.Linear(3, 3)
    trainer = Trainer(lambda_model(model), TensorData(torch.randn(16, 3)), TrainerConfig(steps=3, batch_size=4,
                      progress=False, eval_every=0), tmp_path / "run", {"kind": "x", "config": {}})
    state = torch.get_rng_state()
    trainer.fit()
    assert torch.equal(torch.get_rng_state(), state)


def lambda_model(linear):
    class Wrapped(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = linear

        def forward(self, batch, step=0):
            (x,) = batch
            noise = torch.randn_like(x)
            return {"loss": (self.linear(x + noise) - x).pow(2).mean()}

    return Wrapped()
