"""TrainedModel: encode, decode, sample, reconstruct and interpolate with a checkpoint.

Randomness comes from a seed or a torch.Generator passed in, never from the global RNG: the same
seed gives the same output in any thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from musicae.autoencoding import slerp
from musicae.autoencoding.checkpoint import resolve_checkpoint
from musicae.autoencoding.runs import load_model
from musicae.music.io import NoWindows, windows_from_midi_file
from musicae.music.models import MODEL_KIND, SequenceVAE
from musicae.music.shipped import assets_dir, model_path, shipped_model_dir

__all__ = ["NoWindows", "TrainedModel", "melody_windows", "shipped_model_dir", "example_melodies"]


def example_melodies(long: bool = False) -> list[Path]:
    """The built-in held-out melodies: a.mid and b.mid (4 bars), or with `long` the 16-bar ones."""
    return sorted((assets_dir() / "examples").glob("long_*.mid" if long else "[!l]*.mid"))


def melody_windows(path: Path, bars: int, hop_bars: int | None = None) -> np.ndarray:
    """Windows of a MIDI file in order (not deduplicated), `hop_bars` apart (default: one window apart)."""
    return windows_from_midi_file(Path(path), bars, hop_bars).windows


def _generator(seed: int | torch.Generator | None) -> torch.Generator | None:
    if seed is None or isinstance(seed, torch.Generator):
        return seed
    return torch.Generator().manual_seed(int(seed))


class TrainedModel:
    """A sequence VAE ready for inference."""

    def __init__(self, model: SequenceVAE, source: str, device: str = "cpu"):
        self.model = model.to(device).eval()
        self.cfg = model.cfg
        self.source = source
        self.device = torch.device(device)

    @classmethod
    def load(cls, checkpoint: Path | str | None = None, device: str = "cpu") -> TrainedModel:
        """`checkpoint`: a checkpoint or run directory, a shipped model's name, or None (the default model)."""
        path = resolve_checkpoint(model_path(checkpoint))
        model, _ = load_model(path, device, expect=MODEL_KIND.name)
        return cls(model, str(path), device)

    @torch.no_grad()
    def encode(self, windows: np.ndarray, conditions: np.ndarray | None = None) -> np.ndarray:
        """(N, T) classes -> (N, Z) posterior means."""
        self._check(windows)
        tokens = torch.as_tensor(np.asarray(windows)).long().to(self.device)
        return self.model.encode(tokens, self._tensor(conditions)).mode().cpu().numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray, temperature: float = 0.0, seed: int | torch.Generator | None = 0,
               conditions: np.ndarray | None = None) -> np.ndarray:
        """(N, Z) -> (N, T) classes; temperature 0 decodes greedily (argmax), else samples from `seed`."""
        z = torch.as_tensor(np.asarray(z), dtype=torch.float32, device=self.device)
        tokens = self.model.decode(z, temperature, self._tensor(conditions), generator=self._device_generator(seed))
        return tokens.cpu().numpy().astype(np.uint8)

    def sample(self, n: int, temperature: float = 0.5, seed: int | torch.Generator = 0,
               conditions: np.ndarray | None = None) -> np.ndarray:
        generator = _generator(seed)
        z = torch.randn(n, self.cfg.z_dim, generator=generator).numpy()
        return self.decode(z, temperature, generator, conditions)

    def reconstruct(self, windows: np.ndarray, temperature: float = 0.0, seed: int | torch.Generator = 0,
                    conditions: np.ndarray | None = None) -> np.ndarray:
        return self.decode(self.encode(windows, conditions), temperature, seed, conditions)

    def interpolate(self, a: np.ndarray, b: np.ndarray, steps: int, temperature: float = 0.0,
                    seed: int | torch.Generator = 0, conditions_a: np.ndarray | None = None,
                    conditions_b: np.ndarray | None = None, conditions: np.ndarray | None = None) -> np.ndarray:
        """Windows a (M, T) and b (M, T), paired in order -> (steps, M, T): slerp between posterior means.

        Both endpoints are included: step 0 reconstructs a, the last step reconstructs b. A conditioned model
        encodes a and b with their own conditions and decodes every step with `conditions` (M, T).
        """
        za, zb = self.encode(a, conditions_a), self.encode(b, conditions_b)  # (M, Z)
        paths = [slerp(torch.from_numpy(za[i]), torch.from_numpy(zb[i]), steps).numpy() for i in range(len(za))]
        z = np.stack(paths, axis=1)  # (steps, M, Z)
        tiled = None if conditions is None else np.tile(conditions, (steps, 1))
        decoded = self.decode(z.reshape(-1, z.shape[-1]), temperature, seed, tiled)
        return decoded.reshape(steps, len(za), -1)

    def _tensor(self, conditions):
        return None if conditions is None else torch.as_tensor(np.asarray(conditions)).long().to(self.device)

    def _device_generator(self, seed) -> torch.Generator | None:
        generator = _generator(seed)
        if generator is None or self.device.type == "cpu":
            return generator
        # sampling runs on the model's device: a generator there, seeded from the CPU one
        return torch.Generator(self.device).manual_seed(int(torch.randint(2**62, (1,), generator=generator)))

    def _check(self, windows: np.ndarray) -> None:
        windows = np.asarray(windows)
        if windows.ndim != 2 or windows.shape[1] != self.cfg.steps:
            raise ValueError(f"expected windows of shape (N, {self.cfg.steps}), got {windows.shape}")
        if windows.size and (int(windows.max()) >= self.cfg.num_classes or int(windows.min()) < 0):
            raise ValueError(f"classes must be in 0..{self.cfg.num_classes - 1}")
