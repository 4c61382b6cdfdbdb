"""The studio's Melody Mixer (a live A<->B slider) and pad (four corners): each position decodes the point of
the latent path it names, the ends and corners being the inputs' own reconstructions; and in real Chromium."""

import base64
import io

import pretty_midi
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from musicae.music.inference.conversions import midi_bytes  # noqa: E402
from musicae.music.inference.trained_model import TrainedModel  # noqa: E402
from musicae.studio.server import create_app  # noqa: E402
from tests.browser import sample_rolls, studio_page  # noqa: E402


@pytest.fixture(scope="module")
def client():
    return TestClient(base_url="http://127.0.0.1", app=create_app())


def notes_of(answer) -> list:
    midi = pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(answer["midi"])))
    return [(n.pitch, round(n.start, 3)) for i in midi.instruments for n in i.notes]


def test_the_ends_and_corners_are_the_inputs_and_between_them_the_path(client):
    examples = client.get("/api/examples?kind=melody").json()
    a, b, c, d = examples[:4]
    model = TrainedModel.load("mel_2bar_folk")
    studio = client.app.state.studio

    def rebuilt(example):  # the model's reconstruction of the example's first two windows
        rows = studio.rows(None, example, example, studio.model(None)).rows.take(slice(0, 2))
        data = midi_bytes(model.reconstruct_rows(rows).joined(), encoding=model.encoding)
        return sorted(notes_of({"midi": base64.b64encode(data).decode()}))

    mix = {x: client.post("/api/point", data={"x": str(x), "example_a": a, "example_b": b}).json() for x in (0, 0.5, 1)}
    assert sorted(notes_of(mix[0])) == rebuilt(a) and sorted(notes_of(mix[1])) == rebuilt(b)
    assert notes_of(mix[0.5]) not in (notes_of(mix[0]), notes_of(mix[1]))
    corners = {}
    for x, y, example in ((0, 0, a), (1, 0, b), (0, 1, c), (1, 1, d)):
        answer = client.post("/api/point", data={"x": str(x), "y": str(y), "example_a": a, "example_b": b,
                                                 "example_c": c, "example_d": d}).json()
        corners[example] = sorted(notes_of(answer))
        assert corners[example] == rebuilt(example), example


@pytest.mark.parametrize("form, words", [
    ({"x": "1.5"}, "x and y must be in 0..1"),
    ({"x": "0.5", "y": "0.5"}, "give A and B"),
    ({"x": "0.5", "temperature": "9"}, "temperature"),
])
def test_bad_points_get_a_reason(client, form, words):
    examples = client.get("/api/examples?kind=melody").json()
    response = client.post("/api/point", data={"example_a": examples[0], "example_b": examples[1], **form})
    assert response.status_code == 400 and words in response.json()["error"]


def test_the_slider_and_the_pad_decode_in_chromium():
    from selenium.webdriver.common.keys import Keys

    with studio_page(create_app()) as (driver, wait, By):
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="example-d"] option')) > 3)
        slider = driver.find_element(By.CSS_SELECTOR, '[data-testid="mix"]')
        for value in ("0.2", "0.8"):  # two moves in a row: the second one is the one shown
            driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                                  slider, value)
        wait.until(lambda d: "B 0.80" in d.find_element(By.CSS_SELECTOR, '[data-testid="mix-result"]').text)
        assert driver.find_elements(By.CSS_SELECTOR, '[data-testid="mix-result"] [data-testid="piano-roll"]')
        pad = driver.find_element(By.CSS_SELECTOR, '[data-testid="pad"]')
        pad.send_keys(Keys.ARROW_RIGHT)  # the keyboard moves the point too: (0.6, 0.5)
        wait.until(lambda d: "pad (0.60, 0.50)" in d.find_element(By.CSS_SELECTOR, '[data-testid="pad-result"]').text)
        driver.find_element(By.CSS_SELECTOR, '[data-testid="reseed"]').click()
        assert driver.find_element(By.CSS_SELECTOR, '[data-testid="mix-seed"]').get_attribute("value") != "0"


def test_the_transport_plays_at_a_tempo_loops_and_stops_in_chromium():
    import time

    from selenium.webdriver.support.ui import Select

    with studio_page(create_app()) as (driver, wait, By):
        sample_rolls(driver, wait, By)
        tempo = driver.find_element(By.CSS_SELECTOR, '[data-testid="tempo"]')
        tempo.clear()
        tempo.send_keys("240")
        Select(driver.find_element(By.CSS_SELECTOR, '[data-testid="voice"]')).select_by_value("square")
        driver.find_element(By.CSS_SELECTOR, '[data-testid="loop"]').click()
        driver.find_element(By.CSS_SELECTOR, '[data-testid="samples"] [data-testid="play"]').click()
        state = driver.execute_script("return playing && {scale: playing.scale, duration: playing.duration, "
                                      "voices: playing.voices.length, type: playing.voices[0].type}")
        assert state["scale"] == 0.5 and state["voices"] > 0 and state["type"] == "square"
        first = driver.execute_script("return playing.start")
        time.sleep(state["duration"] * 0.5 + 0.8)  # one pass at double speed, and it starts again
        assert driver.execute_script("return playing !== null && playing.start") > first
        driver.find_element(By.CSS_SELECTOR, '[data-testid="stop"]').click()
        assert driver.execute_script("return playing") is None


