"""The multitrack bar VAE's configs (issue 22), in one registry; importable without torch (the command line
lists them)."""

from __future__ import annotations

from dataclasses import dataclass

from musicae.autoencoding.config import CheckedConfig, Registry, require
from musicae.music.encodings import ENCODINGS, get_encoding
from musicae.music.encodings.multitrack_events import MAX_TRACKS


@dataclass(frozen=True)
class MultitrackVAEConfig(CheckedConfig):
    name: str = "multitrack_1bar_cpu"
    """Config name."""
    encoding: str = "multitrack"
    """multitrack, or multitrack_chords (the decoder and encoder read the chord of every token)."""
    bars: int = 1
    """Bars per row (one: the model of Simon et al. 2018)."""
    embed_dim: int = 64
    """Token embedding size."""
    chord_dim: int = 16
    """Chord embedding size (multitrack_chords)."""
    track_hidden: int = 256
    """Each track's encoder BiLSTM (per direction)."""
    bar_hidden: int = 256
    """The BiLSTM over the tracks' summaries (per direction)."""
    z_dim: int = 128
    """Latent size."""
    conductor_hidden: int = 256
    """The conductor LSTM, one step per track."""
    decoder_hidden: int = 256
    """Each track's decoder LSTM."""
    decoder_layers: int = 2
    """Decoder LSTM layers."""
    max_beta: float = 1.0
    """Final KL weight."""
    beta_rate: float = 0.99999
    """beta = max_beta * (1 - beta_rate ** step), MusicVAE's KL annealing."""
    free_bits: float = 256.0
    """KL bits the latent may use before the KL is penalized (the notebook's checkpoints: 256, and 64 with
    chords)."""
    transpose: int = 3
    """Training augmentation: each bar's pitched tracks moved by a random +-N semitones (magenta: 3)."""
    batch_size: int = 64
    """Bars per training step."""
    lr: float = 1e-3
    """Initial learning rate."""
    lr_decay: float = 0.9999
    """Per-step learning-rate decay toward lr_min (magenta: 0.9999)."""
    lr_min: float = 1e-5
    """Learning-rate floor."""
    grad_clip: float = 1.0
    """Global gradient-norm clip."""

    def check(self) -> None:
        require(self.encoding in ENCODINGS and self.encoding.startswith("multitrack"), "encoding", self.encoding,
                "choose multitrack or multitrack_chords")
        require(self.bars == 1, "bars", self.bars, "must be 1 (the model reads one bar)")
        for name in ("embed_dim", "chord_dim", "track_hidden", "bar_hidden", "z_dim", "conductor_hidden",
                     "decoder_hidden", "decoder_layers", "batch_size"):
            require(1 <= getattr(self, name) <= 8192, name, getattr(self, name), "must be in 1..8192")
        require(0 <= self.max_beta <= 100, "max_beta", self.max_beta, "must be in [0, 100]")
        require(0 <= self.beta_rate < 1, "beta_rate", self.beta_rate, "must be in [0, 1)")
        require(0 <= self.free_bits <= 1e6, "free_bits", self.free_bits, "must be in [0, 1e6]")
        require(0 <= self.transpose <= 12, "transpose", self.transpose, "must be in 0..12")
        require(self.lr > 0, "lr", self.lr, "must be positive")
        require(0 <= self.lr_decay < 1, "lr_decay", self.lr_decay, "must be in [0, 1)")
        require(self.lr_min >= 0 and self.grad_clip >= 0, "grad_clip", self.grad_clip, "must not be negative")

    @property
    def encoding_spec(self):
        return get_encoding(self.encoding)

    @property
    def steps_per_bar(self) -> int:
        """Lines of a bar in the encoding's rows: one per track."""
        return MAX_TRACKS

    @property
    def steps(self) -> int:
        return self.bars * MAX_TRACKS


MULTITRACK_CONFIGS = Registry("multitrack config")
_TINY = dict(embed_dim=16, chord_dim=4, track_hidden=32, bar_hidden=32, z_dim=16, conductor_hidden=32,
             decoder_hidden=64, decoder_layers=1, free_bits=0, max_beta=0.001, transpose=0, batch_size=8, lr=1e-2)
MULTITRACK_CONFIGS.register("multitrack_1bar_tiny", MultitrackVAEConfig(name="multitrack_1bar_tiny", **_TINY))
MULTITRACK_CONFIGS.register("multitrack_1bar_chords_tiny", MultitrackVAEConfig(
    name="multitrack_1bar_chords_tiny", encoding="multitrack_chords", **_TINY))
# What one CPU core trains in about two hours (4.4M parameters, a few thousand steps): the KL weight reaches
# its 0.2 within them. The notebook's checkpoints: 256 free bits unconditioned (z keeps enough of a bar to give
# it back), 64 with chords (the decoder must lean on its chords).
_CPU = dict(max_beta=0.2, beta_rate=0.999)
MULTITRACK_CONFIGS.register("multitrack_1bar_cpu", MultitrackVAEConfig(free_bits=256, **_CPU))
MULTITRACK_CONFIGS.register("multitrack_1bar_chords_cpu", MultitrackVAEConfig(
    name="multitrack_1bar_chords_cpu", encoding="multitrack_chords", free_bits=64, **_CPU))
# magenta's hier-multiperf_vel_1bar_med(_chords), for a GPU: batch 256, lr 1e-3 decaying x0.9999 a step
_MED = dict(embed_dim=64, track_hidden=1024, bar_hidden=1024, z_dim=512, conductor_hidden=512, decoder_hidden=512,
            decoder_layers=3, free_bits=256, batch_size=256)
MULTITRACK_CONFIGS.register("multitrack_1bar_med", MultitrackVAEConfig(name="multitrack_1bar_med", **_MED))
MULTITRACK_CONFIGS.register("multitrack_1bar_chords_med", MultitrackVAEConfig(
    name="multitrack_1bar_chords_med", encoding="multitrack_chords", **{**_MED, "free_bits": 64}))
