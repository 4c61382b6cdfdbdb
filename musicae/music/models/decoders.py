"""MusicVAE's encoders and decoders over named streams: a BiLSTM encoder (flat or per segment), a flat LSTM
decoder and the hierarchical (conductor) decoder.

Nothing here knows what the streams mean: the encoding declares them (musicae.music.encodings.base). A decoder
sees, at each step, the previous step of every output stream (a start value at step 0), that step's controls and
its conditioning vector (z, or the conductor's segment embedding), and gives every output stream's head its
parameters (heads.py).

Shapes: B batch, T steps, U segments, S steps per segment, Z latent, H hidden.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from musicae.autoencoding import DiagonalGaussian
from musicae.autoencoding.config import Registry
from musicae.music.models.configs import SequenceVAEConfig
from musicae.music.models.heads import StepInputs, masked_picks, output_heads

Streams = dict[str, torch.Tensor]


def _per_segment(values: Streams, segments: int) -> Streams:
    """(B, T, ...) -> (B*U, T/U, ...) for every stream: segments are read and written in parallel."""
    return {name: v.reshape(v.shape[0] * segments, v.shape[1] // segments, *v.shape[2:]) for name, v in values.items()}


def _steps(values: Streams, start: int, stop: int) -> Streams:
    return {name: v[:, start:stop] for name, v in values.items()}


ENCODERS = Registry("encoder")


@ENCODERS.register("flat")
class BiLSTMEncoder(nn.Module):
    """Streams -> q(z|x). The final states of both directions give the posterior."""

    def __init__(self, cfg: SequenceVAEConfig):
        super().__init__()
        self.inputs = StepInputs(cfg.encoding_spec.encoder_streams, cfg.embed_dim)
        self.lstm = nn.LSTM(self.inputs.dim, cfg.encoder_hidden, cfg.encoder_layers, batch_first=True, bidirectional=True)
        self.to_posterior = nn.Linear(2 * cfg.encoder_hidden, 2 * cfg.z_dim)

    def forward(self, values: Streams) -> DiagonalGaussian:
        _, (h, _) = self.lstm(self.inputs(values))  # h: (layers * 2, B, H)
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

    def forward(self, values: Streams) -> DiagonalGaussian:
        batch = len(next(iter(values.values())))
        codes = self.segment(_per_segment(values, self.segments)).mean  # (B*U, D)
        _, (h, _) = self.lstm(codes.view(batch, self.segments, -1))  # codes: (B, U, D)
        mean, raw_scale = self.to_posterior(torch.cat([h[-2], h[-1]], dim=-1)).chunk(2, dim=-1)  # (B, Z) each
        return DiagonalGaussian(mean, raw_scale)


class ConditionedLSTM(nn.Module):
    """An LSTM stack conditioned on a vector: initial states = tanh(dense(cond)), cond fed at every step; one
    output head per output stream."""

    def __init__(self, cond_dim: int, cfg: SequenceVAEConfig, outputs=None):
        super().__init__()
        spec = cfg.encoding_spec
        outputs = spec.outputs if outputs is None else outputs
        self.layers, self.hidden = cfg.decoder_layers, cfg.decoder_hidden
        self.inputs = StepInputs(outputs + spec.controls, cfg.embed_dim)
        self.init = nn.Linear(cond_dim, 2 * self.layers * self.hidden)
        self.lstm = nn.LSTM(self.inputs.dim + cond_dim, self.hidden, self.layers, batch_first=True)
        self.out = output_heads(outputs, self.hidden)

    def initial_state(self, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        states = torch.tanh(self.init(cond)).view(cond.shape[0], 2, self.layers, self.hidden)
        h, c = states.permute(1, 2, 0, 3).contiguous()  # each (layers, B, H)
        return h.contiguous(), c.contiguous()

    def forward(self, cond: torch.Tensor, previous: Streams, controls: Streams, state=None):
        """cond (B, D); previous outputs and controls of the steps predicted, each (B, T, ...) ->
        each head's parameters (B, T, ...), state."""
        x = self.inputs({**previous, **controls})
        x = torch.cat([x, cond[:, None].expand(-1, x.shape[1], -1).to(x.dtype)], dim=-1)
        out, state = self.lstm(x, state if state is not None else self.initial_state(cond))
        return {name: head(out) for name, head in self.out.items()}, state

    def start(self, batch: int, device) -> Streams:
        return {name: head.start(batch, device) for name, head in self.out.items()}

    def loop(self, cond, first: Streams, steps: int, controls: Streams, targets: Streams | None = None,
             sampling_probability=1.0, temperature=1.0, generator=None, state=None, fixed: Streams | None = None):
        """Step by step. Each next input is the model's own pick, or with targets given, the target except
        with probability `sampling_probability` (scheduled sampling, one draw per step for all streams).
        `fixed` streams are not picked but given (humanize keeps the pattern's hits and decodes the rest).
        Returns each head's parameters (B, steps, ...), picks (B, steps, ...), state."""
        state = state if state is not None else self.initial_state(cond)
        previous, params, picks = first, {n: [] for n in self.out}, {n: [] for n in self.out}
        for t in range(steps):
            step_params, state = self(cond, {n: v[:, None] for n, v in previous.items()}, _steps(controls, t, t + 1),
                                      state)
            chosen = {}
            for name, head in self.out.items():
                p = step_params[name][:, 0]
                chosen[name] = head.sample(p, temperature, generator)
                if fixed is not None and name in fixed:
                    chosen[name] = fixed[name][:, t].to(chosen[name].dtype)
                params[name].append(p)
            chosen = masked_picks(chosen, self.out)
            for name in self.out:
                picks[name].append(chosen[name])
            if targets is not None:
                batch = len(cond)
                use_sample = torch.rand((batch,), device=cond.device, generator=generator) < sampling_probability
                previous = {n: torch.where(use_sample.view(-1, *[1] * (v.dim() - 1)), v, targets[n][:, t].to(v.dtype))
                            for n, v in chosen.items()}
            else:
                previous = chosen
        return ({n: torch.stack(v, 1) for n, v in params.items()}, {n: torch.stack(v, 1) for n, v in picks.items()},
                state)


