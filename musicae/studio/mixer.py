"""The studio's instruments in the spirit of Magenta's demos: a Melody Mixer (a live A<->B slider whose every
position is decoded) and a 2-D pad over four corners (the `grid` command, one point at a time; Beat Blender
with a drum model). One point is one decode of the inputs' first windows: fast enough to follow a slider."""

from __future__ import annotations

import base64

import numpy as np
import torch

from musicae.autoencoding import slerp
from musicae.studio.service import Studio, StudioError, b64_midi, check_randomness, notes_json

MAX_WINDOWS = 2
"""Windows of each input a point decodes (the first ones): what a slider can follow."""


def corner_codes(studio: Studio, model, inputs: list[tuple[bytes | None, str, str | None]]) -> tuple[np.ndarray, int]:
    """(corners, W, Z) posterior means of each input's first windows, and W (the fewest any input has)."""
    windows = [studio.rows(data, name, example, model).rows for data, name, example in inputs]
    count = min(MAX_WINDOWS, *(len(w) for w in windows))
    return np.stack([model.encode(w.take(slice(0, count))) for w in windows]), count


def point(studio: Studio, inputs: list[tuple[bytes | None, str, str | None]], x: float, y: float | None = None,
          model_name: str | None = None, temperature: float = 0.0, seed: int = 0) -> dict:
    """Decode one point: with two inputs, `x` along the slerp path from A (0) to B (1); with four, (x, y) on the
    pad, bilinear between A (top left), B (top right), C (bottom left) and D (bottom right), as `grid` does."""
    if not (0 <= x <= 1) or (y is not None and not 0 <= y <= 1):
        raise StudioError("x and y must be in 0..1")
    if len(inputs) not in (2, 4) or (len(inputs) == 4) != (y is not None):
        raise StudioError("give A and B (and x) for the mixer, or A, B, C and D (and x, y) for the pad")
    check_randomness(temperature, seed)
    model = studio.model(model_name)
    if model.control_names:
        raise StudioError(f"{model.cfg.name} reads chords: the mixer and the pad take models without them")
    if model.encoding.instruments:
        raise StudioError(f"{model.cfg.name} is a multitrack model: its paths are in the multitrack panel")
    codes, count = corner_codes(studio, model, inputs)  # (corners, W, Z)
    if len(inputs) == 2:  # the ends exactly A's and B's codes; between them, the slerp path's point
        z = codes[int(x)] if x in (0, 1) else np.stack(
            [slerp(torch.from_numpy(a), torch.from_numpy(b), 2, at=torch.tensor([x]))[0].numpy()
             for a, b in zip(codes[0], codes[1])])
    else:
        top = (1 - x) * codes[0] + x * codes[1]
        bottom = (1 - x) * codes[2] + x * codes[3]
        z = (1 - y) * top + y * bottom
    rows = model.decode_rows(np.asarray(z, np.float32), temperature, seed)
    return {"x": x, "y": y, "windows": count, "notes": notes_json(model, rows),
            "midi": b64_midi(model, rows.joined())}


MAX_RENDER_BYTES = 256 * 1024
"""A roll's MIDI is a few kilobytes; a larger one is not the page's."""


def render_wav(midi_b64: str, qpm: float = 120.0):
    """A roll's MIDI (base64, at 120 qpm as the page lays it out) played through a GM SoundFont at `qpm`: a WAV
    response (the transport's "instruments" sound)."""
    import binascii
    import io

    import pretty_midi
    from fastapi.responses import Response

    from musicae.music.inference.render import wav_bytes

    if not 20 <= qpm <= 400:
        raise StudioError("qpm must be in 20..400")
    try:
        data = base64.b64decode(midi_b64, validate=True)
    except (binascii.Error, ValueError):
        raise StudioError("midi: not base64") from None
    if len(data) > MAX_RENDER_BYTES:
        raise StudioError(f"midi: over {MAX_RENDER_BYTES // 1024} KB")
    try:
        midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
    except Exception:
        raise StudioError("midi: not a readable MIDI file") from None
    if midi.get_end_time() > 600:
        raise StudioError("midi: longer than ten minutes")
    scale = 120.0 / qpm
    for instrument in midi.instruments:
        for note in instrument.notes:
            note.start, note.end = note.start * scale, note.end * scale
    wav, synth = wav_bytes(midi)
    return Response(wav, media_type="audio/wav", headers={"X-Synth": synth})
