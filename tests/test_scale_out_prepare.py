"""prepare on a Dask cluster gives the local pool's dataset, and the writer streams shards."""

import json

import numpy as np
import pytest

from musicae.cli import main
from musicae.music.data.prepare import PrepareOptions, load_windows, prepare
from musicae.music.data.writer import DatasetWriter, write_dataset


def snapshot(folder):
    stats = json.loads((folder / "stats.json").read_text())
    for key in ("seconds", "items_per_second"):
        stats.pop(key, None)
    return {"stats": stats, "manifest": (folder / "manifest.jsonl").read_text(),
            "train": load_windows(folder, "train").tobytes(), "valid": load_windows(folder, "valid").tobytes()}


def test_a_local_dask_cluster_of_two_workers_gives_the_pools_dataset(folk_midi_dir, tmp_path):
    pytest.importorskip("dask.distributed")
    common = dict(progress=False, use_cache=True, cache_dir=tmp_path / "cache", valid_fraction=0.3)
    pool = prepare([folk_midi_dir], tmp_path / "pool", PrepareOptions(workers=2, **common))
    assert pool["windows"] > 100
    on_dask = prepare([folk_midi_dir], tmp_path / "dask",
                      PrepareOptions(workers=2, executor="dask", **{**common, "cache_dir": tmp_path / "cache2"}))
    assert on_dask["windows"] == pool["windows"]
    assert snapshot(tmp_path / "dask") == snapshot(tmp_path / "pool")
    # the per-file cache is honoured on the workers: the second dask run reads what the first wrote
    cached = sorted((tmp_path / "cache2").glob("*.npz"))
    assert len(cached) == pool["items"]
    before = {p: p.stat().st_mtime_ns for p in cached}
    prepare([folk_midi_dir], tmp_path / "dask", PrepareOptions(workers=2, executor="dask",
                                                               **{**common, "cache_dir": tmp_path / "cache2"}))
    assert {p: p.stat().st_mtime_ns for p in cached} == before
    assert snapshot(tmp_path / "dask") == snapshot(tmp_path / "pool")


def test_an_unreachable_scheduler_is_one_line(folk_midi_dir, tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    code = main(["prepare", str(folk_midi_dir), "--out", str(tmp_path / "o"), "--executor", "dask",
                 "--scheduler", "tcp://127.0.0.1:9", "--no-cache"])
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress bar
    assert code == 2 and err.startswith("musicae prepare: error: --scheduler tcp://127.0.0.1:9: cannot reach"), err
    assert not (tmp_path / "o").exists()
    assert main(["prepare", str(folk_midi_dir), "--out", str(tmp_path / "o"), "--scheduler", "tcp://x:1"]) == 2
    assert "--executor dask" in capsys.readouterr().err


def test_the_writer_streams_small_shards_and_drops_held_out_windows_seen_in_training(tmp_path):
    rng = np.random.default_rng(0)
    options = PrepareOptions(valid_fraction=0.5)
    shared = rng.integers(0, 90, (3, 32), dtype=np.uint8)
    results = []
    for i in range(40):
        windows = rng.integers(0, 90, (int(rng.integers(1, 9)), 32), dtype=np.uint8)
        if i % 3 == 0:
            windows = np.concatenate([windows, shared])
        results.append(({"source": f"file{i}.mid", "status": "ok", "reason": None, "detail": "", "windows": len(windows)},
                        windows))
    whole = write_dataset(tmp_path / "whole", [(dict(r), w) for r, w in results], options)
    writer = DatasetWriter(tmp_path / "streamed", options, shard_size=10)
    for record, windows in results:
        writer.add(dict(record), windows)
    streamed = writer.finish()
    assert streamed == whole and whole["valid_windows_seen_in_train_removed"] > 0
    assert len(list((tmp_path / "streamed").glob("train-*.npy"))) == -(-whole["train_windows"] // 10)
    for split in ("train", "valid"):
        np.testing.assert_array_equal(load_windows(tmp_path / "streamed", split), load_windows(tmp_path / "whole", split))
    train = {w.tobytes() for w in load_windows(tmp_path / "whole", "train")}
    assert not any(w.tobytes() in train for w in load_windows(tmp_path / "whole", "valid"))
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary folder left behind
