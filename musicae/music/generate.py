"""TrainedModel: encode, decode, sample, reconstruct and interpolate melodies with a checkpoint."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding import slerp
from musicae.autoencoding.checkpoint import load_config, load_weights, resolve_checkpoint
from musicae.autoencoding.config import from_dict
from musicae.music.configs import MelodyVAEConfig
from musicae.music.corpus import BadInput, load_midi_segments
from musicae.music.extract import ExtractOptions, windows_from_segments
from musicae.music.models import MelodyVAE

MODEL_KIND = "melody_vae"
SHIPPED_MODEL = "mel_2bar_folk"


def shipped_model_dir() -> Path:
    return Path(str(resources.files("musicae") / "assets" / SHIPPED_MODEL))


def example_melodies() -> list[Path]:
    root = Path(str(resources.files("musicae") / "assets" / "examples"))
    return sorted(root.glob("*.mid"))


class NoWindows(ValueError):
    """An input gave no usable window; the message says why and what to try."""


def melody_windows(path: Path, bars: int, hop_bars: int | None = None) -> np.ndarray:
    """Windows of a MIDI file in order (not deduplicated), `hop_bars` apart (default: one window apart).

    Follows the training semantics first (16-step bars); pieces in other meters are windowed
    too rather than refused.
    """
    try:
        segments = load_midi_segments(Path(path))
    except BadInput as err:
        raise NoWindows(f"{path}: {err.detail}") from None
    except FileNotFoundError:
        raise NoWindows(f"{path}: no such file") from None
    hop = bars if hop_bars is None else hop_bars
    options = ExtractOptions(bars=bars, hop_bars=hop, deduplicate=False)
    result = windows_from_segments(segments, options, str(path))
    if len(result.windows) == 0 and result.reason == "meter":
        result = windows_from_segments(segments, replace(options, any_meter=True), str(path))
    if len(result.windows) == 0:
        raise NoWindows(f"{path}: no {bars}-bar melody window ({result.detail})")
    return result.windows


class TrainedModel:
    """A melody VAE ready for inference."""

    def __init__(self, model: MelodyVAE, source: str, device: str = "cpu"):
        self.model = model.to(device).eval()
        self.cfg = model.cfg
        self.source = source
        self.device = torch.device(device)

    @classmethod
    def load(cls, checkpoint: Path | str | None = None, device: str = "cpu") -> TrainedModel:
        path = resolve_checkpoint(Path(checkpoint) if checkpoint else shipped_model_dir())
        config = load_config(path)
        if config.get("kind") != MODEL_KIND:
            raise ValueError(f"{path}: a {config.get('kind')!r} checkpoint, not a melody VAE")
        model = MelodyVAE(from_dict(MelodyVAEConfig, config["config"]))
        load_weights(path, model)
        return cls(model, str(path), device)

    @torch.no_grad()
    def encode(self, windows: np.ndarray) -> np.ndarray:
        """(N, T) classes -> (N, Z) posterior means."""
        self._check(windows)
        tokens = torch.as_tensor(np.asarray(windows)).long().to(self.device)
        return self.model.encode(tokens).mode().cpu().numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray, temperature: float = 0.0, seed: int | None = None) -> np.ndarray:
        """(N, Z) -> (N, T) classes; temperature 0 decodes greedily (argmax)."""
        if seed is not None:
            torch.manual_seed(seed)
        tokens = self.model.decode(torch.as_tensor(np.asarray(z), dtype=torch.float32, device=self.device), temperature)
        return tokens.cpu().numpy().astype(np.uint8)

    def sample(self, n: int, temperature: float = 0.5, seed: int = 0) -> np.ndarray:
        generator = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.cfg.z_dim, generator=generator).numpy()
        return self.decode(z, temperature, seed=seed)

    def reconstruct(self, windows: np.ndarray, temperature: float = 0.0) -> np.ndarray:
        return self.decode(self.encode(windows), temperature)

    def interpolate(self, a: np.ndarray, b: np.ndarray, steps: int, temperature: float = 0.0) -> np.ndarray:
        """Windows a (M, T) and b (M, T), paired in order -> (steps, M, T): slerp between posterior means.

        Both endpoints are included: step 0 reconstructs a, the last step reconstructs b.
        """
        za, zb = self.encode(a), self.encode(b)  # (M, Z)
        paths = [slerp(torch.from_numpy(za[i]), torch.from_numpy(zb[i]), steps).numpy() for i in range(len(za))]
        z = np.stack(paths, axis=1)  # (steps, M, Z)
        decoded = self.decode(z.reshape(-1, z.shape[-1]), temperature, seed=0)
        return decoded.reshape(steps, len(za), -1)

    def _check(self, windows: np.ndarray) -> None:
        windows = np.asarray(windows)
        if windows.ndim != 2 or windows.shape[1] != self.cfg.steps:
            raise ValueError(f"expected windows of shape (N, {self.cfg.steps}), got {windows.shape}")
        if windows.size and int(windows.max()) >= self.cfg.num_classes:
            raise ValueError(f"class {int(windows.max())} out of range (< {self.cfg.num_classes})")
