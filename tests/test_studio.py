"""The studio: its API through the framework's test client, and the page in real headless Chromium."""

import base64
import contextlib
import io
import os
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pretty_midi
import pytest

import musicae.studio

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from musicae.music.inference.trained_model import example_melodies  # noqa: E402
from musicae.studio.server import create_app  # noqa: E402

A, B = example_melodies()
DOCS = Path(__file__).parent.parent / "docs"


@pytest.fixture(scope="module")
def client():
    return TestClient(base_url="http://127.0.0.1", app=create_app(max_upload_mb=0.05))


def files(a=A, b=B):
    return {"a": (a.name, a.read_bytes(), "audio/midi"), "b": (b.name, b.read_bytes(), "audio/midi")}


def midi_of(b64: str) -> pretty_midi.PrettyMIDI:
    return pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(b64)))


def test_interpolate_answers_notes_per_step_and_the_whole_path_as_midi(client):
    response = client.post("/api/interpolate", files=files(), data={"steps": "5"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert len(result["steps"]) == 5
    for step in result["steps"]:
        assert step["notes"] and all(len(n) == 4 and n[1] < n[2] and 1 <= n[3] <= 127 for n in step["notes"])
        assert 21 <= min(n[0] for n in step["notes"]) <= max(n[0] for n in step["notes"]) <= 108
    path = midi_of(result["midi"])
    assert len(path.instruments[0].notes) == sum(len(s["notes"]) for s in result["steps"])
    # the first step is A's reconstruction by the shipped model: mostly A's own notes
    a_notes = {tuple(n) for n in result["inputs"][0]["notes"]}
    assert len(a_notes & {tuple(n) for n in result["steps"][0]["notes"]}) > 0.7 * len(a_notes)
    assert result["notes"] == []  # the 4-bar examples are played whole
    # a 16-bar input is played in part, and the answer says so
    long = example_melodies(long=True)[0]
    response = client.post("/api/interpolate", files={"a": ("long.mid", long.read_bytes(), "audio/midi"),
                                                      "b": ("b.mid", B.read_bytes(), "audio/midi")},
                           data={"steps": "2"})
    assert response.status_code == 200 and "A: bars 0 to 3 of its 16 bars" in response.json()["notes"]


def test_examples_models_sample_and_similar(client):
    examples = client.get("/api/examples").json()
    assert "example a" in examples and any(e.startswith("folk: ") for e in examples)
    from musicae.music.inference.shipped import shipped_names

    models = client.get("/api/models").json()
    assert [m["name"] for m in models] == shipped_names() and "mel_2bar_folk" in shipped_names()
    assert all(m["chords"] == (m["name"] in ("mel_2bar_chords", "mel_2bar_chords_hikl", "multitrack_1bar_chords"))
               for m in models)
    by_example = client.post("/api/interpolate", data={"example_a": examples[-1], "example_b": "example b",
                                                      "steps": "3"})
    assert by_example.status_code == 200 and len(by_example.json()["steps"]) == 3
    samples = client.post("/api/sample", data={"n": "3", "temperature": "0.5", "seed": "1"}).json()
    assert len(samples["samples"]) == 3 and midi_of(samples["midi"]).instruments[0].notes
    similar = client.post("/api/similar", files={"a": files()["a"]}, data={"similarity": "1", "n": "2"}).json()
    assert similar["samples"][0]["notes"] == similar["samples"][1]["notes"]  # similarity 1: the reconstruction


@pytest.mark.parametrize("request_args, status, words", [
    (dict(files={"a": ("x.mid", b"not a midi file", "audio/midi"), "b": ("b.mid", B.read_bytes(), "audio/midi")}),
     400, "not a MIDI file"),
    (dict(files={"a": ("big.mid", b"MThd" + b"\0" * 60000, "audio/midi")}), 413, "limit"),
    (dict(data={"example_a": "example a", "example_b": "example b", "steps": "1"}), 400, "2..16"),
    (dict(data={"example_a": "example a", "example_b": "example b", "steps": "many"}), 400, "steps"),
    (dict(data={"example_a": "example a", "example_b": "example b", "model": "../../etc/passwd"}), 400,
     "unknown model"),
    (dict(data={"example_a": "nope", "example_b": "example b"}), 400, "unknown example"),
])
def test_bad_requests_get_a_reason(client, request_args, status, words):
    response = client.post("/api/interpolate", **request_args)
    assert response.status_code == status and words in response.json()["error"], response.text


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/..%2fserver.py", "/static/%2e%2e/service.py",
                                  "/static/..%252fserver.py", "/../musicae/studio/server.py", "/static/",
                                  "/static/%2e%2e%2f%2e%2e%2fpyproject.toml", "/etc/passwd"])
def test_only_the_packages_own_static_files_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 404 and b"import" not in response.content


