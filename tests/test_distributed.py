"""`musicae train` under torchrun: 2 gloo processes on the CPU train like 1 process with the same global batch,
and a checkpoint moves between 1 and 2 processes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from musicae.autoencoding.checkpoint import latest_checkpoint
from musicae.autoencoding.distributed import batch_noise, batch_shard
from musicae.music.data.prepare import PrepareOptions, prepare

RELATIVE = 1e-4  # losses, at every logged step
WEIGHTS = 1e-4  # final weights, absolute: float sums in another order, over 8 Adam steps


@pytest.fixture(scope="module")
def folk_data(folk_midi_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared") / "folk"
    prepare([folk_midi_dir], out, PrepareOptions(workers=1, progress=False, use_cache=False))
    return out


def train(data, out, processes: int, steps: int, resume: bool = False):
    command = [sys.executable, "-m", "musicae", "train", "--data", str(data), "--out", str(out), "--config",
               "mel_2bar_tiny", "--steps", str(steps), "--log-every", "1", "--eval-every", "0",
               "--checkpoint-every", "4", "--device", "cpu", "--no-progress", "--transpose", "3",
               *(["--resume"] if resume else [])]
    if processes > 1:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
                   *command[1:]]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def losses(run):
    return [r["loss"] for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if r["split"] == "train"]


def weights(run):
    return load_file(str(latest_checkpoint(run) / "model.safetensors"))


def test_two_gloo_processes_train_like_one(folk_data, tmp_path):
    train(folk_data, tmp_path / "one", 1, 8)
    done = train(folk_data, tmp_path / "two", 2, 8)
    assert done.stdout.count('"step": 8') == 1  # one summary, from rank 0
    one, two = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert len(one) == len(two) == 8  # rank 0 alone logs
    np.testing.assert_allclose(two, one, rtol=RELATIVE)
    a, b = weights(tmp_path / "one"), weights(tmp_path / "two")
    assert set(a) == set(b)  # unwrapped names: no "module." prefix
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=WEIGHTS)


def test_a_one_process_checkpoint_resumes_under_two_processes(folk_data, tmp_path):
    train(folk_data, tmp_path / "whole", 1, 8)
    train(folk_data, tmp_path / "split", 1, 4)
    train(folk_data, tmp_path / "split", 2, 8, resume=True)
    np.testing.assert_allclose(losses(tmp_path / "split"), losses(tmp_path / "whole"), rtol=RELATIVE)


def test_batch_noise_does_not_depend_on_the_number_of_processes():
    torch.manual_seed(0)
    whole = batch_noise(torch.randn, (6, 3))
    halves = []
    for rank in range(2):
        torch.manual_seed(0)
        with batch_shard(rank, 2):
            halves.append(batch_noise(torch.randn, (3, 3)))
    torch.testing.assert_close(torch.cat(halves), whole, rtol=0, atol=0)


def test_bf16_autocast_trains_on_the_cpu_and_fp16_asks_for_a_gpu(folk_data, tmp_path, capsys):
    from musicae.autoencoding.trainer import cpu_has_bf16
    from musicae.cli import main
    from musicae.music.models.training import train_sequence_vae

    common = dict(config="mel_2bar_tiny", steps=6, log_every=1, eval_every=0, device="cpu", progress=False)
    if not cpu_has_bf16():  # an AVX2-only CPU: refused in one line, before any step
        assert main(["train", "--data", str(folk_data), "--out", str(tmp_path / "bf16"), "--config", "mel_2bar_tiny",
                     "--steps", "2", "--precision", "bf16", "--device", "cpu"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "no bfloat16 kernels" in err, err
        assert not (tmp_path / "bf16" / "checkpoints").exists()
        return
    train_sequence_vae(folk_data, tmp_path / "fp32", **common)
    train_sequence_vae(folk_data, tmp_path / "bf16", precision="bf16", **common)
    exact, mixed = np.array(losses(tmp_path / "fp32")), np.array(losses(tmp_path / "bf16"))
    assert not np.array_equal(exact, mixed)  # autocast did run in bfloat16
    np.testing.assert_allclose(mixed, exact, rtol=0.05)
    assert main(["train", "--data", str(folk_data), "--out", str(tmp_path / "bf16"), "--resume", "--steps", "8",
                 "--precision", "fp32", "--device", "cpu"]) == 2
    assert "--precision fp32 conflicts" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["train", "--data", str(folk_data), "--out", str(tmp_path / "fp16"), "--config", "mel_2bar_tiny",
                     "--steps", "2", "--precision", "fp16", "--device", "cpu"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "needs a CUDA GPU" in err
