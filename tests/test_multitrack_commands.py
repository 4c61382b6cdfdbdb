"""The Multitrack MusicVAE notebook's experiments as commands, on tiny models trained here on real chorales and a
drum-and-bass file: every command writes multi-instrument MIDI (programs, drums on channel 10, velocities,
instruments named), and the model's batched encoder and decoder are the step-by-step loop they stand for."""

import json
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch

from musicae.music.data.prepare import load_streams
from musicae.music.encodings import multitrack_events as mt
from musicae.music.encodings.chords import NO_CHORD, parse_progression
from musicae.music.models.multitrack_configs import MULTITRACK_CONFIGS
from musicae.music.models.multitrack_training import train_multitrack
from musicae.music.models.multitrack_vae import START, MultitrackVAE, chords_at, token_chords
from tests.cli_helpers import one_output, run_cli


def drum_and_bass(bars: int = 6) -> pretty_midi.PrettyMIDI:
    """A rock beat (kick, snare, hi-hats of varied velocity) and a bass line, at 100 qpm."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=100)
    drums, bass = pretty_midi.Instrument(0, is_drum=True, name="Drums"), pretty_midi.Instrument(33, name="Bass")
    eighth = 60 / 100 / 2
    for i in range(bars * 8):
        t = i * eighth
        drums.notes.append(pretty_midi.Note(60 + 30 * (i % 2), 42, t, t + 0.05))
        if i % 4 == 0:
            drums.notes.append(pretty_midi.Note(110, 36, t, t + 0.05))
        if i % 4 == 2:
            drums.notes.append(pretty_midi.Note(100, 38, t, t + 0.05))
        if i % 2 == 0:
            bass.notes.append(pretty_midi.Note(90, (40, 43, 45, 38)[(i // 8) % 4], t, t + 2 * eighth - 0.02))
    midi.instruments += [drums, bass]
    return midi


@pytest.fixture(scope="module")
def inputs(chorales, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("multitrack_inputs")
    for name, midi in chorales.items():
        midi.write(str(folder / (name.replace("/", "_") + ".mid")))
    drum_and_bass().write(str(folder / "groove.mid"))
    return folder


@pytest.fixture(scope="module")
def runs(inputs, tmp_path_factory) -> dict[str, Path]:
    """Tiny multitrack models, unconditioned and with chords, trained 80 steps on the inputs."""
    from tests.cli_helpers import main

    made = {}
    for encoding, config in (("multitrack", "multitrack_1bar_tiny"), ("multitrack_chords", "multitrack_1bar_chords_tiny")):
        data = tmp_path_factory.mktemp(encoding) / "data"
        assert main(["prepare", str(inputs), "--encoding", encoding, "--out", str(data), "--workers", "1",
                     "--no-cache", "--valid-fraction", "0"]) == 0
        run = data.parent / "run"
        train_multitrack(data, run, config, steps=80, device="cpu", progress=False, eval_every=0, checkpoint_every=80)
        made[encoding] = run
    return made


def instruments_of(path) -> list[tuple[str, int, bool]]:
    midi = pretty_midi.PrettyMIDI(str(path))
    return [(i.name, i.program, i.is_drum) for i in midi.instruments if i.notes]


def test_the_batched_encoder_and_decoder_are_the_step_by_step_loop(runs):
    from musicae.music.inference.trained_model import TrainedModel

    for run in runs.values():
        model = TrainedModel.load(run).model
        rows = load_streams(run.parent / "data", "train")
        batch = {name: torch.as_tensor(values[:6].astype(np.int64)) for name, values in rows.items()}
        tokens, chords = model._streams(batch)
        with torch.no_grad():
            mean = model.encode(batch).mean
            z = mean
            logits = model.teacher_forced(z, batch)
            for b in range(len(tokens)):  # one bar at a time, each track on its own, one token at a time
                summaries = []
                for k in range(mt.MAX_TRACKS):
                    length = int(mt_length(tokens[b, k]))
                    span = next(s for s in (1, 8, 16, 32, 64) if s >= length)
                    x = model._inputs(tokens[b, k, :span][None], None if chords is None else chords[b, k, :span][None])
                    _, (h, _) = model.track_encoder(x)
                    summaries.append(torch.cat([h[0], h[1]], -1))
                _, (h, _) = model.bar_encoder(torch.cat(summaries)[None])
                one_mean, _ = model.to_posterior(torch.cat([h[0], h[1]], -1)).chunk(2, -1)
                torch.testing.assert_close(one_mean[0], mean[b], atol=1e-5, rtol=1e-4)
                embeddings = model.track_embeddings(z[b : b + 1])
                state = model._decoder_state(embeddings)
                grid = None if chords is None else batch["chords"][b : b + 1, 0].repeat(mt.MAX_TRACKS, 1)
                previous = torch.full((mt.MAX_TRACKS, 1), START)
                now = torch.zeros(mt.MAX_TRACKS, dtype=torch.long)
                for position in range(mt.TRACK_TOKENS):
                    chord = None
                    if grid is not None:
                        chord = (chords_at(grid, now) if position else torch.full_like(now, NO_CHORD))[:, None]
                    out, state = model.decoder(torch.cat([model._inputs(previous, chord),
                                                          embeddings.reshape(mt.MAX_TRACKS, 1, -1)], -1), state)
                    step_logits = model.out(out[:, -1])
                    scored = mt_mask(tokens[b])[:, position]
                    torch.testing.assert_close(step_logits[scored], logits[b, scored, position], atol=1e-4, rtol=1e-4)
                    token = tokens[b, :, position]
                    shift = (token >= mt.SHIFT) & (token < mt.VELOCITY) & (position > 0)
                    now = torch.where(shift, now + token - mt.SHIFT + 1, now)
                    previous = token[:, None]


def mt_mask(tokens):
    from musicae.music.models.multitrack_vae import track_mask

    return track_mask(tokens)


def mt_length(track):
    return mt_mask(track).sum()


def test_token_chords_follow_the_time_of_each_token():
    tokens = torch.tensor([[[mt.PROGRAM, mt.NOTE_ON + 60, mt.SHIFT + 23, mt.NOTE_OFF + 60, mt.SHIFT + 47,
                             mt.NOTE_ON + 62, mt.END]]])
    grid = torch.tensor(parse_progression("C") * 4 + parse_progression("F") * 4 + parse_progression("G") * 8)
    chords = token_chords(tokens, grid.expand(1, 1, 16))[0, 0].tolist()
    c, f, g = (parse_progression(name)[0] for name in ("C", "F", "G"))
    # program: none; at time 0: C; the shift read at 0 too; at 24 (beat 2): F; the next shift at 24; at 72: G
    assert chords == [NO_CHORD, c, c, f, f, g, g]


def test_sample_writes_bars_of_the_instruments_it_learnt(runs, tmp_path, capsys):
    out = tmp_path / "samples"
    code, stdout, _ = run_cli(capsys, "sample", "--checkpoint", runs["multitrack"], "-n", "6", "--temperature", "0.2",
                              "--out", out, "--no-wav")
    assert code == 0
    result = json.loads(stdout)
    found = [instruments_of(path) for path in result["files"]]
    assert len(found) == 6 and sum(map(bool, found)) >= 3  # a tiny model's sample may be an empty bar
    programs = {program for one in found for _, program, drum in one if not drum}
    assert programs and programs <= {40, 41, 42, 43, 0, 33, 68, 71}
    assert all(name == pretty_midi.program_to_instrument_name(p) or name.startswith(pretty_midi.program_to_instrument_name(p))
               for one in found for name, p, drum in one if not drum)
    assert one_output(out, "samples.png").stat().st_size > 5000


def test_a_style_held_over_a_progression_and_the_same_chord_with_random_styles(runs, tmp_path, capsys):
    code, stdout, _ = run_cli(capsys, "sample", "--checkpoint", runs["multitrack_chords"], "-n", "2", "--bars", "4",
                              "--chords", "C Caug Am E", "--out", tmp_path / "held", "--no-wav", "--no-png")
    assert code == 0
    for path in json.loads(stdout)["files"]:
        midi = pretty_midi.PrettyMIDI(str(path))
        assert 0 < midi.get_end_time() <= 4 * 2.0 + 1e-6  # four bars at 120 qpm
    code, stdout, _ = run_cli(capsys, "sample", "--checkpoint", runs["multitrack_chords"], "-n", "3", "--chords", "C",
                              "--out", tmp_path / "same", "--no-wav", "--no-png")
    assert code == 0 and len(json.loads(stdout)["files"]) == 3
    code, _, err = run_cli(capsys, "sample", "--checkpoint", runs["multitrack_chords"], "--out", tmp_path / "none")
    assert code != 0 and "give a progression" in err


def test_measures_then_reconstruct_one_and_interpolate_between_two_over_bars(runs, inputs, tmp_path, capsys):
    song = inputs / "groove.mid"
    code, stdout, _ = run_cli(capsys, "measures", "--checkpoint", runs["multitrack"], song)
    listed = json.loads(stdout)
    assert code == 0 and listed["bars"] == list(range(6)) and listed["count"] == 6
    code, stdout, _ = run_cli(capsys, "reconstruct", "--checkpoint", runs["multitrack"], song, "--bar", "2",
                              "--out", tmp_path / "rec", "--no-wav")
    result = json.loads(stdout)
    assert code == 0 and result["bars"] == [2] and result["windows"] == 1
    assert ("Drums", 0, True) in instruments_of(result["input_midi"])
    assert pretty_midi.PrettyMIDI(result["reconstruction_midi"]).instruments  # a model's bar, drums and all
    code, _, err = run_cli(capsys, "reconstruct", "--checkpoint", runs["multitrack"], song, "--bar", "40",
                           "--out", tmp_path / "rec40")
    assert code != 0 and "windows start at bars 0, 1, 2, 3, 4, 5" in err
    chorale = inputs / "bach_bwv66.6.mid"
    code, stdout, _ = run_cli(capsys, "interpolate", song, chorale, "--checkpoint", runs["multitrack"], "--bar", "1",
                              "--bar-b", "3", "--bars", "5", "--out", tmp_path / "path", "--no-wav")
    result = json.loads(stdout)
    assert code == 0 and result["bars"] == 5
    midi = pretty_midi.PrettyMIDI(result["path_midi"])
    assert midi.get_end_time() <= 5 * 2.0 + 1e-6 and midi.instruments


def test_style_interpolation_between_two_draws_over_a_repeating_progression(runs, tmp_path, capsys):
    code, stdout, _ = run_cli(capsys, "interpolate", "--checkpoint", runs["multitrack_chords"], "--bars", "8",
                              "--chords", "Dm F Am G", "--out", tmp_path / "styles", "--seed", "3")
    result = json.loads(stdout)
    assert code == 0 and result["a"] is None and Path(result["wav"]).stat().st_size > 1000
    again = json.loads(run_cli(capsys, "interpolate", "--checkpoint", runs["multitrack_chords"], "--bars", "8",
                               "--chords", "Dm F Am G", "--out", tmp_path / "styles2", "--seed", "3",
                               "--no-wav")[1])
    assert Path(again["path_midi"]).read_bytes() == Path(result["path_midi"]).read_bytes()  # the seed decides
    code, _, err = run_cli(capsys, "interpolate", "--checkpoint", runs["multitrack"], "--bars", "1", "--out",
                           tmp_path / "short")
    assert code != 0 and "at least two windows" in err


def test_encode_keeps_one_row_per_measure(runs, inputs, tmp_path, capsys):
    code, stdout, _ = run_cli(capsys, "encode", inputs / "groove.mid", inputs / "bach_bwv7.7.mid", "--checkpoint",
                              runs["multitrack"], "--out", tmp_path / "z.npy")
    assert code == 0
    z = np.load(tmp_path / "z.npy")
    sources = json.loads((tmp_path / "z.json").read_text())["windows"]
    assert len(z) == len(sources) and {s["source"].rsplit("/", 1)[-1] for s in sources} == {"groove.mid",
                                                                                           "bach_bwv7.7.mid"}


def test_the_studio_panel_lists_measures_reconstructs_one_and_walks_between_two(runs):
    import base64
    import io

    from fastapi.testclient import TestClient

    from musicae.studio.server import create_app

    client = TestClient(base_url="http://127.0.0.1", app=create_app(checkpoint=str(runs["multitrack_chords"])))
    model = client.get("/api/models").json()[0]
    assert model["instruments"] and model["chords"]
    examples = client.get("/api/multitrack/examples").json()
    chorale = next(name for name in examples if name.startswith("chorale"))
    listed = client.post("/api/multitrack", data={"action": "measures", "example_a": chorale}).json()
    assert listed["measures"][:3] == [0, 1, 2] and len(listed["measures"]) >= 8
    rebuilt = client.post("/api/multitrack", data={"action": "reconstruct", "example_a": chorale,
                                                   "measure_a": "3"}).json()
    original = pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(rebuilt["pieces"][0]["midi"])))
    assert {i.program for i in original.instruments} == {40, 41, 42, 43}  # the chorale's strings
    assert all(base64.b64decode(p["wav"])[:4] == b"RIFF" and base64.b64decode(p["png"])[:4] == b"\x89PNG"
               for p in rebuilt["pieces"])
    walked = client.post("/api/multitrack", data={"action": "interpolate", "example_a": chorale, "measure_a": "1",
                                                  "measure_b": "5", "bars": "4"}).json()
    assert walked["pieces"][0]["title"] == "measure 1 to measure 5, 4 bars"
    styles = client.post("/api/multitrack", data={"action": "morph", "bars": "6", "chords": "Dm F Am G"}).json()
    assert "Dm F Am G" in styles["pieces"][0]["title"]
    for form, words in (({"action": "explode"}, "action must be"), ({"action": "style", "bars": "500"}, "bars"),
                        ({"action": "reconstruct", "example_a": chorale, "measure_a": "999"}, "no measure 999"),
                        ({"action": "style", "chords": "H7"}, "chord")):
        response = client.post("/api/multitrack", data=form)
        assert response.status_code == 400 and words in response.json()["error"], (form, response.json())


def test_the_page_runs_the_notebooks_panel_in_chromium(runs, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from musicae.studio.server import create_app
    from tests.test_studio import chromium, serving

    with serving(create_app(checkpoint=str(runs["multitrack_chords"]))) as url:
        driver = chromium()
        try:
            driver.get(url + "/")
            wait = WebDriverWait(driver, 60)
            panel = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="multitrack-panel"]'))
            wait.until(lambda d: panel.is_displayed() and len(Select(d.find_element(
                By.CSS_SELECTOR, '[data-testid="mt-example"]')).options) > 1)
            assert not driver.find_element(By.ID, "interpolate-panel").is_displayed()  # the melody panels step aside
            assert driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-chords"]').is_displayed()
            driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-morph"]').click()
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="mt-results"] figure')) == 1)
            caption = driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-results"] figcaption').text
            assert "from one style to another, 4 bars over C Caug Am E" == caption
            Select(driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-example"]')).select_by_visible_text(
                "chorale: BWV 66.6 (strings)")
            driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-measures"]').click()
            wait.until(lambda d: "Parsed" in d.find_element(By.CSS_SELECTOR, '[data-testid="mt-status"]').text)
            measures = Select(driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-measure-a"]')).options
            assert [o.text for o in measures[:3]] == ["bar 0", "bar 1", "bar 2"]
            Select(driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-measure-a"]')).select_by_index(2)
            driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-reconstruct"]').click()
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="mt-results"] audio')) == 2)
            titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="mt-results"] figcaption')]
            assert titles == ["measure 2 (input)", "measure 2, reconstructed"]
            sound = driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-results"] audio')
            duration = driver.execute_async_script(
                "const a = arguments[0], done = arguments[1]; if (a.readyState >= 1) done(a.duration); "
                "else a.addEventListener('loadedmetadata', () => done(a.duration));", sound)
            assert 2 <= duration < 8  # one bar at 120 qpm, and the release of its last notes
            driver.execute_script("arguments[0].play()", sound)  # a playhead crosses the picture as it plays
            head = driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-playhead"]')
            wait.until(lambda d: head.is_displayed())
            first = float(head.value_of_css_property("left").rstrip("px"))
            wait.until(lambda d: float(head.value_of_css_property("left").rstrip("px")) > first + 5)
            driver.execute_script("arguments[0].pause()", sound)
            driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-chords"]').clear()
            driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-chords"]').send_keys("C Xyz")
            driver.find_element(By.CSS_SELECTOR, '[data-testid="mt-style"]').click()
            wait.until(lambda d: "chord" in d.find_element(By.CSS_SELECTOR, '[data-testid="mt-status"]').text.lower())
            assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="mt-results"] figure')  # none left stale
            severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]
            assert not severe, severe  # no script error (the refused chord's 400 is the network's line)
        finally:
            driver.quit()


def test_random_multitrack_form_fields_never_get_a_500(runs):
    """A seeded fuzz of the multitrack panel's form fields: every answer is a 200, or a 4xx with {"error"}."""
    import random

    from fastapi.testclient import TestClient

    from musicae.studio.server import create_app

    client = TestClient(base_url="http://127.0.0.1", app=create_app(checkpoint=str(runs["multitrack_chords"])))
    rng = random.Random(22)
    values = ["", "0", "-1", "1", "2", "5", "33", "nan", "inf", "1e308", str(10**30), "abc", " 2 ", "C G Am F",
              "H", "\x00", "chorale: BWV 66.6 (strings)", "beat: funk", "../../etc/passwd", "samples", "style",
              "morph", "measures", "reconstruct", "interpolate"]
    fields = ["action", "bars", "temperature", "seed", "chords", "measure_a", "measure_b", "n", "example_a", "model"]
    for _ in range(60):
        form = {field: rng.choice(values) for field in fields if rng.random() < 0.6}
        response = client.post("/api/multitrack", data=form)
        assert response.status_code == 200 or (400 <= response.status_code < 500 and "error" in response.json()), \
            (form, response.status_code, response.text[:200])


