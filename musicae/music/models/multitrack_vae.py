"""The multitrack bar VAE of Simon et al. 2018 (issue 22): one bar of up to 8 tracks of performance events.

Encoder: a BiLSTM reads each track's tokens, a second BiLSTM reads the tracks' summaries in order.
Decoder: a conductor LSTM turns z into one embedding per track, and each track is decoded from its own
embedding, all tracks in parallel. The model owns its loss (the shared trainer's contract: `model(tokens,
step=)` -> {"loss", "recon", "kl", ...}) and its sampling.

A track counts up to and including its first END: the padding after it is not scored, and an unused track
row scores its single END ("no track here").
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from musicae.autoencoding.batch import Batch
from musicae.autoencoding.checkpoint import copy_weights
from musicae.autoencoding.losses import elbo_breakdown
from musicae.autoencoding.posterior import DiagonalGaussian
from musicae.autoencoding.runs import register_model_kind
from musicae.autoencoding.schedules import free_bits_total
from musicae.music.encodings.chords import NO_CHORD, NUM_CHORD_CLASSES
from musicae.music.encodings.multitrack_events import (
    END,
    MAX_TRACKS,
    PROGRAM,
    SHIFT,
    STEPS_PER_BAR,
    TRACK_TOKENS,
    VELOCITY,
    VOCABULARY,
)
from musicae.music.models.multitrack_configs import MultitrackVAEConfig

START = VOCABULARY  # the decoder's first input: a token no track holds
CHORD_STEPS = 16  # a bar's chords are given per sixteenth


def track_mask(tokens: torch.Tensor) -> torch.Tensor:
    """(B, K, L) bool: true up to and including each track's first END."""
    is_end = tokens == END
    ends_before = torch.cumsum(is_end.int(), dim=-1) - is_end.int()  # ENDs strictly before each position
    return ends_before == 0


LENGTH_BUCKETS = (1, 8, 16, 32, TRACK_TOKENS)
"""Tracks are read in groups padded to these lengths (with END): fixed spans, so a track's encoding never
depends on the other tracks of its batch, and short tracks cost little."""


def length_buckets(lengths: torch.Tensor) -> list[tuple[torch.Tensor, int]]:
    """(rows, span) of each non-empty group of the (R,) track lengths, by the smallest bucket that holds them."""
    groups, low = [], 0
    for span in LENGTH_BUCKETS:
        rows = torch.nonzero((lengths > low) & (lengths <= span)).squeeze(1)
        if len(rows):
            groups.append((rows, span))
        low = span
    return groups


