import json
import signal

import pytest
import torch
from torch import nn

from musicae.autoencoding import DiagonalGaussian, elbo_breakdown, gaussian_nll
from musicae.autoencoding import checkpoint as ckpt
from musicae.autoencoding.trainer import METRICS_FILE, TensorData, Trainer, TrainerConfig


class TinyVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(6, 4)
        self.dec = nn.Linear(2, 6)

    def forward(self, batch, step=0):
        (x,) = batch
        mean, raw = self.enc(x).chunk(2, dim=-1)
        q = DiagonalGaussian(mean, raw)
        return elbo_breakdown(gaussian_nll(self.dec(q.rsample()), x), q.kl(), beta=1.0)


def make(tmp_path, name, steps, **kw):
    torch.manual_seed(0)
    data = TensorData(torch.randn(40, 6, generator=torch.Generator().manual_seed(1)))
    cfg = TrainerConfig(steps=steps, batch_size=8, log_every=1, eval_every=5, checkpoint_every=5, progress=False,
                        lr_decay=0.99, **kw)
    return Trainer(TinyVAE(), data, cfg, tmp_path / name, {"kind": "tiny", "config": {}}, eval_data=data)


def train_losses(run_dir):
    lines = [json.loads(x) for x in (run_dir / METRICS_FILE).read_text().splitlines()]
    return [(r["step"], r["loss"]) for r in lines if r["split"] == "train"]


def test_resume_continues_exactly(tmp_path):
    full = make(tmp_path, "full", 20)
    full.fit()
    part = make(tmp_path, "part", 10)
    part.fit()
    resumed = make(tmp_path, "part", 20)
    resumed.fit(resume=True)
    assert resumed.step == 20
    assert train_losses(tmp_path / "full") == train_losses(tmp_path / "part")
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        assert torch.equal(a, b)


def test_loss_decreases_and_curves(tmp_path):
    from musicae.autoencoding.curves import plot_curves

    t = make(tmp_path, "run", 60)
    summary = t.fit()
    losses = [loss for _, loss in train_losses(tmp_path / "run")]
    assert sum(losses[-10:]) < sum(losses[:10])
    assert summary["valid"]["loss"] > 0
    png = plot_curves(tmp_path / "run")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_failed_checkpoint_write_keeps_previous(tmp_path, monkeypatch):
    t = make(tmp_path, "run", 5)
    t.fit()
    good = ckpt.latest_checkpoint(tmp_path / "run")
    assert good.name == "step-00000005"
    before = {k: v.clone() for k, v in t.model.state_dict().items()}

    real_save = ckpt.save_file
    calls = {"n": 0}

    def failing_save(tensors, path):
        calls["n"] += 1
        if calls["n"] == 2:  # model written, crash while writing optimizer state
            with open(path, "wb") as f:
                f.write(b"partial")
            raise OSError("disk full")
        return real_save(tensors, path)

    monkeypatch.setattr(ckpt, "save_file", failing_save)
    with torch.no_grad():
        for p in t.model.parameters():
            p.add_(1.0)
    t.step = 10
    with pytest.raises(OSError):
        t.save()
    assert ckpt.latest_checkpoint(tmp_path / "run") == good
    assert not list((tmp_path / "run" / "checkpoints").glob(".*tmp"))
    fresh = TinyVAE()
    ckpt.load_weights(tmp_path / "run", fresh)
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, before[k])


def test_sigint_saves_checkpoint(tmp_path):
    t = make(tmp_path, "run", 1000)
    original_forward = t.model.forward

    def forward(batch, step=0):
        if step == 3:
            signal.raise_signal(signal.SIGINT)
        return original_forward(batch, step)

    t.model.forward = forward
    summary = t.fit()
    assert summary["interrupted"] and summary["step"] == 4
    assert ckpt.latest_checkpoint(tmp_path / "run").name == "step-00000004"


def test_checkpoint_has_no_pickle(tmp_path):
    t = make(tmp_path, "run", 5)
    t.fit()
    files = sorted(p.name for p in ckpt.latest_checkpoint(tmp_path / "run").iterdir())
    assert files == ["config.json", "files.json", "model.safetensors", "state.safetensors", "trainer.json"]