def test_static_files_are_served(client):
    assert 'data-testid="interpolate"' in client.get("/").text
    assert "AudioContext" in client.get("/static/studio.js").text


def test_concurrent_requests_all_succeed(client):
    def one(i):
        return client.post("/api/interpolate", files=files(), data={"steps": "3", "seed": str(i)}).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(16))) == [200] * 16


# ----------------------------------------------------------------------------- the page, in Chromium
def chromium():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        pytest.skip("chromium and chromium-driver are not installed (apt install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                 "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


@contextlib.contextmanager
def serving(app):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not instance.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def server():
    with serving(create_app()) as url:
        yield url


def test_the_page_draws_and_plays_drums_and_humanizes(tmp_path):
    """A drum model: beats to pick, interpolation drawn as drum grids and played with the drum kit; a GrooVAE
    model: its panel humanizes an example beat."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium()
    try:
        for config in ("drums_2bar_tiny", "groovae_2bar_humanize_tiny"):
            app = studio_of(tmp_path, config).app
            with serving(app) as url:
                driver.get(url + "/")
                wait = WebDriverWait(driver, 30)
                wait.until(lambda d: any(o.text.startswith("beat: ") for o in d.find_elements(
                    By.CSS_SELECTOR, '[data-testid="example-a"] option')))
                panel = driver.find_element(By.CSS_SELECTOR, '[data-testid="groove-panel"]')
                if config.startswith("drums"):
                    assert not panel.is_displayed()
                    driver.find_element(By.CSS_SELECTOR, '[data-testid="interpolate"]').click()
                    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="drum-grid"]')) == 8)
                else:
                    assert panel.is_displayed()
                    driver.find_element(By.CSS_SELECTOR, '[data-testid="groove-reseed"]').click()  # T 0.5, a seed
                    assert driver.find_element(By.CSS_SELECTOR, '[data-testid="groove-temperature"]').get_attribute(
                        "value") == "0.5"
                    driver.find_element(By.CSS_SELECTOR, '[data-testid="groove"]').click()
                    wait.until(lambda d: len(d.find_elements(
                        By.CSS_SELECTOR, '[data-testid="grooved"] [data-testid="drum-grid"]')) == 2)
                driver.find_elements(By.CSS_SELECTOR, '[data-testid="play"]')[0].click()
                time.sleep(0.4)
                severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
                assert not severe, severe
                assert not driver.find_element(By.CSS_SELECTOR, '[data-testid="error"]').text
    finally:
        driver.quit()


def test_the_page_interpolates_plays_downloads_and_shows_errors(server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium()
    try:
        driver.get(server + "/")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="example-a"] option')) > 2)
        driver.find_element(By.CSS_SELECTOR, '[data-testid="file-a"]').send_keys(str(A))
        driver.find_element(By.CSS_SELECTOR, '[data-testid="file-b"]').send_keys(str(B))
        driver.find_element(By.CSS_SELECTOR, '[data-testid="interpolate"]').click()
        # the two inputs, the 5 steps and the whole path
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="piano-roll"]')) == 8)
        labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="results"] .label')]
        assert labels[0] == "A (input)" and labels[6] == "B (input)" and "rebuilt" in labels[1]
        plays = driver.find_elements(By.CSS_SELECTOR, '[data-testid="play"]')
        assert len(plays) == 8
        plays[2].click()
        time.sleep(0.5)
        driver.find_element(By.CSS_SELECTOR, '[data-testid="play-path"]').click()
        time.sleep(0.3)
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
        link = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, '[data-testid="download-path"]')))
        data = driver.execute_async_script(
            "const done = arguments[1]; fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => "
            "done(Array.from(new Uint8Array(b))));", link.get_attribute("href"))
        midi = pretty_midi.PrettyMIDI(io.BytesIO(bytes(data)))
        assert len(midi.instruments[0].notes) > 20
        # the attribute sliders appear for a model with vectors, and transform A
        slider = driver.find_element(By.CSS_SELECTOR, '[data-testid="attribute-note_density"]')
        driver.execute_script("arguments[0].value = arguments[0].max; arguments[0].dispatchEvent(new Event('input'));",
                              slider)
        assert "notes per bar" in slider.find_element(By.XPATH, "..").text  # a musical unit, not the vector's
        driver.find_element(By.CSS_SELECTOR, '[data-testid="transform"]').click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="transformed"] canvas')) == 3)
        # the README's picture: MUSICAE_WRITE_DOCS=1 python -m pytest tests/test_studio.py -k page
        shot = DOCS / "studio.png" if os.environ.get("MUSICAE_WRITE_DOCS") else tmp_path / "studio.png"
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10000
        # a bad file: the message shows in the page
        bad = tmp_path / "bad.mid"
        bad.write_bytes(b"this is not MIDI")
        driver.find_element(By.CSS_SELECTOR, '[data-testid="file-a"]').send_keys(str(bad))
        driver.find_element(By.CSS_SELECTOR, '[data-testid="interpolate"]').click()
        error = driver.find_element(By.CSS_SELECTOR, '[data-testid="error"]')
        wait.until(lambda d: "not a MIDI file" in error.text)
        assert "bad.mid" in error.text
        # the earlier path's rolls went with it: nothing stale under the message
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="results"] [data-testid="piano-roll"]')
        assert driver.find_element(By.CSS_SELECTOR, '[data-testid="interpolate"]').is_enabled()
    finally:
        driver.quit()


def test_the_page_is_labelled_fits_a_phone_and_loses_no_click():
    """Every control has a label (a <label> around it or an aria-label: axe's label and select-name rules), the
    page sets a viewport for phones, and the action buttons start disabled (the script enables them once the
    models and examples are loaded, so an early click cannot fall on a page that is not ready)."""
    from html.parser import HTMLParser

    class Controls(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.found, self.viewport = 0, [], False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "label":
                self.depth += 1
            if tag == "meta" and attrs.get("name") == "viewport":
                self.viewport = "width=device-width" in attrs.get("content", "")
            if tag in ("select", "input"):
                self.found.append((attrs.get("id"), self.depth > 0 or bool(attrs.get("aria-label"))))
            if tag == "button" and "action" in attrs.get("class", ""):
                self.found.append((attrs["id"] + " starts disabled", "disabled" in attrs))

        def handle_endtag(self, tag):
            if tag == "label":
                self.depth -= 1

    page = Controls()
    page.feed((Path(musicae.studio.__file__).parent / "static" / "index.html").read_text())
    assert page.viewport
    assert len(page.found) >= 12 and all(ok for _, ok in page.found), [name for name, ok in page.found if not ok]
    script = (Path(musicae.studio.__file__).parent / "static" / "studio.js").read_text()
    assert "ready(true)" in script and 'querySelectorAll("button.action")' in script


def test_transform_moves_note_density_and_refuses_unknown_attributes(client):
    models = client.get("/api/models").json()
    sliders = {s["name"]: s for s in next(m for m in models if m["name"] == "mel_2bar_folk")["sliders"]}
    # only the vectors measured to move their attribute get a slider (attributes.json's effects), in musical units
    assert "note_density" in sliders and sliders["note_density"]["unit"] == "notes per bar"
    assert sliders["note_density"]["per_unit"] > 0.5 and "in_scale" not in sliders
    count = {}
    for amount in ("-2", "2"):
        result = client.post("/api/transform", data={"example_a": "example a", "amount_note_density": amount}).json()
        count[amount] = len(result["transformed"]["notes"])
    assert count["2"] > count["-2"]  # the shipped note-density vector adds notes
    bad = client.post("/api/transform", data={"example_a": "example a", "amount_loudness": "1"})
    assert bad.status_code == 400 and "unknown attribute" in bad.json()["error"]


def test_a_port_in_use_is_one_line(capsys):
    from musicae.cli import main

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert main(["studio", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"--port {port}: cannot listen there" in err, err


def studio_of(tmp_path, config: str) -> TestClient:
    from musicae.autoencoding.checkpoint import save_model
    from musicae.autoencoding.runs import model_record
    from musicae.music.models.configs import get_config
    from musicae.music.models.sequence_vae import SequenceVAE

    cfg = get_config(config)
    save_model(tmp_path / config, SequenceVAE(cfg), model_record(cfg))
    return TestClient(base_url="http://127.0.0.1", app=create_app(checkpoint=str(tmp_path / config)))


def test_drum_models_get_beats_lanes_and_their_groove_job(tmp_path):
    drums = studio_of(tmp_path, "drums_2bar_tiny")
    model = drums.get("/api/models").json()[0]
    assert model["drums"] and model["job"] is None and [lane[0] for lane in model["lanes"]][:3] == [
        "kick", "snare", "closed hi-hat"]
    beats = drums.get("/api/examples", params={"kind": "drums"}).json()
    melodies = drums.get("/api/examples", params={"kind": "melody"}).json()
    assert "beat: funk" in beats and not set(beats) & set(melodies) and "example a" in melodies
    path = drums.post("/api/interpolate", data={"example_a": "beat: funk", "example_b": "beat: rock", "steps": "3"}).json()
    assert len(path["steps"]) == 3 and all(midi_of(s["midi"]).instruments[0].is_drum for s in path["steps"])
    lane_pitches = {lane[1] for lane in model["lanes"]}
    assert path["inputs"][0]["notes"] and {n[0] for n in path["inputs"][0]["notes"]} <= lane_pitches
    assert drums.post("/api/sample", data={"n": "2"}).status_code == 200
    refused = drums.post("/api/groove", data={"example_a": "beat: funk quantized"})
    assert refused.status_code == 400 and "not a GrooVAE model" in refused.json()["error"]
    humanize = studio_of(tmp_path, "groovae_2bar_humanize_tiny")
    assert humanize.get("/api/models").json()[0]["job"] == "humanize"
    done = humanize.post("/api/groove", data={"example_a": "beat: funk quantized"}).json()
    assert done["job"] == "humanize" and len(done["input"]["notes"]) > 20  # the pattern the encoder read
    assert all(n[1] * 8 == pytest.approx(round(n[1] * 8)) for n in done["input"]["notes"])  # on the grid
    assert midi_of(done["output"]["midi"]).instruments[0].is_drum
    no = humanize.post("/api/interpolate", data={"example_a": "beat: funk", "example_b": "beat: rock"})
    assert no.status_code == 400 and "GrooVAE model" in no.json()["error"]
    tap = studio_of(tmp_path, "groovae_2bar_tap_tiny")
    tapped = tap.post("/api/groove", files={"a": (A.name, A.read_bytes(), "audio/midi")}).json()
    assert tapped["job"] == "drumify"  # a melody's onsets are taps, one voice
    assert len({n[0] for n in tapped["input"]["notes"]}) == 1 and len(tapped["input"]["notes"]) > 4


def test_a_chord_model_takes_a_progression(tmp_path):
    from musicae.autoencoding.checkpoint import save_model
    from musicae.autoencoding.runs import model_record
    from musicae.music.models.configs import get_config
    from musicae.music.models.sequence_vae import SequenceVAE

    cfg = get_config("mel_2bar_chords_tiny")
    save_model(tmp_path / "chords", SequenceVAE(cfg), model_record(cfg))
    chords_client = TestClient(base_url="http://127.0.0.1", app=create_app(checkpoint=str(tmp_path / "chords")))
    assert chords_client.get("/api/models").json()[0]["chords"] is True
    result = chords_client.post("/api/interpolate", files=files(), data={"steps": "3", "chords": "C G Am F"}).json()
    assert [n[0] % 12 for n in result["chords"]] == [0, 4, 7, 7, 11, 2, 9, 0, 4, 5, 9, 0]
    path = midi_of(result["midi"])
    assert [i.name for i in path.instruments][-1] == "chords"
    sampled = chords_client.post("/api/sample", data={"n": "2", "chords": "Dm G C"}).json()
    assert len(sampled["samples"]) == 2 and max(n[2] for n in sampled["chords"]) == pytest.approx(6.0)  # 3 bars
    for bad, words in (({"chords": "C H"}, "unknown chord 'H'"), ({}, "chord-conditioned")):
        response = chords_client.post("/api/interpolate", files=files(), data={"steps": "3", **bad})
        assert response.status_code == 400 and words in response.json()["error"], response.text
    plain = TestClient(base_url="http://127.0.0.1", app=create_app()).post("/api/interpolate", files=files(), data={"chords": "C G"})
    assert plain.status_code == 400 and "not chord-conditioned" in plain.json()["error"]


def test_a_request_whose_client_left_is_taken_off_the_queue():
    """With every inference worker busy, a queued request whose client disconnects never runs (it is answered
    499 to nobody), while a client that waits gets its answer."""
    import asyncio

    app = create_app(workers=1)
    started, release, calls = threading.Event(), threading.Event(), []

    def slow_sample(*args):
        calls.append(args)
        started.set()
        release.wait(10)
        return {"samples": []}

    app.state.studio.sample = slow_sample

    async def post(leaves: bool) -> int:
        body, delivered, sent = b"n=1", [], []

        async def receive():
            if not delivered:
                delivered.append(True)
                return {"type": "http.request", "body": body, "more_body": False}
            if leaves:
                return {"type": "http.disconnect"}
            await asyncio.sleep(30)  # still there

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/api/sample", "raw_path": b"/api/sample", "query_string": b"",
                 "root_path": "", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80),
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/x-www-form-urlencoded"),
                             (b"content-length", str(len(body)).encode())]}
        await app(scope, receive, send)
        return next(m["status"] for m in sent if m["type"] == "http.response.start")

    async def scenario():
        waiting = asyncio.create_task(post(leaves=False))  # takes the one worker
        assert await asyncio.to_thread(started.wait, 10)
        left = await asyncio.wait_for(post(leaves=True), 10)  # queued behind it; its client goes
        release.set()
        return left, await asyncio.wait_for(waiting, 10)

    left, kept = asyncio.run(scenario())
    assert (left, kept) == (499, 200)
    assert len(calls) == 1  # the request nobody waited for never ran