class SplitConditionedLSTM(ConditionedLSTM):
    """One ConditionedLSTM per output stream, each reading only its own previous steps and the controls
    (MusicVAE's trio: the melody, bass and drum decoders run side by side under one conductor). It steps and
    loops as one ConditionedLSTM does; its state is one state per stream."""

    def __init__(self, cond_dim: int, cfg: SequenceVAEConfig):
        nn.Module.__init__(self)
        self.cores = nn.ModuleDict({s.name: ConditionedLSTM(cond_dim, cfg, [s]) for s in cfg.encoding_spec.outputs})

    @property
    def out(self) -> dict[str, nn.Module]:  # the heads, owned by the cores
        return {name: core.out[name] for name, core in self.cores.items()}

    def initial_state(self, cond: torch.Tensor) -> dict:
        return {name: core.initial_state(cond) for name, core in self.cores.items()}

    def forward(self, cond: torch.Tensor, previous: Streams, controls: Streams, state=None):
        params, states = {}, {}
        for name, core in self.cores.items():
            out, states[name] = core(cond, {name: previous[name]}, controls, None if state is None else state[name])
            params.update(out)
        return params, states

    def start(self, batch: int, device) -> Streams:
        return {name: head.start(batch, device) for name, head in self.out.items()}


DECODERS = Registry("decoder")


