"""Named melody-VAE configurations, one registry. Each checkpoint stores its config."""

from __future__ import annotations

from dataclasses import dataclass, replace

from musicae.autoencoding.config import Registry
from musicae.music.encoding import NUM_CLASSES, STEPS_PER_BAR


@dataclass
class MelodyVAEConfig:
    name: str = "mel_2bar_cpu"
    """Config name."""
    bars: int = 2
    """Window length in bars (16 steps each)."""
    decoder: str = "flat"
    """flat (one LSTM over the window) or hierarchical (conductor + bar decoder, MusicVAE's hierdec)."""
    embed_dim: int = 0
    """Input embedding size; 0 feeds one-hot vectors, as MusicVAE does."""
    encoder_hidden: int = 256
    """Hidden size of each direction of the bidirectional LSTM encoder."""
    encoder_layers: int = 1
    """Encoder LSTM layers."""
    decoder_hidden: int = 256
    """Hidden size of the (bar) decoder LSTM."""
    decoder_layers: int = 2
    """Decoder LSTM layers."""
    conductor_hidden: int = 0
    """Hierarchical decoder only: conductor LSTM hidden size."""
    conductor_layers: int = 2
    """Hierarchical decoder only: conductor LSTM layers."""
    z_dim: int = 128
    """Latent size."""
    max_beta: float = 0.2
    """Final KL weight."""
    beta_rate: float = 0.99999
    """KL annealing: beta = (1 - rate**step) * max_beta."""
    free_bits: float = 0.0
    """KL below this many bits (whole latent) is not penalised."""
    sampling_rate: float = 1000.0
    """Scheduled sampling, inverse-sigmoid rate k: p = 1 - k / (k + exp(step / k)); 0 is pure teacher forcing."""
    sampling_mode: str = "two_pass"
    """two_pass (parallel: sample from a teacher-forced pass, then train on the mix) or stepwise (exact, slow)."""
    transpose: int = 5
    """Training augmentation: random transposition within +-N semitones."""
    batch_size: int = 512
    """Windows per training step."""
    lr: float = 1e-3
    """Initial learning rate."""
    lr_decay: float = 0.9999
    """Per-step learning-rate decay toward lr_min."""
    lr_min: float = 1e-5
    """Learning-rate floor."""
    grad_clip: float = 1.0
    """Global gradient-norm clip."""
    num_classes: int = NUM_CLASSES
    """Classes per step (the MusicVAE melody encoding)."""

    @property
    def steps(self) -> int:
        return self.bars * STEPS_PER_BAR


MELODY_CONFIGS = Registry("melody config")

MELODY_CONFIGS.register(
    "mel_2bar_small",
    MelodyVAEConfig(name="mel_2bar_small", encoder_hidden=512, decoder_hidden=256, decoder_layers=2, z_dim=256,
                    max_beta=0.2, beta_rate=0.99999, free_bits=0, batch_size=512, sampling_mode="stepwise"),
)
MELODY_CONFIGS.register(
    "mel_2bar_big",
    MelodyVAEConfig(name="mel_2bar_big", encoder_hidden=2048, decoder_hidden=2048, decoder_layers=3, z_dim=512,
                    max_beta=0.5, free_bits=0, batch_size=512, sampling_mode="stepwise"),
)
MELODY_CONFIGS.register(
    "mel_16bar_hier",
    MelodyVAEConfig(name="mel_16bar_hier", bars=16, decoder="hierarchical", encoder_hidden=2048, encoder_layers=2,
                    conductor_hidden=1024, conductor_layers=2, decoder_hidden=1024, decoder_layers=2, z_dim=512,
                    max_beta=0.2, free_bits=256, batch_size=512, sampling_mode="stepwise"),
)
# Sized for a 2-core CPU: trains to good accuracy in well under an hour.
MELODY_CONFIGS.register(
    "mel_2bar_cpu",
    MelodyVAEConfig(name="mel_2bar_cpu", embed_dim=64, encoder_hidden=256, decoder_hidden=256, decoder_layers=2, z_dim=128,
                    max_beta=0.2, beta_rate=0.9995, free_bits=96, batch_size=128, lr_decay=0.9997,
                    sampling_rate=500.0),
)
# Tiny configs for tests.
MELODY_CONFIGS.register(
    "mel_2bar_tiny",
    MelodyVAEConfig(name="mel_2bar_tiny", embed_dim=16, encoder_hidden=32, decoder_hidden=32, decoder_layers=1,
                    z_dim=8, batch_size=16, transpose=0, sampling_rate=0, max_beta=0.01, beta_rate=0.99),
)
MELODY_CONFIGS.register(
    "mel_16bar_tiny",
    MelodyVAEConfig(name="mel_16bar_tiny", bars=16, decoder="hierarchical", embed_dim=16, encoder_hidden=32,
                    decoder_hidden=32, decoder_layers=1, conductor_hidden=32, conductor_layers=1, z_dim=8,
                    batch_size=8, transpose=0, sampling_rate=0),
)

DEFAULT_CONFIG = "mel_2bar_cpu"


def get_config(name: str, **overrides) -> MelodyVAEConfig:
    return replace(MELODY_CONFIGS[name], **overrides)