def test_a_roll_is_rendered_through_a_soundfont_at_the_tempo_asked(client):
    samples = client.post("/api/sample", data={"n": "1", "seed": "3"}).json()
    midi = samples["samples"][0]["midi"]
    lengths = {}
    for qpm in (120, 60):
        response = client.post("/api/render", data={"midi": midi, "qpm": str(qpm)})
        assert response.status_code == 200 and response.content[:4] == b"RIFF"
        assert response.headers["x-synth"] in ("fluidsynth", "tinysoundfont", "synth")
        lengths[qpm] = len(response.content)
    assert lengths[60] > 1.6 * lengths[120]  # half the tempo: twice as long (and the same release)
    for form, words in (({"midi": "%%%"}, "base64"), ({"midi": base64.b64encode(b"MThd nonsense").decode()},
                        "readable"), ({"midi": midi, "qpm": "9000"}, "qpm")):
        response = client.post("/api/render", data=form)
        assert response.status_code == 400 and words in response.json()["error"]


def test_the_soundfont_sound_and_a_reseeded_path_in_chromium():
    from selenium.webdriver.support.ui import Select

    with studio_page(create_app()) as (driver, wait, By):
        sample_rolls(driver, wait, By)
        Select(driver.find_element(By.CSS_SELECTOR, '[data-testid="voice"]')).select_by_value("soundfont")
        driver.find_element(By.CSS_SELECTOR, '[data-testid="samples"] [data-testid="play"]').click()
        wait.until(lambda d: d.execute_script(
            "return playing !== null && playing.voices[0] instanceof AudioBufferSourceNode"))
        assert driver.execute_script("return playing.voices[0].buffer.duration") > 1.5
        driver.find_element(By.CSS_SELECTOR, '[data-testid="stop"]').click()
        driver.find_element(By.CSS_SELECTOR, '[data-testid="interpolate"]').click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="results"] .roll')) >= 7)
        driver.find_element(By.CSS_SELECTOR, '[data-testid="path-reseed"]').click()
        seed = driver.find_element(By.CSS_SELECTOR, '[data-testid="path-seed"]').get_attribute("value")
        temperature = driver.find_element(By.CSS_SELECTOR, '[data-testid="path-temperature"]').get_attribute("value")
        assert seed != "0" and float(temperature) > 0


def test_an_upload_plays_from_the_bar_asked_and_says_which_bars(client):
    form = {"example_a": "example long_a", "example_b": "example long_b", "steps": "3"}
    answer = client.post("/api/interpolate", data={**form, "bar_a": "4", "bar_b": "8"}).json()
    assert answer["notes"] == ["A: bars 4 to 11 of its 16 bars", "B: bars 8 to 15 of its 16 bars"]
    plain = client.post("/api/interpolate", data=form).json()
    assert answer["inputs"][0]["notes"] != plain["inputs"][0]["notes"]  # another excerpt of A
    late = client.post("/api/interpolate", data={**form, "bar_a": "400"})
    assert late.status_code == 400 and "no window starts at or after bar 400" in late.json()["error"]


def test_the_pad_is_a_beat_blender_with_a_drum_model(client):
    beats = client.get("/api/examples?kind=drums").json()
    assert len(beats) >= 4
    corners = dict(zip(("example_a", "example_b", "example_c", "example_d"), beats[:4]))
    middle = client.post("/api/point", data={"x": "0.5", "y": "0.5", "model": "drums_2bar_hikl", **corners}).json()
    corner = client.post("/api/point", data={"x": "0", "y": "0", "model": "drums_2bar_hikl", **corners}).json()
    midi = pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(middle["midi"])))
    assert midi.instruments and all(i.is_drum for i in midi.instruments)  # drums on channel 10
    assert notes_of(middle) != notes_of(corner)


def test_a_new_input_or_model_clears_what_no_longer_holds_in_chromium():
    from selenium.webdriver.support.ui import Select

    with studio_page(create_app()) as (driver, wait, By):
        driver.find_element(By.CSS_SELECTOR, '[data-testid="interpolate"]').click()
        sample_rolls(driver, wait, By)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="results"] .roll'))
        Select(driver.find_element(By.CSS_SELECTOR, '[data-testid="example-b"]')).select_by_index(2)
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="results"] .roll')  # the path was A to B
        assert driver.find_elements(By.CSS_SELECTOR, '[data-testid="samples"] .roll')  # samples do not read B
        Select(driver.find_element(By.CSS_SELECTOR, '[data-testid="model"]')).select_by_value("mel_2bar_folk_hikl")
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="samples"] .roll'))
