"""A small LSTM language model of melodies: the judge of realism in the quality report.

MusicVAE's paper scores interpolants by their likelihood under a separately trained language model;
this is that model. It is trained by the shared trainer (it computes its own loss) and ships in
musicae/assets/lm/ (scripts/train_melody_lm.sh).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from musicae.autoencoding.batch import StreamData
from musicae.autoencoding.config import CheckedConfig, require
from musicae.autoencoding.runs import load_model, plan_run, register_model_kind, train_run
from musicae.autoencoding.trainer import TrainerConfig
from musicae.music.data.prepare import dataset_encoding, load_streams
from musicae.music.encodings import ENCODINGS, get_encoding
from musicae.music.encodings.base import DEFAULT_ENCODING

SHIPPED_LM = "mel_lm_folk"


@dataclass
class MelodyLMConfig(CheckedConfig):
    name: str = "mel_lm_small"
    """Config name."""
    encoding: str = DEFAULT_ENCODING
    """What the classes mean (see `musicae/music/encodings/base.py`)."""
    embed_dim: int = 64
    """Token embedding size."""
    hidden: int = 256
    """LSTM hidden size."""
    layers: int = 1
    """LSTM layers."""
    transpose: int = 5
    """Training augmentation: random transposition within +-N semitones."""
    context_steps: int = 32
    """Window length it is trained on; longer windows are scored in chunks of this length."""

    def check(self) -> None:
        require(self.encoding in ENCODINGS, "encoding", self.encoding, f"choose from {', '.join(ENCODINGS.names())}")
        for name in ("embed_dim", "hidden", "layers", "context_steps"):
            require(getattr(self, name) >= 1, name, getattr(self, name), "must be at least 1")
        require(self.transpose >= 0, "transpose", self.transpose, "must not be negative")


class MelodyLM(nn.Module):
    """p(x_t | x_<t) for (B, T) classes; class C is the start token."""

    def __init__(self, cfg: MelodyLMConfig):
        super().__init__()
        self.cfg = cfg
        self.encoding = get_encoding(cfg.encoding)
        stream = self.encoding.outputs[0]
        self.stream = stream.name
        classes = stream.classes
        self.embed = nn.Embedding(classes + 1, cfg.embed_dim)
        self.lstm = nn.LSTM(cfg.embed_dim, cfg.hidden, cfg.layers, batch_first=True)
        self.out = nn.Linear(cfg.hidden, classes)
        self.start_token = classes

    def logits(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, T) -> (B, T, C): step t sees the start token and tokens < t."""
        previous = torch.cat([torch.full_like(tokens[:, :1], self.start_token), tokens[:, :-1]], dim=1)
        hidden, _ = self.lstm(self.embed(previous))
        return self.out(hidden)

    def forward(self, batch, step: int = 0) -> dict[str, torch.Tensor]:
        if self.training:
            batch = self.encoding.augment(batch, self.cfg.transpose)
        tokens = batch[self.stream].long()
        logits = self.logits(tokens)
        loss = F.cross_entropy(logits.flatten(0, 1), tokens.flatten())
        return {"loss": loss, "accuracy": (logits.argmax(-1) == tokens).float().mean().detach()}

    @torch.no_grad()
    def log_likelihood(self, windows: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Mean log-probability per step of each window, in nats: (N, T) -> (N,). A window longer than
        the model's context is cut into chunks of that length, each scored from the start token."""
        self.eval()
        windows = np.asarray(windows)
        n, steps = windows.shape
        context = self.cfg.context_steps
        if steps > context and steps % context == 0:
            return self.log_likelihood(windows.reshape(-1, context), batch_size).reshape(n, -1).mean(1)
        scores = []
        for start in range(0, n, batch_size):
            tokens = torch.as_tensor(windows[start : start + batch_size]).long()
            logp = torch.log_softmax(self.logits(tokens), -1).gather(-1, tokens[..., None])[..., 0]
            scores.append(logp.mean(1).numpy())
        return np.concatenate(scores) if scores else np.zeros(0)


LM_KIND = register_model_kind("melody_lm", MelodyLMConfig, MelodyLM)


def shipped_lm_dir() -> Path:
    return Path(str(resources.files("musicae") / "assets" / "lm" / SHIPPED_LM))


def load_lm(path: Path | str | None = None) -> MelodyLM:
    model, _ = load_model(Path(path) if path else shipped_lm_dir(), "cpu", expect=LM_KIND.name)
    return model


def train_lm(data_dir: Path, out: Path, steps: int = 3000, batch_size: int = 128, seed: int = 0,
             resume: bool = False, overwrite: bool = False, progress: bool | None = None) -> dict:
    rows = load_streams(data_dir, "train")
    encoding = dataset_encoding(data_dir)
    train, valid = rows[encoding.outputs[0].name], load_streams(data_dir, "valid")[encoding.outputs[0].name]
    cfg = MelodyLMConfig(context_steps=int(train.shape[1]), encoding=encoding.name)
    trainer = TrainerConfig(steps=steps, batch_size=batch_size, lr=1e-3, lr_decay=0.9995, seed=seed,
                            eval_every=500, checkpoint_every=250,
                            **({} if progress is None else {"progress": progress}))
    plan = plan_run(out, cfg, trainer, resume=resume, overwrite=overwrite, requested={"steps": steps},
                    expect=LM_KIND.name)
    if plan.config.context_steps != train.shape[1]:
        raise ValueError(f"{data_dir}: windows of {train.shape[1]} steps, but the run in {out} was trained on "
                         f"{plan.config.context_steps}")
    name = encoding.outputs[0].name
    summary, trainer_ = train_run(plan, out, StreamData({name: torch.from_numpy(train)}),
                                  eval_data=StreamData({name: torch.from_numpy(valid)}) if len(valid) else None,
                                  curves=("loss", "accuracy"), data={"dir": str(data_dir), "train_windows": len(train)})
    if len(valid):
        summary["valid_log_likelihood_per_step"] = round(float(trainer_.model.cpu().log_likelihood(valid).mean()), 4)
    (Path(out) / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
