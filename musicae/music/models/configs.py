"""Named sequence-VAE configurations, one registry. Each checkpoint stores its config.

The dataclass defaults are the default named config (`mel_2bar_cpu`), so `SequenceVAEConfig()` is
what `musicae train` trains when no --config is given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from musicae.autoencoding.config import CheckedConfig, Registry, require
from musicae.music.encodings import ENCODINGS, get_encoding
from musicae.music.encodings.base import DEFAULT_ENCODING

DEFAULT_CONFIG = "mel_2bar_cpu"


@dataclass
class SequenceVAEConfig(CheckedConfig):
    name: str = DEFAULT_CONFIG
    """Config name."""
    encoding: str = DEFAULT_ENCODING
    """What the classes mean and how windows are made (see `musicae/music/encodings/`)."""
    bars: int = 2
    """Window length in bars."""
    decoder: Literal["flat", "hierarchical"] = "flat"
    """flat (one LSTM over the window) or hierarchical (conductor + bar decoder, MusicVAE's hierdec)."""
    encoder: Literal["flat", "hierarchical"] = "flat"
    """flat (one BiLSTM over the window) or hierarchical (a BiLSTM per segment, then one over the segments)."""
    conductor_span: int = 1
    """Hierarchical encoder/decoder: bars per segment, one conductor step each (MusicVAE: 1). With 2, a 2-bar
    model's encoder and decoder fit the segments (`musicae train --init-from`)."""
    segment_dim: int = 0
    """Size of the per-segment codes: the segment encoder's output, and the conductor's output projected for
    the bar decoder (a 2-bar model's z_dim for --init-from). 0: no projection (the flat encoder only)."""
    embed_dim: int = 64
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
    """Hierarchical decoder only: conductor LSTM hidden size (0: the decoder's)."""
    conductor_layers: int = 2
    """Hierarchical decoder only: conductor LSTM layers."""
    split_decoders: bool = False
    """Hierarchical decoder only: one decoder per output stream under the conductor, each reading its own
    stream (MusicVAE's trio: melody, bass and drums); off: one decoder writes every stream."""
    z_dim: int = 128
    """Latent size."""
    max_beta: float = 0.2
    """Final KL weight."""
    beta_rate: float = 0.9995
    """KL annealing: beta = (1 - rate**step) * max_beta."""
    free_bits: float = 96.0
    """KL below this many bits (whole latent) is not penalised."""
    sampling_rate: float = 500.0
    """Scheduled sampling, inverse-sigmoid rate k: p = 1 - k / (k + exp(step / k)); 0 is pure teacher forcing."""
    sampling_mode: Literal["two_pass", "stepwise"] = "two_pass"
    """two_pass (parallel: sample from a teacher-forced pass, then train on the mix) or stepwise (exact, slow)."""
    transpose: int = 5
    """Training augmentation: random transposition within +-N semitones."""
    encoder_transpose: int = 0
    """Conditioned models: the encoder sees each training window (notes and conditions) moved by a further
    random +-N semitones, so z cannot hold the key and the decoder must read it from the conditions (0: off)."""
    batch_size: int = 128
    """Windows per training step."""
    lr: float = 1e-3
    """Initial learning rate."""
    lr_decay: float = 0.9997
    """Per-step learning-rate decay toward lr_min."""
    lr_min: float = 1e-5
    """Learning-rate floor."""
    grad_clip: float = 1.0
    """Global gradient-norm clip."""
    prior_dim: int = 0
    """A personal model's learned prior (MidiMe, `musicae personalize`): the size of its small latent space;
    0: the standard normal prior over z."""
    prior_hidden: int = 0
    """Hidden width of the learned prior's encoder and decoder (0 with prior_dim 0)."""

    def check(self) -> None:
        require(self.encoding in ENCODINGS, "encoding", self.encoding, f"choose from {', '.join(ENCODINGS.names())}")
        for name in ("bars", "encoder_hidden", "encoder_layers", "decoder_hidden", "decoder_layers", "conductor_layers",
                     "z_dim", "batch_size"):
            require(getattr(self, name) >= 1, name, getattr(self, name), "must be at least 1")
        for name in ("prior_dim", "prior_hidden", "embed_dim", "conductor_hidden", "max_beta", "free_bits", "sampling_rate", "transpose",
                     "encoder_transpose", "lr_min", "grad_clip"):
            require(getattr(self, name) >= 0, name, getattr(self, name), "must not be negative")
        require(0 <= self.beta_rate <= 1, "beta_rate", self.beta_rate, "must be in [0, 1]")
        require(0 <= self.lr_decay < 1, "lr_decay", self.lr_decay, "must be in [0, 1)")
        require(self.lr > 0, "lr", self.lr, "must be positive")
        require(self.conductor_span >= 1 and self.bars % self.conductor_span == 0, "conductor_span",
                self.conductor_span, f"must divide bars ({self.bars})")
        require(self.segment_dim >= 0, "segment_dim", self.segment_dim, "must not be negative")
        require(self.encoder == "flat" or self.segment_dim >= 1, "segment_dim", self.segment_dim,
                "a hierarchical encoder needs segment codes of size 1 or more")
        require(not self.encoder_transpose or self.has_controls, "encoder_transpose", self.encoder_transpose,
                "needs an encoding with conditions (the decoder could not know the key)")
        require(not self.split_decoders or self.decoder == "hierarchical", "split_decoders", self.split_decoders,
                "needs --decoder hierarchical (the decoders run under its conductor)")
        require(self.encoder_transpose <= 5, "encoder_transpose", self.encoder_transpose,
                "must be at most 5: a larger shift makes the octave ambiguous")

    @property
    def steps_per_bar(self) -> int:
        return get_encoding(self.encoding).steps_per_bar

    @property
    def steps(self) -> int:
        return self.bars * self.steps_per_bar

    @property
    def segments(self) -> int:
        """Conductor steps (hierarchical models): bars / conductor_span."""
        return self.bars // self.conductor_span

    @property
    def encoding_spec(self):
        """The encoding itself (its streams and conversions)."""
        return get_encoding(self.encoding)

    @property
    def has_controls(self) -> bool:
        return bool(self.encoding_spec.controls)


MelodyVAEConfig = SequenceVAEConfig  # round 1's name

SEQUENCE_CONFIGS = Registry("sequence-VAE config")

SEQUENCE_CONFIGS.register(
    "mel_2bar_small",
    SequenceVAEConfig(name="mel_2bar_small", embed_dim=0, encoder_hidden=512, decoder_hidden=256, decoder_layers=2,
                      z_dim=256, max_beta=0.2, beta_rate=0.99999, free_bits=0, batch_size=512, lr_decay=0.9999,
                      sampling_rate=1000.0, sampling_mode="stepwise"),
)
SEQUENCE_CONFIGS.register(
    "mel_2bar_big",
    SequenceVAEConfig(name="mel_2bar_big", embed_dim=0, encoder_hidden=2048, decoder_hidden=2048, decoder_layers=3,
                      z_dim=512, max_beta=0.5, beta_rate=0.99999, free_bits=0, batch_size=512, lr_decay=0.9999,
                      sampling_rate=1000.0, sampling_mode="stepwise"),
)
SEQUENCE_CONFIGS.register(
    "mel_16bar_hier",
    SequenceVAEConfig(name="mel_16bar_hier", bars=16, decoder="hierarchical", embed_dim=0, encoder_hidden=2048,
                      encoder_layers=2, conductor_hidden=1024, conductor_layers=2, decoder_hidden=1024, decoder_layers=2,
                      z_dim=512, max_beta=0.2, beta_rate=0.99999, free_bits=256, batch_size=512, lr_decay=0.9999,
                      sampling_rate=1000.0, sampling_mode="stepwise"),
)
# Sized for one GPU and a few minutes (the shipped 16-bar models): MusicVAE's layout at a quarter of its
# widths, one-hot inputs, pure teacher forcing (its scheduled sampling would barely start in so few steps).
# High free bits (MusicVAE's "hikl" side): the CPU 2-bar model's KL sits at its 96-bit allowance on train
# and held-out windows alike, so the bit budget, not overfitting, is what limits its reconstructions.
_MED = dict(embed_dim=0, encoder_hidden=512, encoder_layers=1, decoder_hidden=512, decoder_layers=2, z_dim=256,
            max_beta=0.2, beta_rate=0.9995, sampling_rate=0.0, lr_decay=0.9996)
SEQUENCE_CONFIGS.register(
    "mel_16bar_hier_med",
    SequenceVAEConfig(name="mel_16bar_hier_med", bars=16, decoder="hierarchical", conductor_hidden=512,
                      conductor_layers=2, free_bits=512, batch_size=256, **_MED),
)
SEQUENCE_CONFIGS.register(
    "mel_16bar_flat_med",
    SequenceVAEConfig(name="mel_16bar_flat_med", bars=16, decoder="flat", free_bits=512, batch_size=256, **_MED),
)
SEQUENCE_CONFIGS.register(
    "mel_2bar_med",
    SequenceVAEConfig(name="mel_2bar_med", bars=2, free_bits=256, batch_size=512, **{**_MED, "lr_decay": 0.9998}),
)
# Sized for this 2-core CPU (about 3 hours each): the same layouts at half the GPU widths.
_CPU16 = dict(_MED, encoder_hidden=256, decoder_hidden=256, z_dim=128, batch_size=64, lr_decay=0.9998)
SEQUENCE_CONFIGS.register(
    "mel_16bar_hier_cpu",
    SequenceVAEConfig(name="mel_16bar_hier_cpu", bars=16, decoder="hierarchical", conductor_hidden=256,
                      conductor_layers=2, free_bits=384, **_CPU16),
)
SEQUENCE_CONFIGS.register(
    "mel_16bar_flat_cpu",
    SequenceVAEConfig(name="mel_16bar_flat_cpu", bars=16, decoder="flat", free_bits=384, **_CPU16),
)
# 16 bars from a trained 2-bar model (`musicae train --init-from mel_2bar_folk`): 2-bar segments, each read by
# the 2-bar model's encoder and written by its decoder, so only the 16-bar latent and the conductor between
# them start from scratch. The CPU runs above learn rhythm long before pitch (onset accuracy 0.18 at 3,000 steps).
SEQUENCE_CONFIGS.register(
    "mel_16bar_hier2_cpu",
    SequenceVAEConfig(name="mel_16bar_hier2_cpu", bars=16, decoder="hierarchical", encoder="hierarchical",
                      conductor_span=2, segment_dim=128, conductor_hidden=256, conductor_layers=2, z_dim=256,
                      free_bits=512, sampling_rate=0.0, batch_size=64, lr_decay=0.9998),
)
# Sized for a 2-core CPU: trains to good accuracy in well under an hour. The dataclass defaults.
SEQUENCE_CONFIGS.register(DEFAULT_CONFIG, SequenceVAEConfig())
# The chord-conditioned melody model (MusicVAE's cat-mel_2bar_med_chords, at the CPU default's size). Its
# encoder reads each window in another key than the decoder writes it: trained like MusicVAE, the decoder
# found everything in z and sampled melodies that ignored their chords (chord-tone ratio 0.37 vs 0.63).
SEQUENCE_CONFIGS.register("mel_2bar_chords", SequenceVAEConfig(name="mel_2bar_chords", encoding="melody_chords",
                                                               encoder_transpose=5))
# MusicVAE's cat-drums_2bar_small (BiLSTM 512, decoder 2x256, z 256, free bits 48, beta 0.2, scheduled sampling)
# at this CPU's size: the encoder at half width, a learned embedding of the 512 drum classes.
SEQUENCE_CONFIGS.register(
    "drums_2bar",
    SequenceVAEConfig(name="drums_2bar", encoding="drums", encoder_hidden=256, decoder_hidden=256, z_dim=256,
                      free_bits=48, max_beta=0.2, beta_rate=0.9995, transpose=0),
)
# Magenta's drums_2bar_hikl: the same model with 256 free bits, so z keeps enough of a beat to give it back
# (reconstruct, interpolate); drums_2bar (48 bits) stays the one to sample from.
SEQUENCE_CONFIGS.register(
    "drums_2bar_hikl", replace(SEQUENCE_CONFIGS["drums_2bar"], name="drums_2bar_hikl", free_bits=256))
# GrooVAE (MusicVAE's groovae_2bar_humanize and groovae_2bar_tap: BiLSTM 512, decoder 2x256, z 256, free bits
# 48, beta 0.2, teacher forcing) at this CPU's size: the encoder at half width. No scheduled sampling: the
# outputs are values, not classes to feed back.
for _reads in ("humanize", "tap"):
    SEQUENCE_CONFIGS.register(
        f"groovae_2bar_{_reads}",
        SequenceVAEConfig(name=f"groovae_2bar_{_reads}", encoding=f"groove_{_reads}", encoder_hidden=256,
                          decoder_hidden=256, z_dim=256, free_bits=48, max_beta=0.2, beta_rate=0.9995,
                          sampling_rate=0, transpose=0),
    )
# MusicVAE's hierdec-trio_16bar (encoder BiLSTM 2x2048, conductor 2x1024, a 2x1024 decoder for each of melody,
# bass and drums under it, z 512, free bits 256, beta 0.2), for a GPU; and at this CPU's size. No trio model
# ships: no trio collection that may be shipped is reachable here (train on your own: prepare --encoding trio).
_TRIO = dict(encoding="trio", bars=16, decoder="hierarchical", encoder="flat", split_decoders=True, embed_dim=0,
             max_beta=0.2, free_bits=256, transpose=3, sampling_rate=0.0)
SEQUENCE_CONFIGS.register(
    "trio_16bar_med",
    SequenceVAEConfig(name="trio_16bar_med", encoder_hidden=2048, encoder_layers=2, conductor_hidden=1024,
                      conductor_layers=2, decoder_hidden=1024, decoder_layers=2, z_dim=512, batch_size=256,
                      beta_rate=0.99999, lr_decay=0.9999, **_TRIO),
)
SEQUENCE_CONFIGS.register(
    "trio_16bar_cpu",
    SequenceVAEConfig(name="trio_16bar_cpu", encoder_hidden=256, conductor_hidden=256, conductor_layers=2,
                      decoder_hidden=256, decoder_layers=2, z_dim=256, batch_size=32, beta_rate=0.9995,
                      lr_decay=0.9998, **_TRIO),
)
# Tiny configs for tests.
SEQUENCE_CONFIGS.register(
    "mel_2bar_tiny",
    SequenceVAEConfig(name="mel_2bar_tiny", embed_dim=16, encoder_hidden=32, decoder_hidden=32, decoder_layers=1,
                      z_dim=8, batch_size=16, transpose=0, sampling_rate=0, max_beta=0.01, beta_rate=0.99, free_bits=0,
                      lr_decay=0.9999),
)
SEQUENCE_CONFIGS.register(
    "mel_16bar_tiny",
    SequenceVAEConfig(name="mel_16bar_tiny", bars=16, decoder="hierarchical", embed_dim=16, encoder_hidden=32,
                      decoder_hidden=32, decoder_layers=1, conductor_hidden=32, conductor_layers=1, z_dim=8,
                      batch_size=8, transpose=0, sampling_rate=0, beta_rate=0.99999, free_bits=0, lr_decay=0.9999),
)
SEQUENCE_CONFIGS.register(
    "mel_16bar_hier2_tiny",
    replace(SEQUENCE_CONFIGS["mel_16bar_tiny"], name="mel_16bar_hier2_tiny", encoder="hierarchical", conductor_span=2,
            segment_dim=8, z_dim=16),  # its segments fit mel_2bar_tiny
)
SEQUENCE_CONFIGS.register(
    "mel_2bar_chords_tiny", replace(SEQUENCE_CONFIGS["mel_2bar_tiny"], name="mel_2bar_chords_tiny", encoding="melody_chords"))
SEQUENCE_CONFIGS.register(
    "drums_2bar_tiny", replace(SEQUENCE_CONFIGS["mel_2bar_tiny"], name="drums_2bar_tiny", encoding="drums"))
for _reads in ("humanize", "tap"):
    SEQUENCE_CONFIGS.register(f"groovae_2bar_{_reads}_tiny", replace(
        SEQUENCE_CONFIGS["mel_2bar_tiny"], name=f"groovae_2bar_{_reads}_tiny", encoding=f"groove_{_reads}"))
SEQUENCE_CONFIGS.register("trio_16bar_tiny", replace(
    SEQUENCE_CONFIGS["mel_16bar_tiny"], name="trio_16bar_tiny", encoding="trio", split_decoders=True))
MELODY_CONFIGS = SEQUENCE_CONFIGS  # round 1's name


def get_config(name: str, **overrides) -> SequenceVAEConfig:
    return replace(SEQUENCE_CONFIGS[name], **overrides)
