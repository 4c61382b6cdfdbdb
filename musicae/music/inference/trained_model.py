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
from musicae.autoencoding.runs import load_resolved
from musicae.music.encodings.base import Rows
from musicae.music.inference.conversions import NoWindows, windows_from_midi_file
from musicae.music.inference.shipped import assets_dir, model_path, shipped_model_dir, shipped_names
from musicae.music.models.multitrack_vae import MultitrackVAE
from musicae.music.models.sequence_vae import SequenceVAE

INFERENCE_KINDS = (SequenceVAE, MultitrackVAE)
"""The models TrainedModel speaks for: both encode rows of their encoding and decode z back to rows."""

__all__ = ["NoWindows", "TrainedModel", "melody_windows", "shipped_model_dir", "example_melodies"]


BATCH_ROWS = 512
"""Rows encoded or decoded at once: the memory of a command stays bounded for a file of any length."""


def example_melodies(long: bool = False) -> list[Path]:
    """The built-in held-out melodies: a.mid and b.mid (4 bars), or with `long` the 16-bar ones."""
    return sorted((assets_dir() / "examples").glob("long_*.mid" if long else "[!l]*.mid"))


def melody_windows(path: Path, bars: int, hop_bars: int | None = None, encoding="melody") -> np.ndarray:
    """Windows of a MIDI file in order (not deduplicated), `hop_bars` apart (default: one window apart)."""
    return windows_from_midi_file(Path(path), bars, hop_bars, encoding).windows


def _generator(seed: int | torch.Generator | None) -> torch.Generator | None:
    if seed is None or isinstance(seed, torch.Generator):
        return seed
    return torch.Generator().manual_seed(int(seed))


