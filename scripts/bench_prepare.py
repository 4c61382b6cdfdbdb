"""Preprocessing throughput: this pipeline vs the plain note-seq path, on the same MIDI files.

Corpus: MIDI files under DIR if given; otherwise built here from the folk corpus (one tune per file)
plus multi-track files (12 tunes layered as 12 instruments and a drum track, as in band/orchestral
MIDI, where parsing costs most). Prints one JSON line per corpus part and a summary line.

Usage: python scripts/bench_prepare.py [--midi-dir DIR] [--single N] [--multi N] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from musicae.music.data.inputs import _quiet_fds, folk_corpus_files, read_abc, split_abc_tunes
from musicae.music.data.prepare import PrepareOptions, prepare
from musicae.music.encodings.melody_extraction import reference_windows_from_midi


def folk_scores(limit: int):
    import symusic

    scores = []
    for f in folk_corpus_files():
        if f.path.parent.name != "oneills1850":  # 4/4 and 2/2 reels and hornpipes: melodies come out
            continue
        header, tunes = split_abc_tunes(read_abc(f.path))
        for tune in tunes:
            try:
                with _quiet_fds():
                    scores.append(symusic.Score.from_abc(header + tune))
            except Exception:
                continue
            if len(scores) >= limit:
                return scores
    return scores


def build_corpus(root: Path, single: int, multi: int) -> tuple[list[Path], list[Path]]:
    import symusic

    scores = folk_scores(single + 12)
    singles = []
    for i, score in enumerate(scores[:single]):
        path = root / "single" / f"tune_{i:04d}.mid"
        path.parent.mkdir(parents=True, exist_ok=True)
        score.dump_midi(str(path))
        singles.append(path)
    multis = []
    rng = np.random.default_rng(0)
    for i in range(multi):
        base = scores[i % len(scores)].copy()
        for layer in range(1, 12):
            other = scores[(i + 7 * layer) % len(scores)]
            for track in other.tracks:
                copy = track.copy()
                copy.program = int(rng.integers(0, 100))
                copy.shift_pitch(int(rng.integers(-12, 13)), inplace=True)
                base.tracks.append(copy)
        drums = symusic.Track("drums", 0, True)
        end = base.end()
        for t in range(0, end, base.ticks_per_quarter // 2):
            drums.notes.append(symusic.Note(t, base.ticks_per_quarter // 4, 36 + 2 * ((t // base.ticks_per_quarter) % 3), 90))
        base.tracks.append(drums)
        path = root / "multi" / f"band_{i:04d}.mid"
        path.parent.mkdir(parents=True, exist_ok=True)
        base.dump_midi(str(path))
        multis.append(path)
    return singles, multis


def time_ours(files: list[Path], workers: int, scratch: Path) -> tuple[float, int]:
    options = PrepareOptions(workers=workers, use_cache=False, progress=False, valid_fraction=0.0)
    start = time.perf_counter()
    stats = prepare(files, scratch / f"ours-{workers}", options)
    return time.perf_counter() - start, stats["windows"]


def time_note_seq(files: list[Path]) -> tuple[float, int, list[np.ndarray]]:
    start = time.perf_counter()
    out = [reference_windows_from_midi(p) for p in files]
    return time.perf_counter() - start, sum(len(w) for w in out), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--midi-dir", type=Path)
    parser.add_argument("--single", type=int, default=400)
    parser.add_argument("--multi", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        if args.midi_dir:
            parts = {"given": sorted(p for p in args.midi_dir.rglob("*") if p.suffix.lower() in (".mid", ".midi"))}
        else:
            singles, multis = build_corpus(scratch / "corpus", args.single, args.multi)
            parts = {"single_track_folk": singles, "multi_track_13": multis}
        summary = {}
        for name, files in parts.items():
            ref_seconds, ref_windows, ref_out = time_note_seq(files)
            from musicae.music.encodings.melody_extraction import windows_from_midi

            same = all(np.array_equal(windows_from_midi(p), w) for p, w in zip(files, ref_out))
            row = {"bench": "prepare", "part": name, "files": len(files),
                   "notes_per_file": None,
                   "note_seq": {"seconds": round(ref_seconds, 3), "files_per_s": round(len(files) / ref_seconds, 1),
                                "windows_per_s": round(ref_windows / ref_seconds, 1), "windows": ref_windows},
                   "same_windows_as_note_seq": same}
            import symusic

            row["notes_per_file"] = round(float(np.mean([symusic.Score(str(p)).note_num() for p in files[:50]])), 1)
            for workers in args.workers:
                seconds, windows = time_ours(files, workers, scratch)
                row[f"musicae_workers_{workers}"] = {
                    "seconds": round(seconds, 3), "files_per_s": round(len(files) / seconds, 1),
                    "windows_per_s": round(windows / seconds, 1), "windows": windows,
                    "speedup_vs_note_seq": round(ref_seconds / seconds, 1),
                }
            print(json.dumps(row), flush=True)
            summary[name] = row
        print(json.dumps({"bench": "prepare_summary", **{k: {w: v[w]["speedup_vs_note_seq"] for w in v if w.startswith("musicae")}
                                                         for k, v in summary.items()}}))


if __name__ == "__main__":
    main()