@DECODERS.register("flat")
class FlatDecoder(nn.Module):
    """One LSTM stack over the whole window, conditioned on z (MusicVAE's 2-bar decoder)."""

    def __init__(self, cfg: SequenceVAEConfig):
        super().__init__()
        self.steps = cfg.steps
        self.core = ConditionedLSTM(cfg.z_dim, cfg)

    @property
    def step_lstm(self) -> ConditionedLSTM:
        """The LSTM that writes the steps (its heads own the outputs)."""
        return self.core

    def params(self, z: torch.Tensor, previous: Streams, controls: Streams) -> Streams:
        """(B, Z), shifted outputs and controls (B, T, ...) -> each head's parameters (B, T, ...)."""
        return self.core(z, previous, controls)[0]

    def loop(self, z, controls: Streams, targets=None, sampling_probability=1.0, temperature=1.0, generator=None,
             fixed: Streams | None = None, coupled_segments: bool = False):  # one segment: nothing to couple
        params, picks, _ = self.core.loop(z, self.core.start(len(z), z.device), self.steps, controls, targets,
                                          sampling_probability, temperature, generator, fixed=fixed)
        return params, picks


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
        self.bar = (SplitConditionedLSTM if cfg.split_decoders else ConditionedLSTM)(cfg.segment_dim or hidden, cfg)

    @property
    def step_lstm(self) -> ConditionedLSTM:
        """The LSTM that writes the steps of every segment (its heads own the outputs)."""
        return self.bar

    def bar_embeddings(self, z: torch.Tensor) -> torch.Tensor:  # (B, Z) -> (B, U, H or segment_dim)
        states = torch.tanh(self.conductor_init(z)).view(z.shape[0], 2, self.conductor_layers, self.conductor_hidden)
        h, c = states.permute(1, 2, 0, 3).contiguous()
        out, _ = self.conductor(z[:, None].expand(-1, self.segments, -1), (h.contiguous(), c.contiguous()))
        return out if self.to_code is None else self.to_code(out)

    def params(self, z: torch.Tensor, previous: Streams, controls: Streams) -> Streams:
        batch = z.shape[0]
        embeddings = self.bar_embeddings(z).reshape(batch * self.segments, -1)  # (B*U, H)
        params, _ = self.bar(embeddings, _per_segment(previous, self.segments), _per_segment(controls, self.segments))
        return {name: p.reshape(batch, self.segments * self.segment_steps, *p.shape[2:]) for name, p in params.items()}

    def loop(self, z, controls: Streams, targets=None, sampling_probability=1.0, temperature=1.0, generator=None,
             fixed: Streams | None = None, coupled_segments: bool = False):
        """With `coupled_segments` (decoding only), every segment draws the same random numbers: segments whose
        codes the conductor made alike come out alike, as a tune's repeated bars do, where independent draws
        at temperature 0.5 made almost every bar new (bar repetition 0.01 against 0.35 in held-out tunes),
        and segments whose codes differ still differ."""
        embeddings = self.bar_embeddings(z)
        previous = self.bar.start(len(z), z.device)
        noise_start = generator.get_state() if coupled_segments and generator is not None and targets is None else None
        all_params, all_picks = [], []
        for u in range(self.segments):
            if noise_start is not None:
                generator.set_state(noise_start)
            lo, hi = u * self.segment_steps, (u + 1) * self.segment_steps
            bar_targets = None if targets is None else _steps(targets, lo, hi)
            params, picks, _ = self.bar.loop(embeddings[:, u], previous, self.segment_steps, _steps(controls, lo, hi),
                                             bar_targets, sampling_probability, temperature, generator,
                                             fixed=None if fixed is None else _steps(fixed, lo, hi))
            all_params.append(params)
            all_picks.append(picks)
            last = {n: v[:, -1] for n, v in picks.items()}
            if bar_targets is not None:
                use_sample = torch.rand((len(z),), device=z.device, generator=generator) < sampling_probability
                last = {n: torch.where(use_sample.view(-1, *[1] * (v.dim() - 1)), v, bar_targets[n][:, -1].to(v.dtype))
                        for n, v in last.items()}
            previous = last
        join = lambda parts: {n: torch.cat([p[n] for p in parts], 1) for n in parts[0]}  # noqa: E731
        return join(all_params), join(all_picks)
