import numpy as np
import pytest
import torch

from musicae.autoencoding.batch import Batch, StreamData
from musicae.autoencoding.trainer import Trainer, TrainerConfig
from musicae.music.inference.trained_model import TrainedModel
from musicae.music.models.configs import MELODY_CONFIGS, get_config
from musicae.music.models.evaluation import evaluate_windows
from musicae.music.models.sequence_vae import SequenceVAE


@pytest.mark.parametrize("name", ["mel_2bar_tiny", "mel_16bar_tiny", "mel_2bar_cpu"])
def test_shapes_and_loss_breakdown(name):
    cfg = get_config(name)
    model = SequenceVAE(cfg)
    tokens = torch.randint(0, 90, (3, cfg.steps))
    posterior = model.encode(tokens)
    assert posterior.mean.shape == (3, cfg.z_dim)
    logits = model.teacher_forced_logits(posterior.mode(), tokens)
    assert logits.shape == (3, cfg.steps, 90)
    out = model(Batch({"notes": tokens}), step=10)
    assert {"loss", "recon", "kl", "beta", "kl_bits", "accuracy"} <= set(out)
    out["loss"].backward()
    assert model.decode(posterior.mode())["notes"].shape == (3, cfg.steps)


def test_decoder_is_causal_through_the_shift():
    """Changing step t of the target changes the logits only at steps > t (teacher forcing)."""
    torch.manual_seed(0)
    model = SequenceVAE(get_config("mel_2bar_tiny")).eval()
    z = torch.randn(1, 8)
    a = torch.randint(0, 90, (1, 32))
    b = a.clone()
    b[0, 10] = (a[0, 10] + 1) % 90
    la, lb = model.teacher_forced_logits(z, a), model.teacher_forced_logits(z, b)
    assert torch.allclose(la[:, :11], lb[:, :11])
    assert not torch.allclose(la[:, 11:], lb[:, 11:])