def test_train_and_evaluate_take_multitrack_configs_on_the_command_line(runs, tmp_path, capsys):
    data = runs["multitrack_chords"].parent / "data"
    run = tmp_path / "run"
    code, stdout, _ = run_cli(capsys, "train", "--data", data, "--config", "multitrack_1bar_chords_tiny",
                              "--steps", "6", "--eval-every", "0", "--checkpoint-every", "3", "--out", run,
                              "--no-progress")
    assert code == 0 and json.loads(stdout)["config"] == "multitrack_1bar_chords_tiny"
    code, stdout, _ = run_cli(capsys, "train", "--data", data, "--steps", "8", "--resume", "--out", run,
                              "--no-progress", "--eval-every", "0")  # the stored kind and config, no --config
    assert code == 0 and json.loads(stdout)["step"] == 8
    code, stdout, _ = run_cli(capsys, "evaluate", "--checkpoint", run, "--data", data, "--split", "all",
                              "--limit", "20", "--no-progress")
    figures = json.loads(stdout)
    assert code == 0 and figures["bars"] == 20 and 0 <= figures["sampled_accuracy"] <= 1
    assert {"onset_f1", "family_kept", "teacher_forced_accuracy"} <= set(figures)


def test_a_multitrack_run_carries_on_from_a_trained_model_of_its_shape(runs, tmp_path, capsys):
    """`train --init-from` on a multitrack config: a new run (its optimizer afresh) starts as the trained model,
    e.g. a shipped one when the run that made it is gone; a model of another kind or shape is refused in a line."""
    from musicae.music.inference.trained_model import TrainedModel

    data, source = runs["multitrack_chords"].parent / "data", runs["multitrack_chords"]
    run = tmp_path / "run"
    code, stdout, _ = run_cli(capsys, "train", "--data", data, "--config", "multitrack_1bar_chords_tiny",
                              "--init-from", source, "--steps", "1", "--eval-every", "0", "--out", run,
                              "--no-progress", "--lr", "1e-5")
    assert code == 0
    trained, started = TrainedModel.load(source).model, TrainedModel.load(run).model
    fresh = MultitrackVAE(MULTITRACK_CONFIGS["multitrack_1bar_chords_tiny"])
    for name, weight in started.state_dict().items():  # one step of lr 1e-5 from the trained weights
        assert (weight - trained.state_dict()[name]).abs().max() < 1e-4, name
    assert (started.out.weight - fresh.out.weight).abs().max() > 0.01
    for other, reason in ((runs["multitrack"], "chord-conditioned"), (source, "needs shape")):
        config = "multitrack_1bar_chords_tiny" if other == runs["multitrack"] else "multitrack_1bar_chords_cpu"
        code, _, err = run_cli(capsys, "train", "--data", data, "--config", config, "--init-from", other,
                               "--steps", "1", "--out", tmp_path / "refused", "--no-progress")
        assert code == 2 and len(err.strip().splitlines()) == 1 and reason in err, err
        assert not (tmp_path / "refused").exists()