def token_chords(tokens: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """(B, K, L) tokens, (B, K, 16) chords per sixteenth -> (B, K, L) the chord sounding when each token is
    read; "no chord" for the program token."""
    shifts = torch.where((tokens >= SHIFT) & (tokens < VELOCITY), tokens - SHIFT + 1, 0)
    times = (torch.cumsum(shifts, dim=-1) - shifts).clamp(0, STEPS_PER_BAR - 1)
    chords = grid.gather(-1, times * CHORD_STEPS // STEPS_PER_BAR)
    chords[..., 0] = NO_CHORD
    return chords


def chords_at(grid: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
    """(R, 16) chords per sixteenth, (R,) bar times in event steps -> (R,) the chord sounding then."""
    index = (times.clamp(0, STEPS_PER_BAR - 1) * CHORD_STEPS) // STEPS_PER_BAR
    return grid.gather(1, index.unsqueeze(1)).squeeze(1)


class MultitrackVAE(nn.Module):
    def __init__(self, cfg: MultitrackVAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoding = cfg.encoding_spec
        self.conditioned = bool(self.encoding.controls)
        chord = cfg.chord_dim if self.conditioned else 0
        self.embed = nn.Embedding(VOCABULARY + 1, cfg.embed_dim)
        self.chord_embed = nn.Embedding(NUM_CHORD_CLASSES, cfg.chord_dim) if self.conditioned else None
        self.track_encoder = nn.LSTM(cfg.embed_dim + chord, cfg.track_hidden, batch_first=True, bidirectional=True)
        self.bar_encoder = nn.LSTM(2 * cfg.track_hidden, cfg.bar_hidden, batch_first=True, bidirectional=True)
        self.to_posterior = nn.Linear(2 * cfg.bar_hidden, 2 * cfg.z_dim)
        self.conductor_init = nn.Linear(cfg.z_dim, 2 * cfg.conductor_hidden)
        self.conductor = nn.LSTM(cfg.z_dim, cfg.conductor_hidden, batch_first=True)
        self.track_init = nn.Linear(cfg.conductor_hidden, 2 * cfg.decoder_layers * cfg.decoder_hidden)
        self.decoder = nn.LSTM(cfg.embed_dim + chord + cfg.conductor_hidden, cfg.decoder_hidden, cfg.decoder_layers,
                               batch_first=True)
        self.out = nn.Linear(cfg.decoder_hidden, VOCABULARY)

    def init_from(self, source: nn.Module) -> list[str]:
        """Start as a whole from a trained multitrack model of the same shape: a run carried on from a shipped
        model when the run itself is gone (its optimizer starts afresh), or a second stage with other settings
        (free bits, learning rate). Returns the names of the tensors copied; a misfit raises ValueError."""
        if not isinstance(source, MultitrackVAE):
            raise ValueError(f"config {self.cfg.name} starts only from a multitrack model; got a "
                             f"{type(source).__name__} ({source.cfg.name})")
        if source.conditioned != self.conditioned:
            kind = {True: "chord-conditioned", False: "unconditioned"}
            raise ValueError(f"config {self.cfg.name} is {kind[self.conditioned]}; the trained model "
                             f"({source.cfg.name}) is {kind[source.conditioned]}")
        return copy_weights(self, source, f"config {self.cfg.name}")

    # -- inputs
    def _streams(self, batch) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(tokens (B, K, L), each token's chord (B, K, L) or None) of a Batch, a dict or bare tokens; the
        batch's chords are per sixteenth of the bar, (B, K, 16), the same on each track's line."""
        if isinstance(batch, (tuple, list)):  # TensorData gives a tuple
            batch = batch[0]
        if torch.is_tensor(batch):
            batch = {"tracks": batch}
        tokens = batch["tracks"].long()
        if not self.conditioned:
            return tokens, None
        if "chords" not in batch:
            raise ValueError(f"model {self.cfg.name} reads chords: give the chords of the bar")
        return tokens, token_chords(tokens, batch["chords"].long())

    def _inputs(self, tokens: torch.Tensor, chords: torch.Tensor | None) -> torch.Tensor:
        x = self.embed(tokens)
        return x if chords is None else torch.cat([x, self.chord_embed(chords)], dim=-1)

    # -- encoder
    def encode(self, batch) -> DiagonalGaussian:
        tokens, chords = self._streams(batch)
        batch_size, tracks, length = tokens.shape  # (B, K, L)
        x = self._inputs(tokens, chords).reshape(batch_size * tracks, length, -1)  # (B*K, L, E)
        summaries = x.new_zeros(batch_size * tracks, 2 * self.cfg.track_hidden)
        for rows, span in length_buckets(track_mask(tokens).sum(-1).reshape(-1)):
            _, (h, _) = self.track_encoder(x[rows, :span])  # h: (2, n, H)
            summaries = summaries.index_copy(0, rows, torch.cat([h[0], h[1]], dim=-1))
        _, (h, _) = self.bar_encoder(summaries.reshape(batch_size, tracks, -1))  # over the tracks, (B, K, 2H)
        mean, raw_scale = self.to_posterior(torch.cat([h[0], h[1]], dim=-1)).chunk(2, dim=-1)  # (B, Z) each
        return DiagonalGaussian(mean, raw_scale)

    # -- decoder
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

    def _scored_outputs(self, z: torch.Tensor, tokens: torch.Tensor, chords: torch.Tensor | None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """((S, H) decoder outputs, (S,) their positions in the flattened (B, K, L) tokens) at the scored
        positions (each track up to its END), given the true tokens before each: padding past an END is barely
        computed, so an empty track costs one step."""
        batch_size, tracks, length = tokens.shape
        embeddings = self.track_embeddings(z)  # (B, K, C)
        flat = tokens.reshape(batch_size * tracks, length)
        previous = torch.cat([torch.full_like(flat[:, :1], START), flat[:, :-1]], dim=1)  # (B*K, L)
        cond = embeddings.reshape(batch_size * tracks, 1, -1).expand(-1, length, -1)
        flat_chords = None if chords is None else chords.reshape(batch_size * tracks, length)
        x = torch.cat([self._inputs(previous, flat_chords), cond], dim=-1)  # (B*K, L, E + C)
        h0, c0 = self._decoder_state(embeddings)  # (layers, B*K, H) each
        mask = track_mask(tokens).reshape(batch_size * tracks, length)
        outputs, positions = [], []
        for rows, span in length_buckets(mask.sum(-1)):
            out, _ = self.decoder(x[rows, :span], (h0[:, rows].contiguous(), c0[:, rows].contiguous()))
            scored = mask[rows, :span]  # (n, span)
            outputs.append(out[scored])
            steps = torch.arange(span, device=tokens.device).expand(len(rows), -1)
            positions.append((rows[:, None] * length + steps)[scored])
        return torch.cat(outputs), torch.cat(positions)

    def teacher_forced(self, z: torch.Tensor, batch) -> torch.Tensor:
        """(B, K, L, V) logits of each token given the true ones before it (0 past each track's END)."""
        tokens, chords = self._streams(batch)
        outputs, positions = self._scored_outputs(z, tokens, chords)
        logits = torch.zeros(tokens.numel(), VOCABULARY, device=z.device)
        logits[positions] = self.out(outputs)
        return logits.reshape(*tokens.shape, VOCABULARY)

    def beta(self, step: int) -> float:
        return self.cfg.max_beta * (1.0 - self.cfg.beta_rate ** step)

    def forward(self, batch, step: int = 0) -> dict[str, torch.Tensor]:
        if self.training and self.cfg.transpose:
            batch = self._as_batch(batch)
            batch = self.encoding.augment(batch, self.cfg.transpose)
        tokens, chords = self._streams(batch)
        posterior = self.encode(batch)
        outputs, positions = self._scored_outputs(posterior.rsample(), tokens, chords)
        logits, targets = self.out(outputs), tokens.reshape(-1)[positions]  # (S, V), (S,)
        per_token = F.cross_entropy(logits, targets, reduction="none")
        rows = positions // tokens[0].numel()
        nll = torch.zeros(len(tokens), device=tokens.device).index_add(0, rows, per_token)  # (B,)
        kl = posterior.kl()
        out = elbo_breakdown(nll, kl, self.beta(step), free_bits_total(kl, self.cfg.free_bits))
        out["accuracy"] = (logits.argmax(-1) == targets).float().mean().detach()
        return out

    def _as_batch(self, batch) -> Batch:
        if isinstance(batch, Batch):
            return batch
        tokens, chords = self._streams(batch)
        return Batch({"tracks": tokens, **({} if chords is None else {"chords": chords})})

    @torch.no_grad()
    def prior_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.cfg.z_dim, generator=generator)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, temperature: float = 0.0, controls: dict | None = None,
               generator: torch.Generator | None = None, fixed: dict | None = None,
               coupled_segments: bool = False) -> dict[str, torch.Tensor]:
        """(B, Z) -> {"tracks": (B, K, L) tokens}, every track drawn step by step at `temperature` (0: greedy):
        a track's first token is a program, drums or END, and everything after its END is END. A chord model
        reads `controls["chords"]`, (B, K, 16) chord classes per sixteenth of the bar (or (B, 16)), in time with
        the events it writes. The sequence VAE's signature (`fixed` streams: this model has nothing to fix;
        `coupled_segments`: its tracks are instruments, not repeats of one another, so they draw apart)."""
        if fixed:
            raise ValueError(f"model {self.cfg.name} decodes its tracks whole; nothing can be fixed")
        chords = (controls or {}).get("chords")
        if self.conditioned and chords is None:
            raise ValueError(f"model {self.cfg.name} reads chords: give the chords of the bar")
        if chords is not None and chords.dim() == 3:
            chords = chords[:, 0]
        embeddings = self.track_embeddings(z)
        rows = embeddings.shape[0] * MAX_TRACKS
        cond = embeddings.reshape(rows, 1, -1)
        state = self._decoder_state(embeddings)
        grid = None if chords is None else chords.long().to(z.device).repeat_interleave(MAX_TRACKS, dim=0)
        previous = torch.full((rows, 1), START, dtype=torch.long, device=z.device)
        done = torch.zeros(rows, dtype=torch.bool, device=z.device)
        now = torch.zeros(rows, dtype=torch.long, device=z.device)
        tokens = torch.full((rows, TRACK_TOKENS), END, dtype=torch.long, device=z.device)
        head, event, last = torch.zeros(3, VOCABULARY, dtype=torch.bool, device=z.device)
        head[PROGRAM:] = True  # a program, drums, or END for an unused track
        event[:PROGRAM] = event[END] = True
        last[END] = True
        for position in range(TRACK_TOKENS):
            chord = None
            if grid is not None:
                chord = chords_at(grid, now) if position else torch.full_like(now, NO_CHORD)
                chord = chord.unsqueeze(1)
            out, state = self.decoder(torch.cat([self._inputs(previous, chord), cond], dim=-1), state)
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
            is_shift = (chosen >= SHIFT) & (chosen < VELOCITY)
            now = torch.where(is_shift & (position > 0), now + chosen - SHIFT + 1, now)
            previous = chosen.unsqueeze(1)
        return {"tracks": tokens.reshape(-1, MAX_TRACKS, TRACK_TOKENS)}


MODEL_KIND = register_model_kind("multitrack_vae", MultitrackVAEConfig, MultitrackVAE)
