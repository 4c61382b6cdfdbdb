"""MusicVAE's sequence VAE in PyTorch: a BiLSTM encoder, flat and hierarchical LSTM decoders.

Nothing here knows what the classes mean: the encoding (encodings.py) gives the number of classes,
the steps per bar, the optional per-step conditioning (MusicVAE's `c_input`) and the augmentation.

Shapes: B batch, T steps per window, C classes, K condition classes, U bars, S steps per bar, Z latent.
Decoders see, at each step, the previous token (a start token at step 0), that step's condition
(one-hot, when the encoding has conditions) and their conditioning vector (z, or the conductor's
bar embedding). The encoder sees each token with its condition.
"""

from __future__ import annotations

from dataclasses import replace

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
from musicae.autoencoding.distributed import batch_noise
from musicae.autoencoding.runs import register_model_kind
from musicae.music.configs import SequenceVAEConfig
from musicae.music.encodings import get_encoding


def pick(logits: torch.Tensor, temperature: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """(B, C) logits -> (B,) classes: argmax when temperature <= 0, else a tempered sample."""
    if temperature <= 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


class TokenInput(nn.Module):
    """Classes (+ optional condition classes) -> vectors. Class C is the start token.

    Tokens go through a learned embedding, or one-hot (MusicVAE) when embed_dim is 0; conditions are
    appended one-hot.
    """

    def __init__(self, num_classes: int, embed_dim: int, condition_classes: int = 0):
        super().__init__()
        self.num_classes, self.condition_classes = num_classes, condition_classes
        self.embed = nn.Embedding(num_classes + 1, embed_dim) if embed_dim else None
        self.dim = (embed_dim or num_classes) + condition_classes

    def forward(self, tokens: torch.Tensor, conditions: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T) tokens, (B, T) conditions -> (B, T, E)."""
        if self.embed is not None:
            x = self.embed(tokens)
        else:
            x = F.one_hot(tokens, self.num_classes + 1)[..., : self.num_classes].float()  # start -> zeros
        if self.condition_classes:
            x = torch.cat([x, F.one_hot(conditions.long(), self.condition_classes).to(x.dtype)], dim=-1)
        return x


ENCODERS = Registry("encoder")


@ENCODERS.register("flat")
class BiLSTMEncoder(nn.Module):
    """(B, T) classes -> q(z|x). The final states of both directions give the posterior."""

    def __init__(self, cfg: SequenceVAEConfig):
        super().__init__()
        self.inputs = TokenInput(cfg.num_classes, cfg.embed_dim, cfg.condition_classes)
        self.lstm = nn.LSTM(self.inputs.dim, cfg.encoder_hidden, cfg.encoder_layers, batch_first=True, bidirectional=True)
        self.to_posterior = nn.Linear(2 * cfg.encoder_hidden, 2 * cfg.z_dim)

    def forward(self, tokens: torch.Tensor, conditions: torch.Tensor | None = None) -> DiagonalGaussian:
        _, (h, _) = self.lstm(self.inputs(tokens, conditions))  # h: (layers * 2, B, H)
        final = torch.cat([h[-2], h[-1]], dim=-1)  # (B, 2H): last layer, forward and backward
        mean, raw_scale = self.to_posterior(final).chunk(2, dim=-1)  # (B, Z) each
        return DiagonalGaussian(mean, raw_scale)


@ENCODERS.register("hierarchical")
class HierarchicalEncoder(nn.Module):
    """A BiLSTM encoder reads each segment (`conductor_span` bars) alone; its posterior mean is the segment's
    code, and a second BiLSTM over the codes gives q(z|x). With 2-bar segments the segment encoder has a
    2-bar model's shapes, so it can start as that model's encoder (`SequenceVAE.init_from`)."""

    def __init__(self, cfg: SequenceVAEConfig):
        super().__init__()
        self.segments = cfg.segments
        self.segment = BiLSTMEncoder(replace(cfg, z_dim=cfg.segment_dim, encoder_layers=1))
        self.lstm = nn.LSTM(cfg.segment_dim, cfg.encoder_hidden, cfg.encoder_layers, batch_first=True,
                            bidirectional=True)
        self.to_posterior = nn.Linear(2 * cfg.encoder_hidden, 2 * cfg.z_dim)

    def forward(self, tokens: torch.Tensor, conditions: torch.Tensor | None = None) -> DiagonalGaussian:
        batch, steps = tokens.shape
        per_segment = (batch * self.segments, steps // self.segments)  # segments encode in parallel
        codes = self.segment(tokens.reshape(per_segment),
                             None if conditions is None else conditions.reshape(per_segment)).mean
        _, (h, _) = self.lstm(codes.view(batch, self.segments, -1))  # codes: (B, U, D)
        mean, raw_scale = self.to_posterior(torch.cat([h[-2], h[-1]], dim=-1)).chunk(2, dim=-1)  # (B, Z) each
        return DiagonalGaussian(mean, raw_scale)


def _slice(conditions: torch.Tensor | None, start: int, stop: int) -> torch.Tensor | None:
    return None if conditions is None else conditions[:, start:stop]


class ConditionedLSTM(nn.Module):
    """An LSTM stack conditioned on a vector: initial states = tanh(dense(cond)), cond fed at every step."""

    def __init__(self, cond_dim: int, num_classes: int, embed_dim: int, hidden: int, layers: int, condition_classes: int):
        super().__init__()
        self.layers, self.hidden = layers, hidden
        self.inputs = TokenInput(num_classes, embed_dim, condition_classes)
        self.init = nn.Linear(cond_dim, 2 * layers * hidden)
        self.lstm = nn.LSTM(self.inputs.dim + cond_dim, hidden, layers, batch_first=True)
        self.out = nn.Linear(hidden, num_classes)

    def initial_state(self, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        states = torch.tanh(self.init(cond)).view(cond.shape[0], 2, self.layers, self.hidden)
        h, c = states.permute(1, 2, 0, 3).contiguous()  # each (layers, B, H)
        return h.contiguous(), c.contiguous()

    def forward(self, cond: torch.Tensor, previous: torch.Tensor, conditions: torch.Tensor | None = None, state=None):
        """cond (B, D), previous (B, T), conditions (B, T) of the steps predicted -> logits (B, T, C), state."""
        x = torch.cat([self.inputs(previous, conditions), cond[:, None].expand(-1, previous.shape[1], -1)], dim=-1)
        out, state = self.lstm(x, state if state is not None else self.initial_state(cond))
        return self.out(out), state

    def loop(self, cond, first, steps, conditions=None, targets=None, sampling_probability=1.0, temperature=1.0,
             generator=None, state=None):
        """Step by step. Each next input is the model's own pick, or with targets given, the target
        except with probability `sampling_probability` (scheduled sampling).
        Returns logits (B, steps, C), picks (B, steps), state."""
        state = state if state is not None else self.initial_state(cond)
        previous, all_logits, picks = first, [], []
        for t in range(steps):
            logits, state = self(cond, previous[:, None], _slice(conditions, t, t + 1), state)
            logits = logits[:, 0]
            chosen = pick(logits, temperature, generator)
            all_logits.append(logits)
            picks.append(chosen)
            if targets is not None:
                use_sample = torch.rand(chosen.shape, device=chosen.device, generator=generator) < sampling_probability
                previous = torch.where(use_sample, chosen, targets[:, t])
            else:
                previous = chosen
        return torch.stack(all_logits, 1), torch.stack(picks, 1), state


DECODERS = Registry("decoder")


@DECODERS.register("flat")
class FlatDecoder(nn.Module):
    """One LSTM stack over the whole window, conditioned on z (MusicVAE's 2-bar decoder)."""

    def __init__(self, cfg: SequenceVAEConfig):
        super().__init__()
        self.steps = cfg.steps
        self.core = ConditionedLSTM(cfg.z_dim, cfg.num_classes, cfg.embed_dim, cfg.decoder_hidden, cfg.decoder_layers,
                                    cfg.condition_classes)

    def logits(self, z: torch.Tensor, previous: torch.Tensor, conditions=None) -> torch.Tensor:
        """(B, Z), (B, T), (B, T) -> (B, T, C)."""
        return self.core(z, previous, conditions)[0]

    def loop(self, z, start, conditions=None, targets=None, sampling_probability=1.0, temperature=1.0, generator=None):
        logits, picks, _ = self.core.loop(z, start, self.steps, conditions, targets, sampling_probability, temperature,
                                          generator)
        return logits, picks


@DECODERS.register("hierarchical")
class HierarchicalDecoder(nn.Module):
    """MusicVAE's hierdec: a conductor LSTM turns z into one embedding per segment (a bar, or
    `conductor_span` bars); each embedding initialises (and conditions) a decoder shared by all segments.
    With `segment_dim`, the embeddings are projected to codes of that size first, the z of a 2-bar model
    whose decoder can then start the segment decoder."""

    def __init__(self, cfg: SequenceVAEConfig):
        super().__init__()
        self.segments, self.segment_steps = cfg.segments, cfg.steps_per_bar * cfg.conductor_span
        hidden = cfg.conductor_hidden or cfg.decoder_hidden
        self.conductor_layers, self.conductor_hidden = cfg.conductor_layers, hidden
        self.conductor_init = nn.Linear(cfg.z_dim, 2 * cfg.conductor_layers * hidden)
        self.conductor = nn.LSTM(cfg.z_dim, hidden, cfg.conductor_layers, batch_first=True)
        self.to_code = nn.Linear(hidden, cfg.segment_dim) if cfg.segment_dim else None
        self.bar = ConditionedLSTM(cfg.segment_dim or hidden, cfg.num_classes, cfg.embed_dim, cfg.decoder_hidden,
                                   cfg.decoder_layers, cfg.condition_classes)

    def bar_embeddings(self, z: torch.Tensor) -> torch.Tensor:  # (B, Z) -> (B, U, H or segment_dim)
        states = torch.tanh(self.conductor_init(z)).view(z.shape[0], 2, self.conductor_layers, self.conductor_hidden)
        h, c = states.permute(1, 2, 0, 3).contiguous()
        out, _ = self.conductor(z[:, None].expand(-1, self.segments, -1), (h.contiguous(), c.contiguous()))
        return out if self.to_code is None else self.to_code(out)

    def logits(self, z: torch.Tensor, previous: torch.Tensor, conditions=None) -> torch.Tensor:
        batch = z.shape[0]
        embeddings = self.bar_embeddings(z).reshape(batch * self.segments, -1)  # (B*U, H)
        per_bar = previous.reshape(batch * self.segments, self.segment_steps)  # segments decode in parallel
        bar_conditions = None if conditions is None else conditions.reshape(batch * self.segments, self.segment_steps)
        logits, _ = self.bar(embeddings, per_bar, bar_conditions)  # (B*U, S, C)
        return logits.reshape(batch, self.segments * self.segment_steps, -1)

    def loop(self, z, start, conditions=None, targets=None, sampling_probability=1.0, temperature=1.0, generator=None):
        embeddings = self.bar_embeddings(z)
        previous, all_logits, all_picks = start, [], []
        for u in range(self.segments):
            lo, hi = u * self.segment_steps, (u + 1) * self.segment_steps
            bar_targets = None if targets is None else targets[:, lo:hi]
            logits, picks, _ = self.bar.loop(embeddings[:, u], previous, self.segment_steps, _slice(conditions, lo, hi),
                                             bar_targets, sampling_probability, temperature, generator)
            all_logits.append(logits)
            all_picks.append(picks)
            last = picks[:, -1]
            if bar_targets is not None:
                use_sample = torch.rand(last.shape, device=last.device, generator=generator) < sampling_probability
                last = torch.where(use_sample, last, bar_targets[:, -1])
            previous = last
        return torch.cat(all_logits, 1), torch.cat(all_picks, 1)


class SequenceVAE(nn.Module):
    """Encoder + decoder + loss. `forward` returns the named loss breakdown the trainer needs.

    A batch is `(tokens,)` or `(tokens, conditions)`, both (B, T) integer classes.
    """

    def __init__(self, cfg: SequenceVAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoding = get_encoding(cfg.encoding)
        self.encoder = ENCODERS[cfg.encoder](cfg)
        self.decoder = DECODERS[cfg.decoder](cfg)
        self.beta = BetaSchedule("musicvae", cfg.max_beta, rate=cfg.beta_rate)
        self.start_token = cfg.num_classes

    def _conditions(self, conditions: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor | None:
        if not self.cfg.condition_classes:
            return None
        if conditions is None:
            raise ValueError(f"encoding {self.cfg.encoding!r} needs per-step conditions")
        if conditions.shape != like.shape:
            raise ValueError(f"conditions of shape {tuple(conditions.shape)} for tokens of shape {tuple(like.shape)}")
        return conditions.long()

    def encode(self, tokens: torch.Tensor, conditions: torch.Tensor | None = None) -> DiagonalGaussian:
        return self.encoder(tokens.long(), self._conditions(conditions, tokens))

    def shift_right(self, tokens: torch.Tensor) -> torch.Tensor:
        """The decoder's inputs: a start token, then the tokens but the last. (B, T) -> (B, T)."""
        start = torch.full_like(tokens[:, :1], self.start_token)
        return torch.cat([start, tokens[:, :-1]], dim=1)

    def start(self, batch: int, device) -> torch.Tensor:
        return torch.full((batch,), self.start_token, dtype=torch.long, device=device)

    def train_logits(self, z, tokens, conditions, sampling_probability: float) -> torch.Tensor:
        if sampling_probability <= 0:
            return self.decoder.logits(z, self.shift_right(tokens), conditions)
        if self.cfg.sampling_mode == "stepwise":
            return self.decoder.loop(z, self.start(len(z), z.device), conditions, tokens, sampling_probability)[0]
        # two-pass scheduled sampling: sample every step from a teacher-forced pass, mix, decode again
        with torch.no_grad():
            teacher = self.decoder.logits(z, self.shift_right(tokens), conditions)
            sampled = pick(teacher.flatten(0, 1), 1.0).view_as(tokens)
        use_sample = batch_noise(torch.rand, tokens.shape, device=tokens.device) < sampling_probability
        return self.decoder.logits(z, self.shift_right(torch.where(use_sample, sampled, tokens)), conditions)

    def forward(self, batch, step: int = 0) -> dict[str, torch.Tensor]:
        tokens = batch[0].long()  # (B, T)
        conditions = self._conditions(batch[1] if len(batch) > 1 else None, tokens)
        seen_tokens, seen_conditions = tokens, conditions
        if self.training:
            tokens, conditions = self.encoding.augment(tokens, conditions, self.cfg.transpose)
            # the encoder reads the same window in another key: z keeps how the melody sits on its chords,
            # not where they are, so sampling from the prior has to follow the chords it is given
            seen_tokens, seen_conditions = self.encoding.augment(tokens, conditions, self.cfg.encoder_transpose)
        posterior = self.encoder(seen_tokens, seen_conditions)
        z = posterior.rsample()  # (B, Z)
        p = inverse_sigmoid_sampling_probability(step, self.cfg.sampling_rate) if self.training else 0.0
        logits = self.train_logits(z, tokens, conditions, p)  # (B, T, C)
        kl = posterior.kl()  # (B,)
        out = elbo_breakdown(masked_sequence_nll(logits, tokens), kl, self.beta(step), free_bits_total(kl, self.cfg.free_bits))
        out["accuracy"] = (logits.argmax(-1) == tokens).float().mean().detach()
        out["sampling_probability"] = torch.tensor(p)
        return out

    @torch.no_grad()
    def decode(self, z: torch.Tensor, temperature: float = 0.0, conditions: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, Z) -> (B, T) classes; temperature 0 is argmax, else sampled with `generator`."""
        conditions = self._conditions(conditions, torch.empty(len(z), self.cfg.steps))
        return self.decoder.loop(z, self.start(len(z), z.device), conditions, temperature=temperature,
                                 generator=generator)[1]

    @torch.no_grad()
    def teacher_forced_logits(self, z: torch.Tensor, tokens: torch.Tensor, conditions: torch.Tensor | None = None):
        tokens = tokens.long()
        return self.decoder.logits(z, self.shift_right(tokens), self._conditions(conditions, tokens))


    def init_from(self, source: SequenceVAE) -> list[str]:
        """Start the segment encoder and decoder as a trained flat model of one segment's length (a 2-bar
        model for 2-bar segments). Returns the names of the tensors copied; a misfit raises ValueError."""
        cfg, other = self.cfg, source.cfg
        if other.decoder != "flat" or other.bars != cfg.conductor_span or other.encoding != cfg.encoding:
            raise ValueError(f"needs a flat {cfg.conductor_span}-bar {cfg.encoding} model (config {cfg.name} has "
                             f"{cfg.conductor_span}-bar segments); got a {other.decoder} {other.bars}-bar "
                             f"{other.encoding} model")
        pairs = []
        if cfg.encoder == "hierarchical":
            pairs.append((self.encoder.segment, source.encoder, "encoder.segment"))
        if cfg.decoder == "hierarchical" and cfg.segment_dim:
            pairs.append((self.decoder.bar, source.decoder.core, "decoder.bar"))
        if not pairs:
            raise ValueError(f"config {cfg.name} has no segment encoder or segment decoder to start from a trained model")
        copied = []
        for target, origin, prefix in pairs:
            mine, theirs = target.state_dict(), origin.state_dict()
            for key, value in mine.items():
                if key not in theirs or theirs[key].shape != value.shape:
                    got = tuple(theirs[key].shape) if key in theirs else "nothing"
                    raise ValueError(f"{prefix}.{key}: config {cfg.name} needs shape {tuple(value.shape)}, the trained "
                                     f"model has {got} (its sizes must match: embed_dim, hidden sizes, segment_dim = "
                                     f"its z_dim)")
            target.load_state_dict({key: theirs[key] for key in mine})
            copied += [f"{prefix}.{key}" for key in mine]
        return copied


MelodyVAE = SequenceVAE  # round 1's name
MODEL_KIND = register_model_kind("sequence_vae", SequenceVAEConfig, SequenceVAE, aliases=("melody_vae",))
