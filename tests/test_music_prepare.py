import json
import shutil

import numpy as np
import pytest

from musicae.music.data import inputs
from musicae.music.data import prepare as prep
from musicae.music.data.inputs import folk_corpus_files
from musicae.music.data.prepare import PrepareOptions, load_windows, prepare
from musicae.music.encodings.melody_extraction import ExtractOptions

ABC = """%abc header line
M:4/4
L:1/8

X:1
T:Good reel
K:D
|:DFAF dFAF|GBdB gBdB|AFDF AFDF|E2FG AGFE:|
|:defd edcB|AFDF GBAG|FAdf ecAc|d2fd d4:|

X:2
T:Waltz, 3/4 only
M:3/4
K:G
GAB c2d|e2d cBA|GAB c2d|e6|

X:3
T:Broken
K:G
Z!!%%%(((( 3/4 |: [[[
"""


@pytest.fixture
def batch(tmp_path, folk_midi_dir):
    inputs = tmp_path / "inputs"
    (inputs / "nested").mkdir(parents=True)
    good = sorted(folk_midi_dir.glob("*.mid"))[:6]
    for p in good:
        shutil.copy(p, inputs / "nested" / p.name)
    data = good[0].read_bytes()
    (inputs / "truncated.mid").write_bytes(data[: len(data) // 2])
    (inputs / "empty.mid").write_bytes(b"")
    (inputs / "notmidi.mid").write_bytes(b"<html>this is a web page</html>")
    (inputs / "huge.mid").write_bytes(b"MThd" + b"\0" * 3_000_000)
    (inputs / "tunes.abc").write_text(ABC)
    return inputs, len(good)


def options(tmp_path, **kw):
    return PrepareOptions(cache_dir=tmp_path / "cache", progress=False, max_file_mb=2.0, **kw)


def read_manifest(out):
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_every_item_is_accounted_for(tmp_path, batch):
    inputs, n_good = batch
    out = tmp_path / "out"
    stats = prepare([inputs, tmp_path / "missing.mid"], out, options(tmp_path, workers=2))
    manifest = read_manifest(out)
    # files: 6 good + 4 bad MIDI + 3 ABC tunes + 1 missing path
    assert stats["items"] == len(manifest) == n_good + 4 + 3 + 1
    assert stats["ok"] + stats["skipped"] + stats["error"] == stats["items"]
    by_source = {r["source"].split("/")[-1]: r for r in manifest}
    assert by_source["truncated.mid"]["status"] == "error" and by_source["truncated.mid"]["reason"] == "corrupt"
    assert by_source["empty.mid"]["reason"] == "empty_file"
    assert by_source["notmidi.mid"]["reason"] == "not_midi"
    assert by_source["huge.mid"]["reason"] == "too_large"
    assert by_source["missing.mid"]["reason"] == "missing"
    assert by_source["tunes.abc#X:1"]["status"] == "ok" and by_source["tunes.abc#X:1"]["windows"] > 0
    assert by_source["tunes.abc#X:2"]["status"] == "skipped" and by_source["tunes.abc#X:2"]["reason"] == "meter"
    assert by_source["tunes.abc#X:3"]["status"] in ("error", "skipped")
    for record in manifest:
        assert record["status"] in ("ok", "skipped", "error")
        assert (record["status"] == "ok") == (record["windows"] > 0)
        if record["status"] != "ok":
            assert record["reason"] and "\n" not in record["detail"]
    assert sum(stats["by_reason"].values()) == stats["skipped"] + stats["error"]
    train, valid = load_windows(out, "train"), load_windows(out, "valid")
    assert train.dtype == np.uint8 and train.shape[1] == 32
    assert len(train) == stats["train_windows"] and len(valid) == stats["valid_windows"]
    assert len(load_windows(out, "all")) == stats["windows"]


def test_split_is_by_source(tmp_path, folk_midi_dir):
    out = tmp_path / "out"
    stats = prepare([folk_midi_dir], out, options(tmp_path, workers=1, valid_fraction=0.3))
    manifest = [r for r in read_manifest(out) if r["status"] == "ok"]
    splits = {r["split"] for r in manifest}
    assert splits == {"train", "valid"}
    train_sources = sum(r["windows"] for r in manifest if r["split"] == "train")
    assert stats["train_windows"] == train_sources
    valid_windows = load_windows(out, "valid")
    train_set = {w.tobytes() for w in load_windows(out, "train")}
    assert not any(w.tobytes() in train_set for w in valid_windows)


def test_rerun_uses_the_cache(tmp_path, folk_midi_dir, monkeypatch):
    first = prepare([folk_midi_dir], tmp_path / "a", options(tmp_path, workers=1))
    assert list((tmp_path / "cache").glob("*.npz"))

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again despite the cache")

    monkeypatch.setattr(prep, "process_unit", no_parsing)
    second = prepare([folk_midi_dir], tmp_path / "b", options(tmp_path, workers=1))
    for key in ("items", "ok", "windows", "train_windows", "valid_windows"):
        assert first[key] == second[key]
    np.testing.assert_array_equal(load_windows(tmp_path / "a", "all"), load_windows(tmp_path / "b", "all"))


def test_failed_write_keeps_previous_dataset(tmp_path, folk_midi_dir, monkeypatch):
    out = tmp_path / "out"
    stats = prepare([folk_midi_dir], out, options(tmp_path, workers=1))
    before = load_windows(out, "all")

    def failing_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(prep.np, "save", failing_save)
    with pytest.raises(OSError):
        prepare([folk_midi_dir], out, options(tmp_path, workers=1, extract=ExtractOptions(bars=16)))
    monkeypatch.undo()
    np.testing.assert_array_equal(load_windows(out, "all"), before)
    assert json.loads((out / "stats.json").read_text())["windows"] == stats["windows"]
    assert not list(tmp_path.glob(".out.*"))


def test_folk_corpus_is_found_and_its_abc_parses(tmp_path):
    files = folk_corpus_files()
    collections = {f.label.split("/")[0] for f in files}
    assert collections == {"music21:essenFolksong", "music21:oneills1850", "music21:ryansMammoth"}
    one = next(f for f in files if f.path.name == "0001-0050.abc")
    results = prep.process_unit(prep.Unit(one, 0, 50), options(tmp_path))
    assert len(results) == 50
    assert sum(r["status"] == "ok" for r, _ in results) >= 10
    assert sum(r["status"] == "error" for r, _ in results) == 0


def test_music21_abc_route_agrees_roughly_with_abc2midi(tmp_path):
    files = folk_corpus_files()
    one = next(f for f in files if f.path.name == "0001-0050.abc")
    fast = prep.process_unit(prep.Unit(one, 0, 10), options(tmp_path))
    slow = prep.process_unit(prep.Unit(one, 0, 10), options(tmp_path, abc_parser="music21"))
    fast_ok = {r["source"] for r, _ in fast if r["status"] == "ok"}
    slow_ok = {r["source"] for r, _ in slow if r["status"] == "ok"}
    assert fast_ok and len(fast_ok & slow_ok) >= 0.7 * len(fast_ok)


@pytest.mark.slow
def test_whole_folk_corpus(tmp_path):
    stats = prepare([], tmp_path / "folk", options(tmp_path), folk=True)
    assert stats["items"] > 11000 and stats["error"] < 20 and stats["windows"] > 30000


def test_abc_units_carry_their_tunes_and_never_read_their_file_again(tmp_path, monkeypatch):
    """Issue 26 item 18: a large ABC file was read and split again by each of its units (cost growing with the
    square of its size); now it is split once, when the work is planned."""
    tunes = "".join(f"X:{i}\nT:tune {i}\nM:4/4\nL:1/8\nK:C\nCDEF GABc|cBAG FEDC|CDEF GABc|c4 c4|\n\n" for i in range(450))
    path = tmp_path / "many.abc"
    path.write_text(tunes)
    files, _ = inputs.discover([path])
    units, failed = prep.plan_units(files)
    assert not failed and [(u.first_tune, len(u.tunes)) for u in units] == [(0, 200), (200, 200), (400, 50)]

    def no_second_read(*args, **kwargs):
        raise AssertionError("a unit read its ABC file again")

    monkeypatch.setattr(prep, "read_abc", no_second_read)
    results = [r for unit in units for r in prep.process_unit(unit, options(tmp_path))]
    assert len(results) == 450 and all(record["status"] == "ok" for record, _ in results)
    assert results[-1][0]["source"].endswith("#X:449")  # the last tune, named by its own X: line
