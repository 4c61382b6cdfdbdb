"""The options of `musicae personalize` (music/latent/personal.py), apart so that building the command line
imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from musicae.autoencoding.config import CheckedConfig, require


@dataclass
class PersonalizeOptions(CheckedConfig):
    latent_dim: int = 16
    """Size of the personal latent space (MidiMe: 4; 16 samples closer to held-out tunes here, see
    scripts/bench_personalize.py)."""
    hidden: int = 256
    """Hidden width of the small VAE's encoder and decoder."""
    steps: int = 1000
    """Training steps of the small VAE (full batches of the tunes' z: seconds on a CPU)."""
    lr: float = 1e-3
    """Learning rate of the small VAE."""
    beta: float = 1.0
    """KL weight of the small VAE (its reconstruction is the squared error of z)."""
    any_meter: bool = True
    """Also window tunes whose bars are not 16 steps (2/4, 3/4, 6/8), as `prepare --any-meter` does (windows
    keep the model's length); --no-any-meter keeps 4/4 tunes only."""
    fine_tune: int = 0
    """Steps of fine-tuning the whole base model on the tunes first (0: the base model stays as it is)."""
    fine_tune_lr: float = 1e-4
    """Learning rate of the fine-tuning."""
    seed: int = 0
    """Seed of the training noise and of the picture's samples."""

    def check(self) -> None:
        for name, most in (("latent_dim", 256), ("hidden", 4096), ("steps", 100_000)):
            require(1 <= getattr(self, name) <= most, name, getattr(self, name), f"must be in 1..{most}")
        require(0 <= self.fine_tune <= 100_000, "fine_tune", self.fine_tune,
                "must be in 0..100000 (0: no fine-tuning)")
        for name in ("lr", "fine_tune_lr"):
            require(0 < getattr(self, name) < 1, name, getattr(self, name), "must be in (0, 1)")
        require(0 <= self.beta <= 100, "beta", self.beta, "must be in 0..100")
