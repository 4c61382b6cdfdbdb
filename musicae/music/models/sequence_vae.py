"""MusicVAE's sequence VAE in PyTorch, over the streams an encoding declares.

`SequenceVAE.forward(batch, step)` takes a `Batch` of named streams (the encoding's outputs, inputs and
controls; lengths for variable-length encodings) and returns the named loss breakdown the trainer needs;
the decoder's heads own each output stream's loss, sampling and accuracy (heads.py, decoders.py).

Shapes: B batch, T steps, Z latent.
"""

from __future__ import annotations

import torch
from torch import nn

from musicae.autoencoding import (
    BetaSchedule,
    DiagonalGaussian,
    elbo_breakdown,
    free_bits_total,
    inverse_sigmoid_sampling_probability,
)
from musicae.autoencoding.batch import Batch
from musicae.autoencoding.checkpoint import copy_weights
from musicae.autoencoding.distributed import batch_noise
from musicae.autoencoding.runs import register_model_kind
from musicae.music.models.configs import SequenceVAEConfig
from musicae.music.models.decoders import DECODERS, ENCODERS, Streams
from musicae.music.models.heads import masked_picks
from musicae.music.models.latent_prior import LatentPrior

# Round 1-2 checkpoints held one categorical stream without names: where its weights now live.
LEGACY_KEYS = {"inputs.embed.weight": "inputs.embed.{stream}.weight", "out.weight": "out.{stream}.weight",
               "out.bias": "out.{stream}.bias"}


