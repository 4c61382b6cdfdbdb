"""The multitrack bar VAE learns real multi-part bars through the shared trainer, and decodes to tokens that
read back as the instruments it was taught."""

import pytest
import torch

from musicae.autoencoding.trainer import TensorData, Trainer, TrainerConfig
from musicae.music.encodings import multitrack_events as mt
from musicae.music.models.multitrack_configs import MULTITRACK_CONFIGS, MultitrackVAEConfig
from musicae.music.models.multitrack_vae import MultitrackVAE, track_mask


@pytest.fixture(scope="module")
def chorale_bars(chorales, tmp_path_factory):
    """Each chorale's 4/4 measures as the multitrack encoding reads them from a MIDI file: (N, 8, 64) tokens."""
    from tests.test_multitrack_events import file_measures

    folder = tmp_path_factory.mktemp("chorales")
    return torch.cat([torch.as_tensor(file_measures(midi, folder)[1].astype("int64")) for midi in chorales.values()])


def accuracies(model, tokens) -> tuple[float, float]:
    """(teacher-forced, greedy free-running) token accuracy over the scored tokens, from the posterior mean."""
    with torch.no_grad():
        z = model.encode(tokens).mode()
        forced = model.teacher_forced(z, tokens).argmax(-1)
        free = model.decode(z, temperature=0)["tracks"]
    mask = track_mask(tokens)
    return tuple(float(((guess == tokens) & mask).sum() / mask.sum()) for guess in (forced, free))


def test_the_model_learns_chorale_bars_and_decodes_valid_tracks(chorale_bars, tmp_path):
    torch.manual_seed(0)
    cfg = MULTITRACK_CONFIGS["multitrack_1bar_tiny"]
    model = MultitrackVAE(cfg)
    before = accuracies(model, chorale_bars)
    Trainer(model, TensorData(chorale_bars), TrainerConfig(steps=250, batch_size=8, lr=1e-2, device="cpu",
            eval_every=0, checkpoint_every=250, progress=False), tmp_path / "run", {"kind": "multitrack"}).fit()
    model.eval()
    after = accuracies(model, chorale_bars)
    assert after[0] > 0.7 and after[1] > 0.3 and max(before) < 0.05, (before, after)
    sampled = model.decode(torch.randn(4, cfg.z_dim), temperature=0.2, generator=torch.Generator().manual_seed(1))["tracks"]
    assert sampled.shape == (4, mt.MAX_TRACKS, mt.TRACK_TOKENS) and int(sampled.max()) < mt.VOCABULARY
    programs = {n.program for bar in sampled for n in mt.tokens_to_notes(bar.numpy())}
    assert programs and programs <= {40, 41, 42, 43, 0, 33, 68, 71}


def test_configs_are_checked_and_the_gpu_size_is_magentas():
    with pytest.raises(ValueError, match="--z-dim 0"):
        MultitrackVAEConfig(z_dim=0)
    with pytest.raises(KeyError, match="multitrack_1bar_cpu"):
        MULTITRACK_CONFIGS["multitrack_2bar"]
    med = MULTITRACK_CONFIGS["multitrack_1bar_med"]
    assert (med.track_hidden, med.decoder_layers, med.decoder_hidden, med.z_dim) == (1024, 3, 512, 512)
    cpu = MultitrackVAE(MULTITRACK_CONFIGS["multitrack_1bar_cpu"])
    assert sum(p.numel() for p in cpu.parameters()) < 10_000_000  # trains on one CPU
