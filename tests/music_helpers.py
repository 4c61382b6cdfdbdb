"""Hand-built NoteSequences in step units, for extraction tests."""

from note_seq.protobuf import music_pb2

STEP_SECONDS = 0.125  # a sixteenth at 120 qpm


def sequence(notes, qpm=120.0, time_signature=(4, 4), extra_tempos=(), extra_signatures=()):
    """notes: (pitch, start_step, end_step[, instrument[, is_drum[, velocity]]]) at 120 qpm."""
    ns = music_pb2.NoteSequence()
    ns.tempos.add(qpm=qpm, time=0.0)
    for time, value in extra_tempos:
        ns.tempos.add(qpm=value, time=time)
    ns.time_signatures.add(numerator=time_signature[0], denominator=time_signature[1], time=0.0)
    for time, (num, den) in extra_signatures:
        ns.time_signatures.add(numerator=num, denominator=den, time=time)
    step = 60.0 / qpm / 4
    for note in notes:
        pitch, start, end, instrument, is_drum, velocity = (*note, 0, False, 90)[:3] + _rest(note)
        ns.notes.add(pitch=pitch, start_time=start * step, end_time=end * step, instrument=instrument,
                     is_drum=is_drum, velocity=velocity)
        ns.total_time = max(ns.total_time, end * step)
    return ns


def c(pitch):
    """The class of a MIDI pitch."""
    return pitch - 19


def _rest(note):
    defaults = (0, False, 90)
    return tuple(note[3:]) + defaults[len(note) - 3 :]


def untrained_model(directory, config: str, seed: int = 0):
    """Save an untrained sequence VAE of a named config (weights from `seed`) as a model folder; returns it."""
    import torch

    from musicae.autoencoding.checkpoint import save_model
    from musicae.autoencoding.device import seeded
    from musicae.autoencoding.runs import model_record
    from musicae.music.models.configs import get_config
    from musicae.music.models.sequence_vae import SequenceVAE

    cfg = get_config(config)
    with seeded(seed, torch.device("cpu")):
        model = SequenceVAE(cfg)
    return save_model(directory, model, model_record(cfg))
