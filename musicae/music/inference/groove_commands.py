"""GrooVAE's two jobs as commands: humanize a quantized beat, drumify a rhythm (Magenta Studio's Groove and
Drumify). Each reads its input with the model's encoding, encodes what the encoder reads (the pattern, or the
taps) and decodes a performance: hits with velocities and timing, on channel 10 at the input's tempo."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from musicae.autoencoding.config import ConfigError
from musicae.music.encodings.base import Rows
from musicae.music.inference.commands import check_temperature
from musicae.music.inference.conversions import file_facts, midi_bytes, png_of, wav_of, windows_from_midi_file
from musicae.music.inference.outputs import output_files
from musicae.music.inference.shipped import GROOVE_JOBS as JOBS
from musicae.music.inference.shipped import JOB_MODELS
from musicae.music.inference.trained_model import TrainedModel


def hit_f1(found: np.ndarray, wanted: np.ndarray) -> float:
    """F1 of 0/1 hits against the hits wanted (1.0 when both are empty)."""
    found, wanted = np.asarray(found) > 0, np.asarray(wanted) > 0
    both = int((found & wanted).sum())
    total = int(found.sum()) + int(wanted.sum())
    return 1.0 if total == 0 else 2 * both / total


def job_of(encoding) -> str | None:
    """The job a model of this encoding does: humanize or drumify for GrooVAE encodings that read a pattern
    or taps, else None."""
    reads = getattr(encoding, "reads", None)
    return next((job for job, (r, _) in JOBS.items() if r == reads), None)


def check_job(model: TrainedModel, job: str) -> None:
    if job_of(model.encoding) != job:
        wanted = JOBS[job][1]
        raise ConfigError(f"{model.cfg.name}: {job} needs a GrooVAE model that reads {wanted} ({JOB_MODELS[job]}); "
                          f"this one reads {getattr(model.encoding, 'reads', model.encoding.name)}")


def perform(model: TrainedModel, inputs: Rows, temperature: float = 0.0, seed: int = 0,
            keep_hits: bool = True) -> tuple[Rows, Rows]:
    """(what the encoder read, the performance decoded from it) for rows of the model's encoding. Humanizing
    keeps the pattern's hits (`keep_hits`) and decodes their velocities and timing; without it the model
    also picks the hits (its reconstruction of the pattern through z)."""
    inputs = inputs.only([s.name for s in model.encoding.encoder_streams])
    fixed = Rows(hits=inputs["pattern"]) if keep_hits and "pattern" in inputs else None
    return inputs, model.decode_rows(model.encode(inputs), temperature, seed, fixed=fixed)


def groove(job: str, checkpoint, path: Path, out: Path, temperature: float = 0.0, seed: int = 0, wav: bool = True,
           png: bool = True, keep_hits: bool = True) -> dict:
    """Write input.mid (what the model read), output.mid (the performance), a drum grid of both and a WAV."""
    check_temperature(temperature)
    model = TrainedModel.load(checkpoint, job=job)
    check_job(model, job)
    encoding = model.encoding
    found = windows_from_midi_file(path, model.cfg.bars, None, encoding, any_notes=job == "drumify")
    inputs, performance = perform(model, found.rows, temperature, seed, keep_hits)
    qpm = file_facts(path).qpm
    out = output_files(out, [path], model.name, seed)
    result = {"job": job, "input": str(path), "model": model.name, "checkpoint": model.source, "windows": len(found),
              "qpm": qpm or encoding.qpm,
              "input_midi": out.write("input.mid", midi_bytes(inputs, encoding=encoding, qpm=qpm)),
              "output_midi": out.write("output.mid", midi_bytes(performance, encoding=encoding, qpm=qpm))}
    if job == "humanize":  # the pattern's hits should survive: how many did
        result["hits_kept_f1"] = round(hit_f1(performance["hits"], inputs["pattern"]), 4)
    if png:
        result["drum_grid"] = out.write(f"{job}.png", png_of(
            [inputs.joined(), performance.joined()], ["input", "output"], f"{path.name}: {job}", encoding=encoding))
    if wav:
        data, result["synth"] = wav_of(performance, encoding=encoding, qpm=qpm)
        result["wav"] = out.write("output.wav", data)
    return result