class TrainedModel:
    """A sequence VAE ready for inference, speaking its encoding's rows.

    `*_rows` methods take and give `Rows` (every stream by name); the plain ones take a one-stream encoding's
    bare (N, T) windows (and the (N, T) classes of its one control) and give the first output stream back.
    """

    def __init__(self, model: SequenceVAE, source: str, device: str = "cpu", name: str | None = None):
        self.model = model.to(device).eval()
        self.name = name or source
        """The shipped model's name, or the path the model was loaded from (what the commands' JSON reports)."""
        self.cfg = model.cfg
        self.encoding = model.encoding
        self.source = source
        self.device = torch.device(device)

    @classmethod
    def load(cls, checkpoint: Path | str | None = None, device: str = "cpu", job: str | None = None) -> TrainedModel:
        """`checkpoint`: a checkpoint or run directory, a shipped model's name, or None (the default model of the
        command `job`: see shipped.JOB_MODELS)."""
        folder = model_path(checkpoint, job)
        path = resolve_checkpoint(folder)
        model, _ = load_resolved(path, device)
        if not isinstance(model, INFERENCE_KINDS):
            raise ValueError(f"{checkpoint or folder}: a {type(model).__name__}, not a model that encodes and decodes "
                             f"music (a sequence VAE or a multitrack VAE)")
        shipped = folder.parent == assets_dir() and folder.name in shipped_names()
        return cls(model, str(path), device, name=folder.name if shipped else str(checkpoint or folder))

    @property
    def default_temperature(self) -> float:
        """What commands decode a given input with when no --temperature is given: 0.5 for a model of more than
        two bars (MusicVAE's notebooks: a greedy 16-bar decode holds one note for bars), else 0 (greedy)."""
        return 0.5 if self.cfg.bars > 2 else 0.0

    def temperature(self, given: float | None) -> float:
        return self.default_temperature if given is None else given

    @property
    def output_names(self) -> list[str]:
        return [s.name for s in self.encoding.outputs]

    @property
    def control_names(self) -> list[str]:
        return [s.name for s in self.encoding.controls]

    def _tensors(self, rows) -> dict[str, torch.Tensor]:
        return {name: torch.as_tensor(np.asarray(v)).to(self.device) for name, v in rows.items()}

    @torch.no_grad()
    def encode(self, windows, conditions: np.ndarray | None = None) -> np.ndarray:
        """Rows (or windows) -> (N, Z) posterior means."""
        rows = self.encoding.rows(windows, conditions)
        self._check(rows)
        if len(rows) <= BATCH_ROWS:
            return self.model.encode(self._tensors(rows)).mode().cpu().numpy()
        # in batches: a long file's thousands of windows at once would take gigabytes
        return np.concatenate([self.encode(rows.take(slice(i, i + BATCH_ROWS))) for i in range(0, len(rows), BATCH_ROWS)])

    @torch.no_grad()
    def decode_rows(self, z: np.ndarray, temperature: float = 0.0, seed: int | torch.Generator | None = 0,
                    controls: Rows | None = None, fixed: Rows | None = None, coupled_segments: bool = True) -> Rows:
        """(N, Z) -> Rows of the output streams (and the controls they were decoded over); temperature 0 decodes
        greedily (argmax), else samples from `seed`. `fixed` output streams are kept as given.
        A hierarchical model's segments share their random draws unless `coupled_segments` is False, so the
        repeats the conductor plans are heard (a 16-bar tune's form; `musicae evaluate` samples them
        independently, as the paper's sampled accuracy does)."""
        z = np.asarray(z)
        generator = self._device_generator(seed)
        parts = []
        for i in range(0, max(len(z), 1), BATCH_ROWS):  # in batches: memory bounded whatever the number of rows
            part = slice(i, i + BATCH_ROWS)
            given = None if not controls else self._tensors(Rows(controls).only(self.control_names).take(part))
            kept = None if not fixed else self._tensors(Rows(fixed).take(part))
            out = self.model.decode(torch.as_tensor(z[part], dtype=torch.float32, device=self.device), temperature,
                                    given, generator=generator, fixed=kept, coupled_segments=coupled_segments)
            parts.append(Rows({s.name: out[s.name].cpu().numpy().astype(s.dtype) for s in self.encoding.outputs}))
        decoded = parts[0] if len(parts) == 1 else Rows.concat(parts)
        return decoded.merged(None if not controls else Rows(controls).only(self.control_names))

    def decode(self, z: np.ndarray, temperature: float = 0.0, seed: int | torch.Generator | None = 0,
               conditions: np.ndarray | None = None) -> np.ndarray:
        """(N, Z) -> the first output stream, (N, T)."""
        controls = self.encoding.control_rows(conditions)
        return self.decode_rows(z, temperature, seed, controls)[self.output_names[0]]

    def sample_rows(self, n: int, temperature: float = 0.5, seed: int | torch.Generator = 0,
                    controls: Rows | None = None, coupled_segments: bool = True) -> Rows:
        generator = _generator(seed)
        z = self.model.prior_z(n, generator).numpy()
        return self.decode_rows(z, temperature, generator, controls, coupled_segments=coupled_segments)

    def sample(self, n: int, temperature: float = 0.5, seed: int | torch.Generator = 0,
               conditions: np.ndarray | None = None, coupled_segments: bool = True) -> np.ndarray:
        controls = self.encoding.control_rows(conditions)
        return self.sample_rows(n, temperature, seed, controls, coupled_segments)[self.output_names[0]]

    def reconstruct_rows(self, rows: Rows, temperature: float = 0.0, seed: int | torch.Generator = 0) -> Rows:
        """Encode and decode rows over their own controls."""
        return self.decode_rows(self.encode(rows), temperature, seed, Rows(rows).only(self.control_names))

    def reconstruct(self, windows: np.ndarray, temperature: float = 0.0, seed: int | torch.Generator = 0,
                    conditions: np.ndarray | None = None) -> np.ndarray:
        return self.reconstruct_rows(self.encoding.rows(windows, conditions), temperature, seed)[self.output_names[0]]

    def interpolate_rows(self, a: Rows, b: Rows, steps: int, temperature: float = 0.0,
                         seed: int | torch.Generator = 0, controls: Rows | None = None) -> list[Rows]:
        """Rows a (M) and b (M), paired in order -> one Rows of M per step: slerp between posterior means.

        Both endpoints are included: step 0 reconstructs a, the last step reconstructs b. A model with controls
        encodes a and b with their own and decodes every step over `controls` (M rows; default: a's).
        """
        za, zb = self.encode(a), self.encode(b)  # (M, Z)
        paths = [slerp(torch.from_numpy(za[i]), torch.from_numpy(zb[i]), steps).numpy() for i in range(len(za))]
        z = np.stack(paths, axis=1)  # (steps, M, Z)
        under = Rows(controls if controls is not None else Rows(a).only(self.control_names))
        decoded = self.decode_rows(z.reshape(-1, z.shape[-1]), temperature, seed, under.tiled(steps) if under else None)
        return [decoded.take(slice(i * len(za), (i + 1) * len(za))) for i in range(steps)]

    def interpolate(self, a: np.ndarray, b: np.ndarray, steps: int, temperature: float = 0.0,
                    seed: int | torch.Generator = 0, conditions_a: np.ndarray | None = None,
                    conditions_b: np.ndarray | None = None, conditions: np.ndarray | None = None) -> np.ndarray:
        """Windows a (M, T) and b (M, T) -> (steps, M, T) of the first output stream."""
        under = self.encoding.control_rows(conditions)
        path = self.interpolate_rows(self.encoding.rows(a, conditions_a), self.encoding.rows(b, conditions_b), steps, temperature, seed,
                                     under)
        return np.stack([p[self.output_names[0]] for p in path])

    def _device_generator(self, seed) -> torch.Generator | None:
        generator = _generator(seed)
        if generator is None or self.device.type == "cpu":
            return generator
        # sampling runs on the model's device: a generator there, seeded from the CPU one
        return torch.Generator(self.device).manual_seed(int(torch.randint(2**62, (1,), generator=generator)))

    def _check(self, rows: Rows) -> None:
        for s in self.encoding.encoder_streams:
            if s.name not in rows:
                raise ValueError(f"the model needs the stream {s.name!r}")
            values = np.asarray(rows[s.name])
            if values.ndim < 2 or values.shape[1] != self.cfg.steps:
                raise ValueError(f"expected {s.name} of shape (N, {self.cfg.steps}{', ...' if s.width else ''}), "
                                 f"got {values.shape}")
            s.check(values)
