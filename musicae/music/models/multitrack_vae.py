"""The multitrack bar VAE of Simon et al. 2018 (issue 22): one bar of up to 8 tracks of performance events.

Encoder: a BiLSTM reads each track's tokens, a second BiLSTM reads the tracks' summaries in order.
Decoder: a conductor LSTM turns z into one embedding per track, and each track is decoded from its own
embedding, all tracks in parallel. The model owns its loss (the shared trainer's contract: `model(tokens,
step=)` -> {"loss", "recon", "kl", ...}) and its sampling.

A track counts up to and including its first END: the padding after it is not scored, and an unused track
row scores its single END ("no track here").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from musicae.autoencoding.config import CheckedConfig, Registry, require
from musicae.autoencoding.losses import elbo_breakdown, masked_sequence_nll
from musicae.autoencoding.posterior import DiagonalGaussian
from musicae.autoencoding.schedules import free_bits_total
from musicae.music.encodings.multitrack_events import END, MAX_TRACKS, PROGRAM, TRACK_TOKENS, VOCABULARY

START = VOCABULARY  # the decoder's first input: a token no track holds


@dataclass(frozen=True)
class MultitrackVAEConfig(CheckedConfig):
    embed_dim: int = 64
    track_hidden: int = 256
    """Each track's encoder BiLSTM (per direction)."""
    bar_hidden: int = 256
    """The BiLSTM over the tracks' summaries (per direction)."""
    z_dim: int = 128
    conductor_hidden: int = 256
    decoder_hidden: int = 256
    decoder_layers: int = 2
    max_beta: float = 1.0
    beta_rate: float = 0.99999
    """beta = max_beta * (1 - beta_rate ** step), MusicVAE's KL annealing."""
    free_bits: float = 64.0
    """KL bits the latent may use before the KL is penalized (the released configs: 64 and 256)."""

    def check(self) -> None:
        for name in ("embed_dim", "track_hidden", "bar_hidden", "z_dim", "conductor_hidden", "decoder_hidden",
                     "decoder_layers"):
            require(1 <= getattr(self, name) <= 8192, name, getattr(self, name), "must be in 1..8192")
        require(0 <= self.max_beta <= 100, "max_beta", self.max_beta, "must be in [0, 100]")
        require(0 <= self.beta_rate < 1, "beta_rate", self.beta_rate, "must be in [0, 1)")
        require(0 <= self.free_bits <= 1e6, "free_bits", self.free_bits, "must be in [0, 1e6]")


MULTITRACK_CONFIGS = Registry("multitrack config")
MULTITRACK_CONFIGS.register("multitrack_1bar_tiny", MultitrackVAEConfig(
    embed_dim=16, track_hidden=32, bar_hidden=32, z_dim=16, conductor_hidden=32, decoder_hidden=64,
    decoder_layers=1, free_bits=0, max_beta=0.001))  # tests
MULTITRACK_CONFIGS.register("multitrack_1bar_cpu", MultitrackVAEConfig())  # what one CPU trains in hours
MULTITRACK_CONFIGS.register("multitrack_1bar_med", MultitrackVAEConfig(  # magenta's hier-multiperf_vel_1bar_med
    embed_dim=64, track_hidden=1024, bar_hidden=1024, z_dim=512, conductor_hidden=512, decoder_hidden=512,
    decoder_layers=3, free_bits=256))  # a GPU's: batch 256, lr 1e-3 decaying x0.9999 a step in magenta


def track_mask(tokens: torch.Tensor) -> torch.Tensor:
    """(B, K, L) bool: true up to and including each track's first END."""
    is_end = tokens == END
    ends_before = torch.cumsum(is_end.int(), dim=-1) - is_end.int()  # ENDs strictly before each position
    return ends_before == 0


