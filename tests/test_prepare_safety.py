"""`prepare` never destroys what it did not write, survives a damaged cache, and gives every odd input a
real reason; shards are checked when a dataset is opened."""

import json
import os
import shutil

import numpy as np
import pytest
from midi_bytes import one_note

from musicae.cli import main
from musicae.music.data.prepare import PrepareOptions, load_windows, prepare


def options(tmp_path, **kw):
    return PrepareOptions(cache_dir=tmp_path / "cache", progress=False, workers=1, **kw)


@pytest.fixture
def collection(tmp_path, folk_midi_dir):
    """DIR/midi with a few tunes, and a file of the user's own in DIR."""
    root = tmp_path / "music"
    (root / "midi").mkdir(parents=True)
    for p in sorted(folk_midi_dir.glob("*.mid"))[:5]:
        shutil.copy(p, root / "midi" / p.name)
    (root / "notes.txt").write_text("my notes")
    return root


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("out", ["parent", "same", "foreign", "file"])
def test_an_out_that_holds_inputs_or_other_files_is_refused(collection, tmp_path, capsys, out):
    target = {"parent": collection, "same": collection / "midi", "foreign": collection,
              "file": collection / "notes.txt"}[out]
    inputs = [collection / "midi"] if out != "foreign" else [tmp_path / "elsewhere.mid"]
    if out == "foreign":
        shutil.copy(next((collection / "midi").iterdir()), inputs[0])
    before = snapshot(collection)
    code = main(["prepare", *map(str, inputs), "--out", str(target), "--workers", "1", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--out" in err
    assert snapshot(collection) == before  # nothing deleted, nothing hidden as .NAME.old
    assert not list(collection.parent.glob(".*"))


def test_prepare_replaces_only_its_own_dataset_and_a_failed_run_keeps_it(collection, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["prepare", str(collection / "midi"), "--out", str(out), "--workers", "1", "--no-cache"]) == 0
    good = snapshot(out)
    assert json.loads((out / "stats.json").read_text())["windows"] > 0
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.mid").write_bytes(b"not midi")
    capsys.readouterr()
    assert main(["prepare", str(tmp_path / "junk"), "--out", str(out), "--workers", "1", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "kept as it was" in err
    assert snapshot(out) == good
    # re-running over its own dataset is fine
    assert main(["prepare", str(collection / "midi"), "--out", str(out), "--workers", "1", "--no-cache"]) == 0


def test_stats_are_written_inside_the_atomic_directory(collection, tmp_path, monkeypatch):
    from musicae.music.data import writer as dataset_writer

    seen = {}
    real = dataset_writer.replace_dir

    def watching(tmp, target):
        seen["stats"] = json.loads((tmp / "stats.json").read_text())  # just before the rename
        return real(tmp, target)
    monkeypatch.setattr(dataset_writer, "replace_dir", watching)
    stats = prepare([collection / "midi"], tmp_path / "out", options(tmp_path))
    assert "seconds" in seen["stats"] and seen["stats"] == stats
    assert json.loads((tmp_path / "out" / "stats.json").read_text()) == stats


def test_a_dangling_symlink_and_a_fifo_are_accounted_for(collection, tmp_path):
    os.symlink(tmp_path / "gone.mid", collection / "midi" / "link.mid")
    os.mkfifo(collection / "midi" / "pipe.mid")
    stats = prepare([collection / "midi"], tmp_path / "out", options(tmp_path))
    manifest = {json.loads(line)["source"]: json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").open()}
    link = manifest[str(collection / "midi" / "link.mid")]
    assert link["reason"] == "missing" and "broken symbolic link" in link["detail"]
    fifo = manifest[str(collection / "midi" / "pipe.mid")]
    assert "FIFO" in fifo["detail"] and "no such file" not in fifo["detail"]
    assert stats["ok"] + stats["skipped"] + stats["error"] == stats["items"] == 7


def test_a_damaged_cache_entry_is_recomputed(collection, tmp_path):
    first = prepare([collection / "midi"], tmp_path / "a", options(tmp_path))
    entries = sorted((tmp_path / "cache").glob("*.npz"))
    assert len(entries) == 5
    entries[0].write_bytes(b"")  # empty
    entries[1].write_bytes(entries[1].read_bytes()[:50])  # truncated
    entries[2].write_bytes(b"PK\x03\x04 not really a zip")
    second = prepare([collection / "midi"], tmp_path / "b", options(tmp_path))
    assert second["windows"] == first["windows"] > 0 and second["by_reason"] == first["by_reason"]
    np.testing.assert_array_equal(load_windows(tmp_path / "a", "all"), load_windows(tmp_path / "b", "all"))


def test_an_unwritable_cache_warns_once_and_goes_on(collection, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    stats = prepare([collection / "midi"], tmp_path / "out", PrepareOptions(cache_dir=blocker / "cache", progress=False,
                                                                              workers=2))
    assert stats["items"] == 5 and stats["windows"] > 0
    assert capsys.readouterr().err.count("not writable") == 1


@pytest.mark.parametrize("name, data, reason", [
    pytest.param("huge_note", one_note(division=1, length=2**24), "too_long", id="huge_note"),
    pytest.param("zero_division", one_note(division=0), "bad_timing", id="zero_division"),
    pytest.param("zero_tempo", one_note(tempo=0), "bad_timing", id="zero_tempo"),
    pytest.param("smpte", one_note(division=0xE728), "bad_timing", id="smpte"),
])
def test_hostile_midi_gets_a_real_reason(tmp_path, name, data, reason):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"{name}.mid").write_bytes(data)
    prepare([tmp_path / "in"], tmp_path / "out", options(tmp_path))
    (record,) = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").open()]
    assert record["reason"] == reason, record


def test_encode_reports_malformed_files_and_goes_on(tmp_path, capsys, folk_midi_dir):
    good = sorted(folk_midi_dir.glob("*.mid"))[0]
    bad = []
    for name, data in (("zero.mid", one_note(division=0)), ("tempo.mid", one_note(tempo=0)),
                       ("smpte.mid", one_note(division=0xE728))):
        (tmp_path / name).write_bytes(data)
        bad.append(tmp_path / name)
    code = main(["encode", *map(str, bad), str(good), "--out", str(tmp_path / "z")])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    result = json.loads(out)
    assert len(result["failed"]) == 3 and result["out"] == str(tmp_path / "z.npy")
    assert np.load(tmp_path / "z.npy").shape[0] == result["shape"][0] > 0
    sources = json.loads((tmp_path / "z.json").read_text())["windows"]
    assert {s["source"] for s in sources} == {str(good)}


@pytest.mark.parametrize("shard, message", [
    (np.full((4, 32), 95, np.uint8), "holds 95"),
    (np.full((4, 32), -1, np.int16), "holds -1"),
    (np.zeros(32, np.uint8), "1-D array"),
    (np.zeros((2, 4, 32), np.uint8), "3-D array"),
    (np.full((4, 32), 2.5), "holds 2.5"),
    (np.zeros((4, 16), np.uint8), "rows of shape"),
])
def test_bad_shards_are_refused_when_the_dataset_opens(tmp_path, collection, capsys, shard, message):
    prepare([collection / "midi"], tmp_path / "data", options(tmp_path, valid_fraction=0.3))
    np.save(tmp_path / "data" / "valid-notes-00000.npy", shard)
    with pytest.raises(ValueError, match=message):
        load_windows(tmp_path / "data", "all")
    code = main(["train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"), "--config", "mel_2bar_tiny",
                 "--steps", "2", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "valid-notes-00000.npy" in err and err.count("\n") == 1


def test_a_collection_gets_the_same_split_wherever_it_lies(folk_midi_dir, tmp_path, monkeypatch):
    """The split hashes each file's path below the folder given, not the folder's own place: the collection
    copied elsewhere, or named by an absolute or a relative path, holds out the same tunes."""
    here, there = tmp_path / "here" / "songs", tmp_path / "elsewhere" / "deeper" / "tunes"
    for folder in (here, there):
        shutil.copytree(folk_midi_dir, folder / "folk")
    monkeypatch.chdir(tmp_path / "here")

    def held_out(source, out):
        prepare([source], tmp_path / out, options(tmp_path, valid_fraction=0.3, use_cache=False))
        records = [json.loads(line) for line in (tmp_path / out / "manifest.jsonl").read_text().splitlines()]
        assert all("split_key" not in r for r in records)
        return sorted(os.path.relpath(r["source"], source) for r in records if r.get("split") == "valid")

    relative = held_out("songs", "a")
    assert 0 < len(relative) < len(list(folk_midi_dir.glob("*.mid")))
    assert held_out(str(here), "b") == relative
    assert held_out(str(there), "c") == relative
