"""Round 3's hostile cases (issue 26): each test failed on the code before its fix."""

import json
import os

import pytest

from musicae.autoencoding.checkpoint import save_model
from musicae.autoencoding.runs import model_record
from musicae.cli import main
from musicae.music.inference.outputs import file_stem
from musicae.music.inference.trained_model import example_melodies
from musicae.music.models.configs import get_config
from musicae.music.models.sequence_vae import SequenceVAE

A, B = example_melodies()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "model"
    cfg = get_config("mel_2bar_tiny")
    save_model(path, SequenceVAE(cfg), model_record(cfg))
    return path


def test_outputs_never_write_through_a_link(tiny, tmp_path, capsys):
    precious = tmp_path / "precious.txt"
    precious.write_text("the user's own words")
    out = tmp_path / "out"
    out.mkdir()
    # the names the two commands below would write (sources, model, seed, then the file's role)
    names = [f"{file_stem([A, B], tiny, 0)}-step_00.mid", f"{file_stem([A, B], tiny, 0)}-path.png",
             f"{file_stem([], tiny, 0)}-samples.png"]
    for name in names:
        os.symlink(precious, out / name)
    os.symlink(precious, tmp_path / "z.npy")
    # links in --out are the user's files: refused in one line, neither followed nor replaced
    for command in (["interpolate", A, B, "--steps", "3", "--no-wav", "--out", out], ["sample", "-n", "2", "--out", out]):
        assert main([str(c) for c in command] + ["--checkpoint", str(tiny)]) == 2
        assert "was not written by musicae" in capsys.readouterr().err
    assert precious.read_text() == "the user's own words"
    for name in names:
        assert (out / name).is_symlink()
    # encode's --out names a file: it is replaced by a new file, never written through
    assert main(["encode", str(A), "--out", str(tmp_path / "z.npy"), "--checkpoint", str(tiny)]) == 0
    assert precious.read_text() == "the user's own words"
    assert not (tmp_path / "z.npy").is_symlink()


def test_encode_keeps_a_json_file_it_did_not_write(tiny, tmp_path, capsys):
    mine = tmp_path / "notes.json"
    mine.write_text('{"my": "notes"}')
    code = main(["encode", str(A), "--out", str(tmp_path / "notes.npy"), "--checkpoint", str(tiny)])
    err = capsys.readouterr().err
    assert code == 2 and "notes.json beside it is not one that encode wrote" in err and err.count("\n") == 1
    assert mine.read_text() == '{"my": "notes"}' and not (tmp_path / "notes.npy").exists()
    assert main(["encode", str(A), "--out", str(tmp_path / "z.npy"), "--checkpoint", str(tiny)]) == 0
    assert main(["encode", str(B), "--out", str(tmp_path / "z.npy"), "--checkpoint", str(tiny)]) == 0  # its own: replaced
    assert json.loads((tmp_path / "z.json").read_text())["windows"][0]["source"] == str(B)


def test_a_flipped_weight_or_an_edited_config_does_not_load(tiny, tmp_path, capsys):
    import shutil

    for name, edit in (("model.safetensors", "flip"), ("config.json", "z_dim")):
        copy = tmp_path / name
        shutil.copytree(tiny, copy)
        target = copy / name
        data = bytearray(target.read_bytes())
        if edit == "flip":  # the sign bit of one float32 weight near the end (past the header)
            data[-3] ^= 0x80
        else:  # the same size: "z_dim": 8 -> 9
            text = data.decode()
            data = bytearray(text.replace('"z_dim": 8', '"z_dim": 9').encode())
            assert len(data) == target.stat().st_size
        target.write_bytes(bytes(data))
        code = main(["sample", "-n", "1", "--out", str(tmp_path / "s"), "--checkpoint", str(copy)])
        err = capsys.readouterr().err
        assert code == 2 and f"{name} does not match its checksum" in err and err.count("\n") == 1, err


