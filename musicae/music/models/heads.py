"""Step inputs and output heads: how each kind of stream goes into an LSTM and comes out of one.

A decoder owns its outputs through one head per output stream, all read from the same LSTM step (MusicVAE's
trio output is three categorical heads). Each head gives the stream's loss, its sampling and its accuracy:

    categorical   logits (B, T, C): cross-entropy; sampled from the tempered softmax; argmax accuracy
    bernoulli     logits (B, T, W): binary cross-entropy per value; sampled hits; per-value accuracy
    continuous    values (B, T, W) in [low, high]: squared error where the stream's `mask` stream is hit
                  (GrooVAE's velocities and offsets); "sampling" gives the prediction itself

Shapes: B batch, T steps, C classes, W values per step, E input features, H hidden.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from musicae.autoencoding import masked_sequence_nll
from musicae.autoencoding.config import Registry
from musicae.music.encodings.base import Stream


def pick(logits: torch.Tensor, temperature: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """(..., C) logits -> (...) classes: argmax when temperature <= 0, else a tempered sample."""
    if temperature <= 0:
        return logits.argmax(dim=-1)
    flat = logits.reshape(-1, logits.shape[-1])
    probs = torch.softmax(flat.float() / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator)[:, 0].view(logits.shape[:-1])


def _masked(per_step: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """(B, T) per-step values summed over the valid steps: (B,)."""
    return (per_step if mask is None else per_step * mask.to(per_step.dtype)).sum(dim=1)


class StepInputs(nn.Module):
    """Streams (a dict of (B, T) or (B, T, W) tensors) -> (B, T, E) features, in the order of `streams`.

    Categorical outputs go through a learned embedding (`embed_dim`), or one-hot as MusicVAE feeds them when
    embed_dim is 0; class C is their start token. Categorical controls are one-hot; values are fed as they are
    (a start step is all zeros)."""

    def __init__(self, streams: list[Stream], embed_dim: int):
        super().__init__()
        self.streams, self.embed_dim = list(streams), embed_dim
        self.embed = nn.ModuleDict({s.name: nn.Embedding(s.classes + 1, embed_dim) for s in self.streams
                                    if s.categorical and s.role != "control" and embed_dim})
        self.dim = sum(self._width(s) for s in self.streams)

    def _width(self, s: Stream) -> int:
        if s.categorical:
            return self.embed_dim if s.name in self.embed else s.classes
        return s.width or 1

    def forward(self, values: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = []
        for s in self.streams:
            x = values[s.name]
            if s.name in self.embed:
                parts.append(self.embed[s.name](x.long()))
            elif s.categorical:
                extra = 0 if s.role == "control" else 1  # outputs have a start token, fed as zeros
                parts.append(F.one_hot(x.long(), s.classes + extra)[..., : s.classes].float())
            else:
                parts.append(x.float() if s.width else x.float()[..., None])
        return torch.cat([p.to(parts[0].dtype) for p in parts], dim=-1)


HEADS = Registry("output head")


@HEADS.register("categorical")
class CategoricalHead(nn.Linear):
    has_accuracy = True

    def __init__(self, stream: Stream, hidden: int):
        super().__init__(hidden, stream.classes)
        self.stream = stream

    def start(self, batch: int, device) -> torch.Tensor:
        return torch.full((batch,), self.stream.classes, dtype=torch.long, device=device)

    def nll(self, logits, target, mask=None, batch=None) -> torch.Tensor:
        return masked_sequence_nll(logits, target.long(), mask)

    def sample(self, logits, temperature: float, generator=None) -> torch.Tensor:
        return pick(logits, temperature, generator)

    def hits(self, decoded, target) -> torch.Tensor:
        """(B, T) 1 where a step is right, for accuracy."""
        return (decoded == target.long()).float()

    def predicted(self, logits) -> torch.Tensor:
        return logits.argmax(-1)


class _ValuesHead(nn.Linear):
    """A head of `width` values per step (one when width is 0, the step's arrays then (B, T))."""

    def __init__(self, stream: Stream, hidden: int):
        super().__init__(hidden, stream.width or 1)
        self.stream = stream

    def _shape(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.stream.width else x[..., 0]

    def _per_step(self, per_value: torch.Tensor) -> torch.Tensor:
        return per_value.sum(-1) if self.stream.width else per_value

    def start(self, batch: int, device) -> torch.Tensor:
        return torch.zeros((batch, self.stream.width) if self.stream.width else (batch,), device=device)


@HEADS.register("bernoulli")
class BernoulliHead(_ValuesHead):
    has_accuracy = True

    def nll(self, logits, target, mask=None, batch=None) -> torch.Tensor:
        logits = self._shape(logits)
        per_value = F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype), reduction="none")
        return _masked(self._per_step(per_value), mask)

    def sample(self, logits, temperature: float, generator=None) -> torch.Tensor:
        logits = self._shape(logits)
        if temperature <= 0:
            return (logits > 0).float()
        probs = torch.sigmoid(logits.float() / temperature)
        return torch.bernoulli(probs, generator=generator)

    def hits(self, decoded, target) -> torch.Tensor:
        right = (decoded == target.to(decoded.dtype)).float()
        return right.mean(-1) if self.stream.width else right

    def predicted(self, logits) -> torch.Tensor:
        return (self._shape(logits) > 0).float()


@HEADS.register("continuous")
class ContinuousHead(_ValuesHead):
    has_accuracy = False

    def values(self, raw: torch.Tensor) -> torch.Tensor:
        s = self.stream
        return self._shape(s.low + (s.high - s.low) * torch.sigmoid(raw))

    def nll(self, raw, target, mask=None, batch=None) -> torch.Tensor:
        error = (self.values(raw) - target.to(raw.dtype)) ** 2
        if self.stream.mask is not None:
            error = error * batch[self.stream.mask].to(error.dtype)
        return _masked(self._per_step(error), mask)

    def sample(self, raw, temperature: float, generator=None) -> torch.Tensor:
        return self.values(raw)

    def hits(self, decoded, target) -> None:
        return None  # no accuracy for values: the benchmarks measure their errors

    def predicted(self, raw) -> torch.Tensor:
        return self.values(raw)


def masked_picks(picks: dict[str, torch.Tensor], heads) -> dict[str, torch.Tensor]:
    """Picks with each masked stream zeroed where its mask stream was not hit: a velocity without its hit is
    none, as in the data, and a decoder fed its own picks must see what it was trained on."""
    out = dict(picks)
    for name, head in heads.items():
        mask = head.stream.mask
        if mask is not None and mask in out:
            value = out[name]
            out[name] = value * out[mask].to(value.dtype).view(*value.shape[:2], *out[mask].shape[2:])
    return out


def output_heads(streams: list[Stream], hidden: int) -> nn.ModuleDict:
    return nn.ModuleDict({s.name: HEADS[s.kind](s, hidden) for s in streams})
