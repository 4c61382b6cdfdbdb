"""`musicae personalize`: a model of your own from a few tunes (MidiMe, Dinculescu et al. 2019).

The tunes are windowed as the base model reads them and encoded to posterior means; a small VAE over those
z (models/latent_prior.py) learns where in the base model's latent space the tunes live. The result is the
base model with that prior inside: a checkpoint like any other, whose samples come from the tunes' region
of z. `--fine-tune N` first trains the whole base model on the tunes for N steps (it starts from the base's
weights, as `musicae train --init-from` does), then fits the prior on the fine-tuned encoder's z.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from musicae.autoencoding.checkpoint import save_model
from musicae.autoencoding.config import ConfigError
from musicae.autoencoding.device import seeded
from musicae.autoencoding.runs import model_record
from musicae.music.data.inputs import discover
from musicae.music.data.prepare import PrepareOptions, plan_units, process_unit
from musicae.music.encodings.base import ExtractOptions, Rows
from musicae.music.inference.conversions import NoWindows, png_of
from musicae.music.inference.groove_commands import job_of
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.latent.moves import VECTORS_FILE, model_vectors_path
from musicae.music.latent.personal_options import PersonalizeOptions
from musicae.music.models.latent_prior import LatentPrior
from musicae.music.models.sequence_vae import SequenceVAE
from musicae.music.models.training import stream_data

__all__ = ["PersonalizeOptions", "load_base", "personal_model", "personalize", "read_tunes"]

MIN_WINDOWS = 16
"""Fewer windows than this (about two 8-bar tunes) give a prior of a handful of points: refused."""
PERSONAL_FILE = "personal.json"
"""What a personal model's folder says about how it was made; its presence marks a folder personalize wrote."""


def read_tunes(inputs: list[Path], model: TrainedModel, any_meter: bool = True
               ) -> tuple[list[tuple[str, Rows]], list[str]]:
    """(source, rows) of every tune of `inputs` that the model can window, and one line per input that
    gave none (its reason, as `musicae prepare` names it)."""
    files, problems = discover(inputs)
    skipped = [f"{path}: {reason} ({detail})" for path, reason, detail in problems]
    units, failed = plan_units(files)
    skipped += [f"{record['source']}: {record['reason']} ({record['detail']})" for record, _ in failed]
    options = PrepareOptions(extract=ExtractOptions(bars=model.cfg.bars, deduplicate=False, any_meter=any_meter),
                             encoding=model.encoding.name, progress=False)
    tunes = []
    for unit in units:
        for record, rows in process_unit(unit, options):
            if record["status"] == "ok":
                tunes.append((record["source"], rows))
            else:
                skipped.append(f"{record['source']}: {record['reason']}" + (f" ({record['detail']})"
                                                                             if record["detail"] else ""))
    return tunes, skipped


def check_out(out: Path) -> None:
    """--out is new, empty, or a personal model that personalize wrote (replaced atomically): never a folder
    of the user's own files."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out}: is an existing file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / PERSONAL_FILE).is_file():
        raise FileExistsError(f"--out {out}: holds files that personalize did not write; choose a new folder")


def fine_tune(model: SequenceVAE, rows: Rows, steps: int, lr: float, seed: int, progress: bool) -> list[float]:
    """Train every weight of `model` on `rows` for `steps` steps (batches of the model's size, drawn with
    `seed`); the loss of each step."""
    generator = torch.Generator().manual_seed(seed)
    data = stream_data(rows)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    late = 10**6  # the schedules' end: full KL weight, the decoder fed its own samples as at the end of training
    losses = []
    model.train()
    with seeded(seed):  # the model's own noise (transposition, z): from the seed, the caller's RNG kept
        for _ in tqdm(range(steps), desc="fine-tune", disable=not progress):
            picked = torch.randint(len(rows), (min(model.cfg.batch_size, len(rows)),), generator=generator)
            loss = model(data[picked], step=late)["loss"]
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), model.cfg.grad_clip)
            optimizer.step()
            losses.append(float(loss.detach()))
    model.eval()
    return losses


@torch.no_grad()
def loss_on(model: SequenceVAE, rows: Rows, seed: int = 0) -> float:
    """The model's loss on all of `rows` in eval mode (no augmentation; z drawn from `seed`)."""
    with seeded(seed):
        return round(float(model.eval()(stream_data(rows)[torch.arange(len(rows))], step=10**6)["loss"]), 4)


