"""How well chords inferred from an accompaniment match annotated ones: POP909's PIANO and BRIDGE tracks
against its chord_midi.txt, step by step on the annotated beat grid (steps where the annotation has a chord).

Prints one JSON line: exact triad accuracy, root accuracy, and the same for a baseline that always answers
the song's most frequent annotated chord.

Usage: python scripts/bench_chord_inference.py [--pop909 ../shared/data/pop909] [--songs 100]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pretty_midi

from musicae.music.annotated import BEATS, CHORDS, beat_grid, chord_steps, seconds_to_steps
from musicae.music.chords import infer_chords


def song(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(inferred, annotated) chord classes per step."""
    beats, _ = beat_grid(folder / BEATS)
    midi = pretty_midi.PrettyMIDI(str(folder / f"{folder.name}.mid"))
    notes = [n for inst in midi.instruments if inst.name.strip().upper() != "MELODY" and not inst.is_drum
             for n in inst.notes]
    start = np.floor(seconds_to_steps(np.array([n.start for n in notes]), beats) + 0.5).astype(np.int64)
    end = np.maximum(np.floor(seconds_to_steps(np.array([n.end for n in notes]), beats) + 0.5).astype(np.int64),
                     start + 1)
    steps = int(end.max()) + 1
    return infer_chords(start, end, np.array([n.pitch for n in notes]), steps), chord_steps(folder / CHORDS, beats, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pop909", type=Path, default=Path("../shared/data/pop909"))
    parser.add_argument("--songs", type=int, default=100)
    args = parser.parse_args()
    exact = root = base = base_root = total = 0
    folders = sorted(p for p in args.pop909.iterdir() if (p / CHORDS).is_file())[: args.songs]
    for folder in folders:
        inferred, annotated = song(folder)
        mask = annotated > 0
        if not mask.any():
            continue
        a, i = annotated[mask].astype(int), inferred[mask].astype(int)
        common = np.bincount(a).argmax()
        exact += int((a == i).sum())
        root += int(((a - 1) // 4 == (i - 1) // 4).sum())
        base += int((a == common).sum())
        base_root += int(((a - 1) // 4 == (common - 1) // 4).sum())
        total += int(mask.sum())
    print(json.dumps({"songs": len(folders), "steps": total, "triad_accuracy": round(exact / total, 3),
                      "root_accuracy": round(root / total, 3), "most_frequent_chord_accuracy": round(base / total, 3),
                      "most_frequent_root_accuracy": round(base_root / total, 3)}))


if __name__ == "__main__":
    main()
