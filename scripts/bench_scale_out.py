"""Scale-out figures: training with 1 and 2 processes (torchrun, gloo), prepare on the local pool and on
1 and 2 Dask workers, and the prepare driver's peak memory against the size of the tree.

Each part prints one JSON line. Trees of N files are made by copying real MIDI files (the folk corpus
through abc2midi) under new names.

Usage: python scripts/bench_scale_out.py [--train-steps 30] [--files 2000] [--trees 10000 30000 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def run(command: list[str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, env=ENV)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return done


def training(data: Path, steps: int, work: Path) -> dict:
    """Global batch 128 of mel_2bar_cpu, 1 thread per process."""
    result = {"part": "train", "config": "mel_2bar_cpu", "global_batch": 128, "steps": steps}
    for processes in (1, 2):
        out = work / f"train{processes}"
        command = ["-m", "musicae", "train", "--data", str(data), "--out", str(out), "--steps", str(steps),
                   "--eval-every", "0", "--checkpoint-every", str(steps), "--device", "cpu", "--no-progress"]
        prefix = [sys.executable] if processes == 1 else [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                                          f"--nproc-per-node={processes}"]
        summary = json.loads(run(prefix + command).stdout)
        result[f"windows_per_second_{processes}_process"] = summary["examples_per_second"]
    result["speedup"] = round(result["windows_per_second_2_process"] / result["windows_per_second_1_process"], 2)
    return result


def tree(source: list[Path], count: int, root: Path) -> Path:
    folder = root / f"tree{count}"
    for i in range(count):
        sub = folder / f"{i // 1000:04d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source[i % len(source)], sub / f"{i:07d}.mid")
    return folder


PREPARE_CHILD = """
import json, resource, sys, time
from pathlib import Path
from musicae.music.data.prepare import PrepareOptions, prepare
started = time.time()
stats = prepare([sys.argv[1]], Path(sys.argv[2]), PrepareOptions(workers=int(sys.argv[3]), executor=sys.argv[4],
                use_cache=False, progress=False))
print(json.dumps({"files_per_second": round(stats["items"] / (time.time() - started), 1), "items": stats["items"],
                  "windows": stats["windows"],
                  "driver_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def prepare_run(folder: Path, out: Path, workers: int, executor: str) -> dict:
    return json.loads(run([sys.executable, "-c", PREPARE_CHILD, str(folder), str(out), str(workers), executor]).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/prepared/folk-any"))
    parser.add_argument("--train-steps", type=int, default=30)
    parser.add_argument("--files", type=int, default=2000, help="tree size for the executor comparison")
    parser.add_argument("--trees", type=int, nargs="*", default=[10000, 30000, 100000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    try:
        if args.train_steps:
            print(json.dumps(training(args.data, args.train_steps, work)), flush=True)
        seeds = work / "seeds"
        sources = sorted(_folk_midi(seeds))
        folder = tree(sources, args.files, work)
        line = {"part": "prepare", "files": args.files}
        for name, workers, executor in (("pool_1", 1, "local"), ("pool_2", 2, "local"), ("dask_1", 1, "dask"),
                                        ("dask_2", 2, "dask")):
            line[name] = prepare_run(folder, work / f"out_{name}", workers, executor)["files_per_second"]
        print(json.dumps(line), flush=True)
        shutil.rmtree(folder)
        for count in args.trees:
            folder = tree(sources, count, work)
            print(json.dumps({"part": "driver_memory", "files": count,
                              **prepare_run(folder, work / "out_tree", 2, "local")}), flush=True)
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _folk_midi(folder: Path, count: int = 400) -> list[Path]:
    """Real single-track MIDI files: folk tunes of the bundled corpus written out by abc2midi (symusic)."""
    import symusic

    from musicae.music.data.inputs import FOLK_COLLECTIONS, _quiet_fds, folk_corpus_dir, split_abc_tunes

    folder.mkdir(parents=True, exist_ok=True)
    header, tunes = split_abc_tunes((folk_corpus_dir() / FOLK_COLLECTIONS[1] / "0001-0050.abc").read_text("latin-1"))
    paths = []
    for index, tune in enumerate(tunes[:count]):
        try:
            with _quiet_fds():
                score = symusic.Score.from_abc(header + tune)
            path = folder / f"{index:04d}.mid"
            score.dump_midi(str(path))
            paths.append(path)
        except Exception:
            continue
    return paths


if __name__ == "__main__":
    main()