class SequenceVAE(nn.Module):
    """Encoder + decoder + loss, for any encoding's streams."""

    def __init__(self, cfg: SequenceVAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoding = cfg.encoding_spec
        self.outputs = self.encoding.outputs
        self.encoder = ENCODERS[cfg.encoder](cfg)
        self.decoder = DECODERS[cfg.decoder](cfg)
        self.beta = BetaSchedule("musicvae", cfg.max_beta, rate=cfg.beta_rate)
        # a personal model (musicae personalize) samples z through its learned prior; training never reads it
        self.prior = LatentPrior(cfg.z_dim, cfg.prior_dim, cfg.prior_hidden) if cfg.prior_dim else None
        self._register_load_state_dict_pre_hook(self._rename_legacy_keys)

    def _rename_legacy_keys(self, state_dict, prefix, *args):
        stream = self.outputs[0].name
        for key in [k for k in state_dict if k.startswith(prefix)]:
            for old, new in LEGACY_KEYS.items():
                if key.endswith("." + old):
                    state_dict[key[: -len(old)] + new.format(stream=stream)] = state_dict.pop(key)

    # -- batches
    def _checked(self, batch: Batch | dict, needed=None) -> Batch:
        """The batch with every stream the encoding needs (or the `needed` ones), categorical ones as integers."""
        if torch.is_tensor(batch):  # a one-stream model's bare (B, T) tokens
            batch = {self.outputs[0].name: batch}
        if not isinstance(batch, Batch):
            batch = Batch(dict(batch))
        streams = {}
        for s in needed if needed is not None else self.encoding.streams:
            if s.name not in batch:
                raise ValueError(f"encoding {self.encoding.name!r} needs the stream {s.name!r}; the batch has "
                                 f"{', '.join(batch.streams) or 'none'}")
            streams[s.name] = batch[s.name].long() if s.categorical else batch[s.name].float()
        return Batch(streams, batch.lengths)

    def _controls(self, controls: Streams | None, batch: int) -> Streams:
        names = [s.name for s in self.encoding.controls]
        if not names:
            return {}
        if controls is None or any(n not in controls for n in names):
            raise ValueError(f"encoding {self.encoding.name!r} needs per-step controls: {', '.join(names)}")
        out = {}
        for s in self.encoding.controls:
            value = controls[s.name]
            if value.shape[:2] != (batch, self.cfg.steps):
                raise ValueError(f"{s.name} of shape {tuple(value.shape)} for {batch} rows of {self.cfg.steps} steps")
            out[s.name] = value.long() if s.categorical else value.float()
        return out

    def shift_right(self, values: Streams) -> Streams:
        """The decoder's inputs: a start value, then each output stream but its last step."""
        first = values[self.outputs[0].name]
        starts = self.decoder.step_lstm.start(len(first), first.device)
        return {s.name: torch.cat([starts[s.name].to(values[s.name].dtype)[:, None], values[s.name][:, :-1]], dim=1)
                for s in self.outputs}

    def encode(self, batch: Batch | dict) -> DiagonalGaussian:
        """q(z | what the encoder reads): the other streams need not be there (humanize has no performance)."""
        batch = self._checked(batch, self.encoding.encoder_streams)
        return self.encoder({s.name: batch[s.name] for s in self.encoding.encoder_streams})

    # -- training
    def train_params(self, z: torch.Tensor, batch: Batch, sampling_probability: float) -> Streams:
        targets = {s.name: batch[s.name] for s in self.outputs}
        controls = {s.name: batch[s.name] for s in self.encoding.controls}
        if sampling_probability <= 0:
            return self.decoder.params(z, self.shift_right(targets), controls)
        if self.cfg.sampling_mode == "stepwise":
            return self.decoder.loop(z, controls, targets, sampling_probability)[0]
        # two-pass scheduled sampling: sample every step from a teacher-forced pass, mix, decode again
        with torch.no_grad():
            teacher = self.decoder.params(z, self.shift_right(targets), controls)
            sampled = masked_picks({s.name: self.head(s.name).sample(teacher[s.name], 1.0).to(targets[s.name].dtype)
                                    for s in self.outputs}, self.decoder.step_lstm.out)
        first = targets[self.outputs[0].name]
        use_sample = batch_noise(torch.rand, first.shape[:2], device=first.device) < sampling_probability
        mixed = {n: torch.where(use_sample.view(*use_sample.shape, *[1] * (v.dim() - 2)), sampled[n], v)
                 for n, v in targets.items()}
        return self.decoder.params(z, self.shift_right(mixed), controls)

    def head(self, name: str) -> nn.Module:
        return self.decoder.step_lstm.out[name]

    def reconstruction(self, params: Streams, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Summed NLL per row (B,) and the accuracy of each stream that has one."""
        mask = batch.mask(self.cfg.steps)
        nll, accuracy = 0.0, {}
        for s in self.outputs:
            head = self.head(s.name)
            nll = nll + head.nll(params[s.name], batch[s.name], mask, batch)
            hits = head.hits(head.predicted(params[s.name]), batch[s.name])
            if hits is not None:
                accuracy[s.name] = (hits.mean() if mask is None else (hits * mask).sum() / mask.sum()).detach()
        return nll, accuracy

    def forward(self, batch: Batch, step: int = 0) -> dict[str, torch.Tensor]:
        batch = self._checked(batch)
        seen = batch
        if self.training:
            batch = self.encoding.augment(batch, self.cfg.transpose)
            # the encoder reads the same window in another key: z keeps how the melody sits on its chords,
            # not where they are, so sampling from the prior has to follow the chords it is given
            seen = self.encoding.augment(batch, self.cfg.encoder_transpose)
        posterior = self.encoder({s.name: seen[s.name] for s in self.encoding.encoder_streams})
        z = posterior.rsample()  # (B, Z)
        p = inverse_sigmoid_sampling_probability(step, self.cfg.sampling_rate) if self.training else 0.0
        params = self.train_params(z, batch, p)
        nll, accuracy = self.reconstruction(params, batch)
        kl = posterior.kl()  # (B,)
        out = elbo_breakdown(nll, kl, self.beta(step), free_bits_total(kl, self.cfg.free_bits))
        if accuracy:
            out["accuracy"] = torch.stack(list(accuracy.values())).mean()
            if len(accuracy) > 1:
                out.update({f"accuracy_{name}": value for name, value in accuracy.items()})
        out["sampling_probability"] = torch.tensor(p)
        return out

    # -- inference
    @torch.no_grad()
    def prior_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws of z from the model's prior, on the CPU (so a seed gives the same z on any device): N(0, I),
        or a personal model's learned prior."""
        if self.prior is None:
            return torch.randn(n, self.cfg.z_dim, generator=generator)
        return self.prior.sample_z(n, generator).cpu()

    @torch.no_grad()
    def decode(self, z: torch.Tensor, temperature: float = 0.0, controls: Streams | None = None,
               generator: torch.Generator | None = None, fixed: Streams | None = None,
               coupled_segments: bool = False) -> Streams:
        """(B, Z) -> each output stream (B, T, ...); temperature 0 is the most likely value, else sampled.
        `fixed` output streams are given, not decoded (the others are decoded after them, step by step).
        `coupled_segments`: a hierarchical decoder's segments share their random draws (HierarchicalDecoder)."""
        return self.decoder.loop(z, self._controls(controls, len(z)), temperature=temperature, generator=generator,
                                 fixed=fixed, coupled_segments=coupled_segments)[1]

    @torch.no_grad()
    def teacher_forced(self, z: torch.Tensor, batch: Batch | dict, controls: Streams | None = None) -> Streams:
        """Each head's parameters given the true previous steps; `controls` replace the batch's own."""
        batch = self._checked(batch)
        targets = {s.name: batch[s.name] for s in self.outputs}
        given = self._controls(controls, len(z)) if controls is not None else {
            s.name: batch[s.name] for s in self.encoding.controls}
        return self.decoder.params(z, self.shift_right(targets), given)

    def teacher_forced_logits(self, z: torch.Tensor, tokens: torch.Tensor, conditions: torch.Tensor | None = None):
        """A one-stream model's (B, T, C) logits given its (B, T) tokens (and its one control's classes)."""
        batch = {self.outputs[0].name: tokens}
        if conditions is not None:
            batch[self.encoding.controls[0].name] = conditions
        return self.teacher_forced(z, batch)[self.outputs[0].name]

    def init_from(self, source: SequenceVAE) -> list[str]:
        """Start from a trained model. One of this model's own layout (decoder, encoder, bars, encoding,
        segment span) is copied as a whole: a new run goes on from trained weights with other settings, e.g.
        more free bits. A hierarchical model otherwise starts its segment encoder and decoder as a trained flat
        model of one segment's length (a 2-bar model for 2-bar segments). Returns the names of the tensors
        copied; a misfit raises ValueError."""
        cfg = self.cfg
        if not isinstance(source, SequenceVAE):
            raise ValueError(f"config {cfg.name} starts only from a {cfg.encoding} sequence model; got a "
                             f"{type(source).__name__} ({source.cfg.name})")
        other = source.cfg
        if _layout(other) == _layout(cfg):
            return copy_weights(self, source, f"config {cfg.name}")
        if cfg.decoder == "flat" and cfg.encoder == "flat":
            raise ValueError(f"config {cfg.name} (flat, {cfg.bars} bars, {cfg.encoding}) starts only from a flat "
                             f"{cfg.bars}-bar {cfg.encoding} model; got a {other.decoder} {other.bars}-bar "
                             f"{other.encoding} model")
        if other.decoder != "flat" or other.bars != cfg.conductor_span or other.encoding != cfg.encoding:
            raise ValueError(f"needs a flat {cfg.conductor_span}-bar {cfg.encoding} model (config {cfg.name} has "
                             f"{cfg.conductor_span}-bar segments) or a {cfg.bars}-bar model of its own layout; "
                             f"got a {other.decoder} {other.bars}-bar {other.encoding} model")
        pairs = []
        if cfg.encoder == "hierarchical":
            pairs.append((self.encoder.segment, source.encoder, "encoder.segment"))
        if cfg.decoder == "hierarchical" and cfg.segment_dim:
            pairs.append((self.decoder.bar, source.decoder.core, "decoder.bar"))
        if not pairs:
            raise ValueError(f"config {cfg.name} has no segment encoder or segment decoder to start from a trained model")
        copied = []
        for target, origin, prefix in pairs:
            copied += copy_weights(target, origin, f"config {cfg.name} (embed_dim, hidden sizes, segment_dim = "
                                                   f"the trained model's z_dim)", f"{prefix}.")
        return copied


def _layout(cfg: SequenceVAEConfig) -> tuple:
    """What must agree for one model to start as a whole from another (sizes are checked tensor by tensor)."""
    span = cfg.conductor_span if cfg.decoder == "hierarchical" or cfg.encoder == "hierarchical" else None
    return cfg.decoder, cfg.encoder, cfg.bars, cfg.encoding, span


MODEL_KIND = register_model_kind("sequence_vae", SequenceVAEConfig, SequenceVAE, aliases=("melody_vae",))