def test_a_damaged_newest_checkpoint_is_named_when_an_older_one_is_used(tmp_path, capsys):
    from musicae.music.models.training import train_sequence_vae
    from tests.test_drums import write_beats

    write_beats(tmp_path / "beats")
    assert main(["prepare", str(tmp_path / "beats"), "--encoding", "drums", "--out", str(tmp_path / "data"),
                 "--no-cache", "--workers", "1", "--valid-fraction", "0"]) == 0
    train_sequence_vae(tmp_path / "data", tmp_path / "run", "drums_2bar_tiny", steps=4, checkpoint_every=2,
                       eval_every=0, progress=False)
    newest = tmp_path / "run" / "checkpoints" / "step-00000004" / "model.safetensors"
    data = bytearray(newest.read_bytes())
    data[-3] ^= 0x80
    newest.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["sample", "-n", "1", "--out", str(tmp_path / "s"), "--checkpoint", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "step-00000004 model.safetensors does not match its checksum; using step-00000002" in err
    assert err.count("\n") == 1


# ----------------------------------------------------------------------------- the studio
@pytest.fixture(scope="module")
def studio(tiny):
    from fastapi.testclient import TestClient

    from musicae.studio.server import create_app

    return TestClient(create_app(checkpoint=str(tiny)), base_url="http://127.0.0.1:8765")


def test_the_studio_refuses_other_sites_and_other_host_names(studio, tiny):
    evil = studio.post("/api/sample", data={"n": "1"}, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403 and "another site" in evil.json()["error"]
    assert studio.post("/api/sample", data={"n": "1"}, headers={"Origin": "null"}).status_code == 403
    mine = studio.post("/api/sample", data={"n": "1"}, headers={"Origin": "http://127.0.0.1:8765"})
    assert mine.status_code == 200
    rebound = studio.get("/api/models", headers={"Host": "rebind.attacker.example"})
    assert rebound.status_code == 421 and "error" in rebound.json()
    assert studio.get("/api/models", headers={"Host": "localhost:8765"}).status_code == 200
    assert str(tiny) not in studio.get("/api/models").text  # no server path reaches the page


@pytest.mark.parametrize("field, value", [("temperature", "nan"), ("temperature", "inf"), ("temperature", "-5"),
                                          ("temperature", "1e308"), ("seed", str(10**30)), ("seed", "-1")])
def test_studio_numbers_out_of_range_are_400s_with_an_error(studio, field, value):
    a = ("a.mid", A.read_bytes(), "audio/midi")
    for path, form, upload in (("/api/interpolate", {"steps": "3"}, {"a": a, "b": ("b.mid", B.read_bytes(), "audio/midi")}),
                               ("/api/sample", {"n": "1"}, None), ("/api/similar", {}, {"a": a})):
        if field == "temperature" and path == "/api/similar":
            continue
        response = studio.post(path, data={**form, field: value}, files=upload)
        assert response.status_code == 400 and field in response.json()["error"], (path, response.text)


@pytest.mark.parametrize("argv, words", [
    (["sample", "-n", "1", "--seed", str(10**30)], "--seed"),
    (["sample", "-n", "1", "--seed", "-1"], "--seed"),
    (["transform", str(A), "--attribute", "note_density", "--amount", "1e308"], "--amount"),
])
def test_numbers_out_of_range_name_their_flag(tiny, tmp_path, capsys, argv, words):
    code = main(argv + ["--out", str(tmp_path / "o"), "--checkpoint", str(tiny)])
    err = capsys.readouterr().err
    assert code == 2 and words in err and err.count("\n") == 1, err


# ----------------------------------------------------------------------------- runs
@pytest.fixture(scope="module")
def beats_data(tmp_path_factory):
    from tests.test_drums import write_beats

    root = tmp_path_factory.mktemp("beats")
    write_beats(root / "beats")
    assert main(["prepare", str(root / "beats"), "--encoding", "drums", "--out", str(root / "data"), "--no-cache",
                 "--workers", "1", "--valid-fraction", "0"]) == 0
    return root / "data"


def test_train_keeps_a_folder_of_the_users_that_holds_no_run(beats_data, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.json").write_text("my summary")
    (mine / "curves.png").write_bytes(b"my picture")
    for extra in ([], ["--overwrite"]):
        code = main(["train", "--data", str(beats_data), "--out", str(mine), "--config", "drums_2bar_tiny",
                     "--steps", "2", "--no-progress", *extra])
        err = capsys.readouterr().err
        assert code == 2 and "holds curves.png, summary.json but no training run" in err and err.count("\n") == 1
    assert (mine / "summary.json").read_text() == "my summary" and (mine / "curves.png").read_bytes() == b"my picture"
    fresh = tmp_path / "never"
    assert main(["train", "--data", str(tmp_path / "nothing"), "--out", str(fresh), "--config", "drums_2bar_tiny"]) == 2
    assert not fresh.exists()  # a run that never started leaves no folder


def test_a_second_training_into_a_busy_run_is_refused(beats_data, tmp_path, capsys):
    import subprocess
    import sys
    import time

    run = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "musicae", "train", "--data", str(beats_data), "--out", str(run),
                              "--config", "drums_2bar_tiny", "--steps", "100000", "--eval-every", "0",
                              "--checkpoint-every", "5", "--no-progress"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.time() + 120
        while not (run / "checkpoints" / "latest").exists() and time.time() < deadline:
            time.sleep(0.2)
        assert (run / "checkpoints" / "latest").exists()
        code = main(["train", "--data", str(beats_data), "--out", str(run), "--resume", "--steps", "100000",
                     "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2 and f"in use by another training (pid {first.pid})" in err and err.count("\n") == 1, err
    finally:
        first.kill()
        first.wait()
    # killed with -9: the OS dropped the lock, and the run resumes (to a step a little past the newest checkpoint)
    step = int((run / "checkpoints" / "latest").read_text().strip().split("-")[-1])
    assert main(["train", "--data", str(beats_data), "--out", str(run), "--resume", "--no-progress",
                 "--steps", str(step + 2)]) == 0


def test_a_failed_rewrite_of_the_log_on_resume_keeps_every_line(beats_data, tmp_path, monkeypatch):
    """--resume drops the log lines after its checkpoint by rewriting the log: atomically, so that a kill or
    a full disk during the rewrite leaves the old log whole (it used to be truncated in place)."""
    from musicae.autoencoding import checkpoint
    from musicae.music.models.training import train_sequence_vae

    run = tmp_path / "run"
    train_sequence_vae(beats_data, run, "drums_2bar_tiny", steps=6, checkpoint_every=4, log_every=1, eval_every=0,
                       progress=False)
    log = run / "metrics.jsonl"
    before = log.read_text()
    assert before.count("\n") >= 6  # steps 5 and 6 are past the checkpoint at 4: the rewrite must drop them

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "fsync", full_disk)
    (run / "checkpoints" / "latest").write_text("step-00000004")
    with pytest.raises(OSError, match="No space left"):
        train_sequence_vae(beats_data, run, None, resume=True, steps=8, progress=False)
    assert log.read_text() == before


# ----------------------------------------------------------------------------- prepare's inputs
def test_odd_names_links_loops_fifos_and_locked_folders_are_each_accounted_for(tmp_path, capsys, monkeypatch):
    from pathlib import Path

    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    (inputs / "locked").mkdir()
    odd = os.fsdecode(b"caf\xe9.mid")  # not UTF-8
    (inputs / odd).write_bytes(A.read_bytes())
    (inputs / "sub" / "b.mid").write_bytes(B.read_bytes())
    (inputs / "locked" / "c.mid").write_bytes(B.read_bytes())
    os.symlink(tmp_path / "elsewhere", inputs / "linked")  # a link to a folder outside the input
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "d.mid").write_bytes(A.read_bytes())
    os.symlink("loop1.mid", inputs / "loop2.mid")
    os.symlink("loop2.mid", inputs / "loop1.mid")
    os.mkfifo(inputs / "pipe.mid")
    real_iterdir = Path.iterdir

    def iterdir(self):  # what a mode-000 folder answers a user who is not root
        if self.name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    out = tmp_path / "out"
    assert main(["prepare", str(inputs), "--out", str(out), "--no-cache", "--workers", "1"]) == 0
    stats = json.loads(capsys.readouterr().out)
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    by_name = {os.path.basename(r["source"]): r for r in records}
    assert by_name[odd]["status"] == "ok"
    assert by_name["d.mid"]["status"] == "ok" and by_name["b.mid"]["status"] == "ok"  # the linked folder is read
    assert by_name["loop1.mid"]["reason"] == by_name["loop2.mid"]["reason"] == "link_loop"
    assert by_name["pipe.mid"]["reason"] == "not_regular" and "FIFO" in by_name["pipe.mid"]["detail"]
    assert by_name["locked"]["reason"] == "unreadable" and "permission denied" in by_name["locked"]["detail"]
    assert stats["items"] == len(records) == 7


def test_a_chunked_upload_stops_at_the_limit(tiny):
    from fastapi.testclient import TestClient

    from musicae.studio.server import create_app

    client = TestClient(create_app(checkpoint=str(tiny), max_upload_mb=0.05), base_url="http://127.0.0.1")
    def body():  # a multipart body with no Content-Length, far past the limit
        yield b'--x\r\nContent-Disposition: form-data; name="a"; filename="a.mid"\r\n\r\n'
        for _ in range(400):
            yield b"\0" * 65536

    response = client.post("/api/similar", content=body(),
                           headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413 and "limit" in response.json()["error"]


def test_long_inputs_are_encoded_and_decoded_in_bounded_batches(tiny):
    """Past BATCH_ROWS rows the work goes batch by batch (a 10^6-note file took 12 GB at once) and gives what
    one batch would; the picture of a 500-bar path draws its first 128 bars."""
    import numpy as np

    from musicae.music.encodings.base import Note
    from musicae.music.inference import render, trained_model

    model = trained_model.TrainedModel.load(tiny)
    rng = np.random.default_rng(0)
    windows = rng.integers(0, 90, (trained_model.BATCH_ROWS * 2 + 7, 32)).astype(np.uint8)
    z = model.encode(windows)
    assert z.shape == (len(windows), 8)
    np.testing.assert_allclose(z[-7:], model.encode(windows[-7:]), atol=1e-5)
    decoded = model.decode(z)
    np.testing.assert_array_equal(decoded[-7:], model.decode(z[-7:]))
    long_row = [Note(60 + i % 12, 2 * i, 2 * i + 2) for i in range(4000)]  # 500 bars
    png = render.piano_roll_png([long_row], ["long"], "a long path")
    assert png[:4] == b"\x89PNG"
    cut, steps, title = render._first_steps([long_row], 16, "a long path")
    assert steps == render.MAX_ROLL_STEPS and title.endswith("(first 128 bars)") and max(n.start for n in cut[0]) < 2048


@pytest.mark.parametrize("edit, words", [("tiny", "apart; a beat is at least 10 ms"), ("nan", "not a finite number")])
def test_pop909_beats_too_close_or_not_numbers_are_bad_annotations(tmp_path, edit, words):
    """Beats 1 µs apart once made a song of billions of steps (a MemoryError of 5-7 GiB, reported as
    `internal`); a `nan` beat time was taken."""
    from musicae.music.data.prepare import PrepareOptions, prepare
    from tests.midi_bytes import notes_file

    song = tmp_path / "001"
    song.mkdir()
    (song / "001.mid").write_bytes(notes_file([[(60 + i % 5, 2 * i, 2 * i + 2) for i in range(64)]]))
    beats = [f"{i * (1e-6 if edit == 'tiny' else 0.5):.9f}\t1.0\t{1.0 if i % 4 == 0 else 0.0}" for i in range(64)]
    if edit == "nan":
        beats[3] = "nan\t1.0\t0.0"
    (song / "beat_midi.txt").write_text("\n".join(beats) + "\n")
    (song / "chord_midi.txt").write_text("0.0\t100.0\tC:maj\n")
    stats = prepare([song], tmp_path / "d", PrepareOptions(encoding="melody_chords", workers=1, progress=False,
                                                            use_cache=False))
    record = json.loads((tmp_path / "d" / "manifest.jsonl").read_text().splitlines()[0])
    assert stats["by_reason"] == {"bad_annotation": 1} and words in record["detail"], record


def test_an_abc_file_over_the_size_limit_is_reported_not_read(tmp_path, capsys):
    big = tmp_path / "big.abc"
    big.write_text("".join(f"X:{i}\nT:t\nM:4/4\nL:1/8\nK:C\nCDEF GABc|\n" for i in range(40000)))  # 1.4 MB
    code = main(["prepare", str(big), "--out", str(tmp_path / "d"), "--max-file-mb", "1", "--no-cache",
                 "--workers", "1"])
    captured = capsys.readouterr()
    assert code == 1 and "'too_large': 1" in captured.err.splitlines()[-1], captured.err


def test_a_killed_drivers_workers_and_temporaries_do_not_stay(tmp_path):
    """kill -9 of prepare's driver used to leave its pool workers blocked for good, and a hidden temporary
    beside --out; the workers now follow their parent, and the next run removes a dead process's leftovers."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    from musicae.autoencoding.checkpoint import remove_stale_temporaries

    code = ("from musicae.music.data.executors import local_results; import time; "
            "list(local_results(time.sleep, [60] * 4, 2))")
    driver = subprocess.Popen([sys.executable, "-c", code])
    children = Path(f"/proc/{driver.pid}/task/{driver.pid}/children")
    deadline = time.time() + 60
    while time.time() < deadline and len(children.read_text().split()) < 2:
        time.sleep(0.1)
    workers = [int(p) for p in children.read_text().split()]
    assert len(workers) >= 2
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    deadline = time.time() + 15
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() and
                                         "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2] for w in workers):
        time.sleep(0.2)
    assert not any(Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]
                   for w in workers)
    host = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".data.{host}-{dead.pid}.abc.tmp"
    live = tmp_path / f".data.{host}-{os.getpid()}.abc.tmp"
    other = tmp_path / f".data.elsewhere-{dead.pid}.abc.tmp"
    for folder in (stale, live, other):
        folder.mkdir()
    assert remove_stale_temporaries(tmp_path, "data") == [stale]
    assert not stale.exists() and live.exists() and other.exists()


def test_a_huge_progression_is_refused_at_once(tmp_path, capsys):
    from fastapi.testclient import TestClient

    from musicae.studio.server import create_app

    cfg = get_config("mel_2bar_chords_tiny")
    save_model(tmp_path / "chords", SequenceVAE(cfg), model_record(cfg))
    client = TestClient(create_app(checkpoint=str(tmp_path / "chords")), base_url="http://127.0.0.1")
    huge = " ".join(["C", "G", "Am", "F"] * 1250)  # 5,000 chords ran past 120 s at about 1 GB
    response = client.post("/api/sample", data={"n": "1", "chords": huge})
    assert response.status_code == 400 and "at most 256 chords" in response.json()["error"]
    code = main(["sample", "--checkpoint", str(tmp_path / "chords"), "--chords", huge, "--out", str(tmp_path / "s")])
    assert code == 2 and "at most 256 chords" in capsys.readouterr().err


def test_random_form_fields_never_get_a_500(studio):
    """A seeded fuzz of the studio's form fields: every answer is a 200, or a 4xx with {"error"}."""
    import random

    rng = random.Random(5)
    values = ["", "0", "-1", "1", "3", "17", "nan", "inf", "-inf", "1e308", str(10**30), "abc", "0x10", " 2 ",
              "C G Am F", "H", "\x00", "example a", "beat: funk", "../../etc/passwd", "custom", "mel_2bar_folk"]
    endpoints = {"/api/interpolate": ["steps", "temperature", "seed", "model", "chords", "example_a", "example_b"],
                 "/api/sample": ["n", "temperature", "seed", "model", "chords"],
                 "/api/similar": ["n", "similarity", "seed", "model", "example_a"],
                 "/api/transform": ["model", "example_a", "amount_note_density"],
                 "/api/groove": ["model", "temperature", "seed", "example_a"]}
    for _ in range(120):
        path = rng.choice(list(endpoints))
        form = {field: rng.choice(values) for field in endpoints[path] if rng.random() < 0.7}
        response = studio.post(path, data=form)
        assert response.status_code == 200 or (400 <= response.status_code < 500 and "error" in response.json()), \
            (path, form, response.status_code, response.text[:200])


def test_an_abc_error_names_no_server_path(studio, monkeypatch):
    import sys
    import types

    class Score:  # symusic's Score is frozen: the studio is given one whose ABC route fails with a path
        @staticmethod
        def from_abc(text):
            raise RuntimeError("abc2midi failed: /opt/site-packages/symusic/bin/abc2midi: bad note in line 3")

    monkeypatch.setitem(sys.modules, "symusic", types.SimpleNamespace(Score=Score))
    response = studio.post("/api/similar", files={"a": ("tune.abc", b"X:1\nK:C\nCDE|\n", "text/plain")})
    assert response.status_code == 400 and "/opt/" not in response.text and "<path>" in response.json()["error"]


def test_an_output_folder_never_mixes_runs_nor_replaces_a_users_file(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    sample = ["sample", "--checkpoint", str(tiny), "--out", str(out), "--no-png"]
    assert main(sample + ["-n", "4"]) == 0
    assert main(sample + ["-n", "2"]) == 0  # the second run replaces the first one's files, not beside them
    capsys.readouterr()
    assert sorted(p.name for p in out.glob("*.mid")) == ["model-s0-sample_00.mid", "model-s0-sample_01.mid"]
    assert main(["interpolate", str(A), str(B), "--steps", "2", "--no-wav", "--no-png", "--checkpoint", str(tiny),
                 "--out", str(out)]) == 0
    assert not list(out.glob("*sample_*.mid")) and (out / "notes.txt").read_text() == "mine"
    # a file of the user's named as an output is refused, and left as it was
    path_mid = out / f"{file_stem([A, B], tiny, 0)}-path.mid"
    path_mid.unlink()
    path_mid.write_text("my own path")
    assert main(["interpolate", str(A), str(B), "--steps", "2", "--no-wav", "--checkpoint", str(tiny),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "path.mid: exists and was not written by musicae" in err and len(err.strip().splitlines()) == 1
    assert path_mid.read_text() == "my own path" and (out / "notes.txt").read_text() == "mine"
