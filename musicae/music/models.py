"""MusicVAE's melody models in PyTorch: a BiLSTM encoder, flat and hierarchical LSTM decoders.

Shapes: B batch, T steps per window, C classes (90), U bars, S steps per bar (16), Z latent.
Decoders see, at each step, the previous token (a start token at step 0) and their
conditioning vector (z, or the conductor's bar embedding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from musicae.autoencoding import (
    BetaSchedule,
    DiagonalGaussian,
    elbo_breakdown,
    free_bits_total,
    inverse_sigmoid_sampling_probability,
    masked_sequence_nll,
)
from musicae.autoencoding.config import Registry
from musicae.music.configs import MelodyVAEConfig
from musicae.music.encoding import STEPS_PER_BAR, random_transpose


def pick(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """(B, C) logits -> (B,) classes: argmax when temperature <= 0, else a tempered sample."""
    if temperature <= 0:
        return logits.argmax(dim=-1)
    return torch.distributions.Categorical(logits=logits / temperature).sample()


class TokenInput(nn.Module):
    """Classes -> vectors: one-hot (MusicVAE) or a learned embedding. Class C is the start token."""

    def __init__(self, num_classes: int, embed_dim: int):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes + 1, embed_dim) if embed_dim else None
        self.dim = embed_dim or num_classes

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, T, E)
        if self.embed is not None:
            return self.embed(tokens)
        return F.one_hot(tokens, self.num_classes + 1)[..., : self.num_classes].float()  # start -> zeros


class BiLSTMEncoder(nn.Module):
    """(B, T) classes -> q(z|x). The final states of both directions give the posterior."""

    def __init__(self, cfg: MelodyVAEConfig):
        super().__init__()
        self.inputs = TokenInput(cfg.num_classes, cfg.embed_dim)
        self.lstm = nn.LSTM(self.inputs.dim, cfg.encoder_hidden, cfg.encoder_layers, batch_first=True, bidirectional=True)
        self.to_posterior = nn.Linear(2 * cfg.encoder_hidden, 2 * cfg.z_dim)

    def forward(self, tokens: torch.Tensor) -> DiagonalGaussian:
        _, (h, _) = self.lstm(self.inputs(tokens))  # h: (layers * 2, B, H)
        final = torch.cat([h[-2], h[-1]], dim=-1)  # (B, 2H): last layer, forward and backward
        mean, raw_scale = self.to_posterior(final).chunk(2, dim=-1)  # (B, Z) each
        return DiagonalGaussian(mean, raw_scale)


class ConditionedLSTM(nn.Module):
    """An LSTM stack conditioned on a vector: initial states = tanh(dense(cond)), cond fed at every step."""

    def __init__(self, cond_dim: int, num_classes: int, embed_dim: int, hidden: int, layers: int):
        super().__init__()
        self.layers, self.hidden = layers, hidden
        self.inputs = TokenInput(num_classes, embed_dim)
        self.init = nn.Linear(cond_dim, 2 * layers * hidden)
        self.lstm = nn.LSTM(self.inputs.dim + cond_dim, hidden, layers, batch_first=True)
        self.out = nn.Linear(hidden, num_classes)

    def initial_state(self, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        states = torch.tanh(self.init(cond)).view(cond.shape[0], 2, self.layers, self.hidden)
        h, c = states.permute(1, 2, 0, 3).contiguous()  # each (layers, B, H)
        return h.contiguous(), c.contiguous()

    def forward(self, cond: torch.Tensor, previous: torch.Tensor, state=None):
        """cond (B, D), previous (B, T) -> logits (B, T, C), final state."""
        x = torch.cat([self.inputs(previous), cond[:, None].expand(-1, previous.shape[1], -1)], dim=-1)
        out, state = self.lstm(x, state if state is not None else self.initial_state(cond))
        return self.out(out), state

    def loop(self, cond, first, steps, targets=None, sampling_probability=1.0, temperature=1.0, state=None):
        """Step by step. Each next input is the model's own pick, or with targets given, the target
        except with probability `sampling_probability` (scheduled sampling).
        Returns logits (B, steps, C), picks (B, steps), state."""
        state = state if state is not None else self.initial_state(cond)
        previous, all_logits, picks = first, [], []
        for t in range(steps):
            logits, state = self(cond, previous[:, None], state)
            logits = logits[:, 0]
            chosen = pick(logits, temperature)
            all_logits.append(logits)
            picks.append(chosen)
            if targets is not None:
                use_sample = torch.rand(chosen.shape, device=chosen.device) < sampling_probability
                previous = torch.where(use_sample, chosen, targets[:, t])
            else:
                previous = chosen
        return torch.stack(all_logits, 1), torch.stack(picks, 1), state


DECODERS = Registry("decoder")


@DECODERS.register("flat")
class FlatDecoder(nn.Module):
    """One LSTM stack over the whole window, conditioned on z (MusicVAE's 2-bar decoder)."""

    def __init__(self, cfg: MelodyVAEConfig):
        super().__init__()
        self.steps = cfg.steps
        self.core = ConditionedLSTM(cfg.z_dim, cfg.num_classes, cfg.embed_dim, cfg.decoder_hidden, cfg.decoder_layers)

    def logits(self, z: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:  # (B, Z), (B, T) -> (B, T, C)
        return self.core(z, previous)[0]

    def loop(self, z, start, targets=None, sampling_probability=1.0, temperature=1.0):
        logits, picks, _ = self.core.loop(z, start, self.steps, targets, sampling_probability, temperature)
        return logits, picks


@DECODERS.register("hierarchical")
class HierarchicalDecoder(nn.Module):
    """MusicVAE's hierdec: a conductor LSTM turns z into one embedding per bar; each embedding
    initialises (and conditions) a bar decoder shared by all bars."""

    def __init__(self, cfg: MelodyVAEConfig):
        super().__init__()
        self.bars, self.steps_per_bar = cfg.bars, STEPS_PER_BAR
        hidden = cfg.conductor_hidden or cfg.decoder_hidden
        self.conductor_layers, self.conductor_hidden = cfg.conductor_layers, hidden
        self.conductor_init = nn.Linear(cfg.z_dim, 2 * cfg.conductor_layers * hidden)
        self.conductor = nn.LSTM(cfg.z_dim, hidden, cfg.conductor_layers, batch_first=True)
        self.bar = ConditionedLSTM(hidden, cfg.num_classes, cfg.embed_dim, cfg.decoder_hidden, cfg.decoder_layers)

    def bar_embeddings(self, z: torch.Tensor) -> torch.Tensor:  # (B, Z) -> (B, U, H)
        states = torch.tanh(self.conductor_init(z)).view(z.shape[0], 2, self.conductor_layers, self.conductor_hidden)
        h, c = states.permute(1, 2, 0, 3).contiguous()
        out, _ = self.conductor(z[:, None].expand(-1, self.bars, -1), (h.contiguous(), c.contiguous()))
        return out

    def logits(self, z: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        batch = z.shape[0]
        embeddings = self.bar_embeddings(z).reshape(batch * self.bars, -1)  # (B*U, H)
        per_bar = previous.reshape(batch * self.bars, self.steps_per_bar)  # bars decode in parallel
        logits, _ = self.bar(embeddings, per_bar)  # (B*U, S, C)
        return logits.reshape(batch, self.bars * self.steps_per_bar, -1)

    def loop(self, z, start, targets=None, sampling_probability=1.0, temperature=1.0):
        embeddings = self.bar_embeddings(z)
        previous, all_logits, all_picks = start, [], []
        for u in range(self.bars):
            bar_targets = None if targets is None else targets[:, u * self.steps_per_bar : (u + 1) * self.steps_per_bar]
            logits, picks, _ = self.bar.loop(
                embeddings[:, u], previous, self.steps_per_bar, bar_targets, sampling_probability, temperature
            )
            all_logits.append(logits)
            all_picks.append(picks)
            last = picks[:, -1]
            if bar_targets is not None:
                use_sample = torch.rand(last.shape, device=last.device) < sampling_probability
                last = torch.where(use_sample, last, bar_targets[:, -1])
            previous = last
        return torch.cat(all_logits, 1), torch.cat(all_picks, 1)


class MelodyVAE(nn.Module):
    """Encoder + decoder + loss. `forward` returns the named loss breakdown the trainer needs."""

    def __init__(self, cfg: MelodyVAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = BiLSTMEncoder(cfg)
        self.decoder = DECODERS[cfg.decoder](cfg)
        self.beta = BetaSchedule("musicvae", cfg.max_beta, rate=cfg.beta_rate)
        self.start_token = cfg.num_classes

    def encode(self, tokens: torch.Tensor) -> DiagonalGaussian:
        return self.encoder(tokens.long())

    def shift_right(self, tokens: torch.Tensor) -> torch.Tensor:
        """The decoder's inputs: a start token, then the tokens but the last. (B, T) -> (B, T)."""
        start = torch.full_like(tokens[:, :1], self.start_token)
        return torch.cat([start, tokens[:, :-1]], dim=1)

    def start(self, batch: int, device) -> torch.Tensor:
        return torch.full((batch,), self.start_token, dtype=torch.long, device=device)

    def train_logits(self, z: torch.Tensor, tokens: torch.Tensor, sampling_probability: float) -> torch.Tensor:
        if sampling_probability <= 0:
            return self.decoder.logits(z, self.shift_right(tokens))
        if self.cfg.sampling_mode == "stepwise":
            return self.decoder.loop(z, self.start(len(z), z.device), tokens, sampling_probability)[0]
        # two-pass scheduled sampling: sample every step from a teacher-forced pass, mix, decode again
        with torch.no_grad():
            sampled = pick(self.decoder.logits(z, self.shift_right(tokens)).flatten(0, 1), 1.0).view_as(tokens)
        use_sample = torch.rand(tokens.shape, device=tokens.device) < sampling_probability
        return self.decoder.logits(z, self.shift_right(torch.where(use_sample, sampled, tokens)))

    def forward(self, batch, step: int = 0) -> dict[str, torch.Tensor]:
        tokens = batch[0].long()  # (B, T)
        if self.training and self.cfg.transpose:
            tokens = random_transpose(tokens, self.cfg.transpose)
        posterior = self.encode(tokens)
        z = posterior.rsample()  # (B, Z)
        p = inverse_sigmoid_sampling_probability(step, self.cfg.sampling_rate) if self.training else 0.0
        logits = self.train_logits(z, tokens, p)  # (B, T, C)
        kl = posterior.kl()  # (B,)
        out = elbo_breakdown(masked_sequence_nll(logits, tokens), kl, self.beta(step), free_bits_total(kl, self.cfg.free_bits))
        out["accuracy"] = (logits.argmax(-1) == tokens).float().mean().detach()
        out["sampling_probability"] = torch.tensor(p)
        return out

    @torch.no_grad()
    def decode(self, z: torch.Tensor, temperature: float = 0.0) -> torch.Tensor:
        """(B, Z) -> (B, T) classes; temperature 0 is argmax."""
        return self.decoder.loop(z, self.start(len(z), z.device), temperature=temperature)[1]

    @torch.no_grad()
    def teacher_forced_logits(self, z: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return self.decoder.logits(z, self.shift_right(tokens.long()))