class MultitrackVAE(nn.Module):
    def __init__(self, cfg: MultitrackVAEConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(VOCABULARY + 1, cfg.embed_dim)
        self.track_encoder = nn.LSTM(cfg.embed_dim, cfg.track_hidden, batch_first=True, bidirectional=True)
        self.bar_encoder = nn.LSTM(2 * cfg.track_hidden, cfg.bar_hidden, batch_first=True, bidirectional=True)
        self.to_posterior = nn.Linear(2 * cfg.bar_hidden, 2 * cfg.z_dim)
        self.conductor_init = nn.Linear(cfg.z_dim, 2 * cfg.conductor_hidden)
        self.conductor = nn.LSTM(cfg.z_dim, cfg.conductor_hidden, batch_first=True)
        self.track_init = nn.Linear(cfg.conductor_hidden, 2 * cfg.decoder_layers * cfg.decoder_hidden)
        self.decoder = nn.LSTM(cfg.embed_dim + cfg.conductor_hidden, cfg.decoder_hidden, cfg.decoder_layers,
                               batch_first=True)
        self.out = nn.Linear(cfg.decoder_hidden, VOCABULARY)

    def encode(self, tokens: torch.Tensor) -> DiagonalGaussian:
        batch, tracks, length = tokens.shape  # (B, K, L)
        x = self.embed(tokens.long().reshape(batch * tracks, length))  # (B*K, L, E)
        lengths = track_mask(tokens).sum(-1).reshape(-1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.track_encoder(packed)  # h: (2, B*K, H)
        summaries = torch.cat([h[0], h[1]], dim=-1).reshape(batch, tracks, -1)  # (B, K, 2H)
        _, (h, _) = self.bar_encoder(summaries)
        mean, raw_scale = self.to_posterior(torch.cat([h[0], h[1]], dim=-1)).chunk(2, dim=-1)  # (B, Z) each
        return DiagonalGaussian(mean, raw_scale)

    def track_embeddings(self, z: torch.Tensor) -> torch.Tensor:
        """(B, Z) -> (B, K, C): the conductor's one embedding per track."""
        h0, c0 = torch.tanh(self.conductor_init(z)).chunk(2, dim=-1)
        steps = z.unsqueeze(1).expand(-1, MAX_TRACKS, -1)
        out, _ = self.conductor(steps.contiguous(), (h0.unsqueeze(0).contiguous(), c0.unsqueeze(0).contiguous()))
        return out

    def _decoder_state(self, embeddings: torch.Tensor):
        flat = embeddings.reshape(-1, embeddings.shape[-1])  # (B*K, C)
        state = torch.tanh(self.track_init(flat)).reshape(flat.shape[0], 2, self.cfg.decoder_layers, -1)
        return state[:, 0].transpose(0, 1).contiguous(), state[:, 1].transpose(0, 1).contiguous()

    def teacher_forced(self, z: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """(B, K, L, V) logits of each token given the true ones before it."""
        batch, tracks, length = tokens.shape
        embeddings = self.track_embeddings(z)  # (B, K, C)
        flat = tokens.long().reshape(batch * tracks, length)
        previous = torch.cat([torch.full_like(flat[:, :1], START), flat[:, :-1]], dim=1)  # (B*K, L)
        cond = embeddings.reshape(batch * tracks, 1, -1).expand(-1, length, -1)
        out, _ = self.decoder(torch.cat([self.embed(previous), cond], dim=-1), self._decoder_state(embeddings))
        return self.out(out).reshape(batch, tracks, length, VOCABULARY)

    def beta(self, step: int) -> float:
        return self.cfg.max_beta * (1.0 - self.cfg.beta_rate ** step)

    def forward(self, tokens, step: int = 0) -> dict[str, torch.Tensor]:
        tokens = tokens[0] if isinstance(tokens, (tuple, list)) else tokens  # TensorData gives a tuple
        posterior = self.encode(tokens)
        logits = self.teacher_forced(posterior.rsample(), tokens)
        batch = tokens.shape[0]
        nll = masked_sequence_nll(logits.reshape(batch, -1, VOCABULARY), tokens.long().reshape(batch, -1),
                                  track_mask(tokens).reshape(batch, -1))
        kl = posterior.kl()
        return elbo_breakdown(nll, kl, self.beta(step), free_bits_total(kl, self.cfg.free_bits))

    @torch.no_grad()
    def decode(self, z: torch.Tensor, temperature: float = 0.2, generator: torch.Generator | None = None
               ) -> torch.Tensor:
        """(B, Z) -> (B, K, L) tokens, every track drawn step by step at `temperature` (0: greedy). A track's
        first token is a program, drums or END, and everything after its END is END."""
        embeddings = self.track_embeddings(z)
        rows = embeddings.shape[0] * MAX_TRACKS
        cond = embeddings.reshape(rows, 1, -1)
        state = self._decoder_state(embeddings)
        previous = torch.full((rows, 1), START, dtype=torch.long, device=z.device)
        done = torch.zeros(rows, dtype=torch.bool, device=z.device)
        tokens = torch.full((rows, TRACK_TOKENS), END, dtype=torch.long, device=z.device)
        head, event, last = torch.zeros(3, VOCABULARY, dtype=torch.bool, device=z.device)
        head[PROGRAM:] = True  # a program, drums, or END for an unused track
        event[:PROGRAM] = event[END] = True
        last[END] = True
        for position in range(TRACK_TOKENS):
            out, state = self.decoder(torch.cat([self.embed(previous), cond], dim=-1), state)
            logits = self.out(out[:, -1])  # (rows, V)
            allowed = head if position == 0 else last if position == TRACK_TOKENS - 1 else event
            logits = logits.masked_fill(~allowed, float("-inf"))
            if temperature <= 0:
                chosen = logits.argmax(-1)
            else:
                chosen = torch.multinomial(F.softmax(logits / temperature, -1), 1, generator=generator).squeeze(1)
            chosen = torch.where(done, torch.full_like(chosen, END), chosen)
            tokens[:, position] = chosen
            done |= chosen == END
            previous = chosen.unsqueeze(1)
        return tokens.reshape(-1, MAX_TRACKS, TRACK_TOKENS)