@pytest.mark.parametrize("config", ["mel_16bar_tiny", "mel_16bar_hier2_tiny"])  # 1-bar and 2-bar segments
def test_hierarchical_loop_matches_teacher_forcing_when_fed_targets(config):
    torch.manual_seed(0)
    model = SequenceVAE(get_config(config)).eval()
    tokens = torch.randint(0, 90, (2, 256))
    z = torch.randn(2, model.cfg.z_dim)
    parallel = model.teacher_forced_logits(z, tokens)
    stepwise, _ = model.decoder.loop(z, {}, targets={"notes": tokens}, sampling_probability=0.0)
    torch.testing.assert_close(parallel, stepwise["notes"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["two_pass", "stepwise"])
def test_scheduled_sampling_feeds_the_decoder_its_own_samples(mode, monkeypatch):
    """Early on the decoder reads the targets; late in the schedule it reads its own picks."""
    from musicae.music.models import decoders as models

    cfg = get_config("mel_2bar_tiny", sampling_rate=1000.0, sampling_mode=mode)
    model = SequenceVAE(cfg).train()
    tokens = torch.randint(2, 90, (8, 32))
    fed = []
    real_forward = models.ConditionedLSTM.forward

    def recording(self, cond, previous, controls, state=None):
        fed.append(previous["notes"].detach().clone())
        return real_forward(self, cond, previous, controls, state)

    monkeypatch.setattr(models.ConditionedLSTM, "forward", recording)

    def inputs_at(step):
        fed.clear()
        out = model(Batch({"notes": tokens}), step=step)
        out["loss"].backward()
        last = fed[-1] if mode == "two_pass" else torch.cat(fed[-32:], dim=1)  # the pass that is trained on
        return out, last[:, 1:]  # (B, 31): what the decoder read for steps 1..31

    out, early = inputs_at(0)
    assert float(out["sampling_probability"]) < 0.01 and (early == tokens[:, :-1]).float().mean() > 0.95
    out, late = inputs_at(20000)
    assert float(out["sampling_probability"]) > 0.99
    assert (late != tokens[:, :-1]).float().mean() > 0.5  # an untrained decoder's picks are not the targets


def test_tiny_model_overfits_a_handful_of_windows(folk_windows, tmp_path):
    torch.manual_seed(0)
    windows = torch.from_numpy(folk_windows[40:48].copy())
    # free bits with a full KL weight keep z informative but near the prior's scale
    cfg = get_config("mel_2bar_tiny", encoder_hidden=64, decoder_hidden=64, z_dim=16, max_beta=1.0, beta_rate=0.0,
                     free_bits=32)
    model = SequenceVAE(cfg)
    trainer = Trainer(model, StreamData({"notes": windows}), TrainerConfig(steps=1200, batch_size=8, lr=1e-2, lr_decay=0.998,
                      lr_min=1e-4, progress=False,
                      eval_every=0, checkpoint_every=10**6), tmp_path / "run", {"kind": "melody_vae", "config": {}})
    trainer.fit()
    result = evaluate_windows(model, windows.numpy())
    assert result["free_running_accuracy"] == 1.0


def test_checkpoint_round_trip_and_interpolation_endpoints(tmp_path, folk_windows):
    from musicae.music.data.prepare import PrepareOptions, write_dataset
    from musicae.music.models.training import train_melody_vae

    data = tmp_path / "data"
    results = [({"source": f"s{i}", "status": "ok", "reason": None, "detail": "", "windows": 1}, folk_windows[i:i + 1])
               for i in range(40)]
    write_dataset(data, results, PrepareOptions(valid_fraction=0.2))
    from musicae.autoencoding import runs

    trained = {}
    real_train_run = runs.train_run

    def keep_trainer(*args, **kwargs):  # the model as training left it in memory
        summary, trainer = real_train_run(*args, **kwargs)
        trained["state"] = {k: v.detach().clone() for k, v in trainer.model.cpu().state_dict().items()}
        return summary, trainer

    import musicae.music.models.training as train_module

    train_module.train_run, saved = keep_trainer, train_module.train_run
    try:
        summary = train_melody_vae(data, tmp_path / "run", "mel_2bar_tiny", steps=30, progress=False, eval_every=10,
                                   checkpoint_every=10)
    finally:
        train_module.train_run = saved
    assert summary["step"] == 30 and (tmp_path / "run" / "curves.png").exists()
    loaded = TrainedModel.load(tmp_path / "run")
    assert loaded.cfg == get_config("mel_2bar_tiny")
    state = loaded.model.state_dict()
    assert state.keys() == trained["state"].keys()
    for k, v in trained["state"].items():
        assert torch.equal(state[k], v), k
    # and through an export: save_run -> load_model
    exported = runs.save_run(tmp_path / "export", loaded.model, loaded.cfg)
    model, cfg = runs.load_model(exported)
    assert cfg == loaded.cfg
    for k, v in model.state_dict().items():
        assert torch.equal(v, trained["state"][k]), k
    a, b = folk_windows[:1], folk_windows[5:6]
    path = loaded.interpolate(a, b, 5)
    assert path.shape == (5, 1, 32)
    np.testing.assert_array_equal(path[0], loaded.reconstruct(a))
    np.testing.assert_array_equal(path[-1], loaded.reconstruct(b))


def test_registry_has_the_musicvae_configs():
    small = MELODY_CONFIGS["mel_2bar_small"]
    assert (small.encoder_hidden, small.decoder_hidden, small.decoder_layers, small.z_dim) == (512, 256, 2, 256)
    assert (small.max_beta, small.beta_rate, small.free_bits, small.batch_size) == (0.2, 0.99999, 0, 512)
    assert (small.lr, small.lr_decay, small.lr_min, small.grad_clip) == (1e-3, 0.9999, 1e-5, 1.0)
    big = MELODY_CONFIGS["mel_2bar_big"]
    assert (big.encoder_hidden, big.decoder_hidden, big.decoder_layers, big.z_dim, big.max_beta) == (2048, 2048, 3, 512, 0.5)
    hier = MELODY_CONFIGS["mel_16bar_hier"]
    assert (hier.encoder_hidden, hier.encoder_layers, hier.conductor_hidden, hier.decoder_hidden, hier.z_dim) == (2048, 2, 1024, 1024, 512)
    assert (hier.free_bits, hier.max_beta, hier.steps, hier.decoder) == (256, 0.2, 256, "hierarchical")
    with pytest.raises(KeyError, match="known"):
        MELODY_CONFIGS["nope"]