def train_prior(z: np.ndarray, options: PersonalizeOptions, progress: bool) -> tuple[LatentPrior, dict]:
    """The small VAE over the tunes' z (N, Z), trained on full batches; its final loss breakdown. Its initial
    weights and noise come from options.seed (the caller's RNG is left as it was)."""
    data = torch.from_numpy(np.asarray(z, dtype=np.float32))
    with seeded(options.seed):
        prior = LatentPrior(z.shape[1], options.latent_dim, options.hidden)
        optimizer = torch.optim.Adam(prior.parameters(), lr=options.lr)
        for _ in tqdm(range(options.steps), desc="personal prior", disable=not progress):
            losses = prior.loss(data, options.beta)
            optimizer.zero_grad()
            losses["loss"].backward()
            optimizer.step()
        prior.eval()
        with torch.no_grad():
            final = {k: round(float(v), 4) for k, v in prior.loss(data, options.beta).items()}
    return prior, final


def load_base(checkpoint) -> TrainedModel:
    base = TrainedModel.load(checkpoint, job="personalize")
    if job_of(base.encoding) is not None or base.control_names:
        raise ConfigError(f"{base.name}: personalize needs a model that samples on its own (a melody or drum model), "
                          f"not {'a GrooVAE' if job_of(base.encoding) else 'a conditioned'} model")
    return base


def personalize(inputs: list[Path], out: Path, checkpoint=None, options: PersonalizeOptions | None = None,
                progress: bool = True) -> dict:
    """Read the tunes of `inputs` and write a personal model of the base model `checkpoint` into `out`."""
    options = options or PersonalizeOptions()
    out = Path(out)
    check_out(out)
    started = time.perf_counter()
    base = load_base(checkpoint)
    tunes, skipped = read_tunes(inputs, base, options.any_meter)
    windows = sum(len(rows) for _, rows in tunes)
    if windows < MIN_WINDOWS:
        reasons = f"; skipped: {'; '.join(skipped[:3])}{' ...' if len(skipped) > 3 else ''}" if skipped else ""
        raise NoWindows(f"{', '.join(map(str, inputs))}: too few tunes: {len(tunes)} gave {windows} windows of "
                        f"{base.cfg.bars} bars, personalize needs at least {MIN_WINDOWS}{reasons}")
    personal, result = personal_model(base, tunes, options, progress)
    result["skipped"] = skipped
    save_personal(out, base, personal, result, options)
    return {"out": str(out), **{k: v for k, v in result.items() if k != "sources"},
            "picture": str(out / "samples.png"), "seconds": round(time.perf_counter() - started, 1)}


def personal_model(base: TrainedModel, tunes: list[tuple[str, Rows]], options: PersonalizeOptions,
                   progress: bool = False) -> tuple[TrainedModel, dict]:
    """The base model with a prior fitted to the tunes' z (fine-tuned on them first with options.fine_tune),
    and what was done."""
    rows = Rows.concat([r for _, r in tunes])
    model, fine_losses = base.model, {}
    if options.fine_tune:
        model = SequenceVAE(base.cfg)
        model.load_state_dict(base.model.state_dict())
        before = loss_on(base.model, rows, options.seed)
        fine_tune(model, rows, options.fine_tune, options.fine_tune_lr, options.seed, progress)
        fine_losses = {"before": before, "after": loss_on(model, rows, options.seed)}
    z = TrainedModel(model, base.source).encode(rows)  # (N, Z)
    prior, losses = train_prior(z, options, progress)
    cfg = replace(base.cfg, prior_dim=options.latent_dim, prior_hidden=options.hidden)
    personal = SequenceVAE(cfg)
    personal.load_state_dict({**model.state_dict(), **{f"prior.{k}": v for k, v in prior.state_dict().items()}})
    result = {"base": base.name, "tunes": len(tunes), "windows": len(rows), "options": asdict(options),
              "prior_loss": losses,
              "fine_tune_loss": fine_losses or None,
              "sources": [source for source, _ in tunes]}
    return TrainedModel(personal, base.source, name="personal"), result


def save_personal(out: Path, base: TrainedModel, personal: TrainedModel, result: dict,
                  options: PersonalizeOptions) -> None:
    """The personal model's folder, written atomically: weights, record, personal.json, a picture of samples,
    and the base's attribute vectors when its z is unchanged."""
    shown = personal.sample_rows(8, 0.5, options.seed)
    picture = png_of([shown.take(i) for i in range(len(shown))], [str(i) for i in range(len(shown))],
                     f"8 samples of a model personalized on {result['tunes']} tunes (temperature 0.5)",
                     encoding=base.encoding)
    extra = {PERSONAL_FILE: json.dumps(result, indent=1), "samples.png": picture}
    vectors = model_vectors_path(base)
    if vectors.is_file() and not options.fine_tune:  # the base's attribute vectors hold in its unchanged z
        extra[VECTORS_FILE] = vectors.read_text()
    record = model_record(personal.cfg, personalized={"base": base.name, "tunes": result["tunes"]})
    save_model(out, personal.model, record, extra=extra)
