"""How well chords inferred from an accompaniment match annotated ones: POP909's PIANO and BRIDGE tracks
against its chord_midi.txt, step by step on the annotated beat grid (steps where the annotation has a chord).

Prints one JSON line: exact triad accuracy and root accuracy of musicae's inference, of note-seq's
(`infer_chords_for_sequence`, the HMM MusicVAE used for Lakh MIDI, one chord per beat on the same notes,
with --peer) and of a baseline that always answers the song's most frequent annotated chord.

Usage: python scripts/bench_chord_inference.py [--pop909 ../shared/data/pop909] [--songs 100] [--peer]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pretty_midi

from musicae.music.data.annotated import BEATS, CHORDS, beat_grid, chord_steps, seconds_to_steps
from musicae.music.encodings.chords import NO_CHORD, UnknownChord, infer_chords, parse_chord


def note_seq_chords(start: np.ndarray, end: np.ndarray, pitch: np.ndarray, steps: int) -> np.ndarray:
    """note-seq's Viterbi chord inference on the same notes (beat-grid steps as sixteenths at 120 qpm)."""
    from note_seq import chord_inference, sequences_lib
    from note_seq.protobuf import music_pb2

    sequence = music_pb2.NoteSequence()
    sequence.tempos.add(qpm=120.0)
    sequence.time_signatures.add(numerator=4, denominator=4)
    for on, off, p in zip(start.tolist(), end.tolist(), pitch.tolist()):
        sequence.notes.add(pitch=int(p), velocity=80, start_time=on * 0.125, end_time=off * 0.125)
    sequence.total_time = steps * 0.125
    quantized = sequences_lib.quantize_note_sequence(sequence, steps_per_quarter=4)
    chord_inference.infer_chords_for_sequence(quantized, chords_per_bar=4)
    classes = np.full(steps, NO_CHORD, dtype=np.int64)
    marks = sorted((a.quantized_step, a.text) for a in quantized.text_annotations)
    for (at, text), (following, _) in zip(marks, marks[1:] + [(steps, "")]):
        try:
            classes[at:following] = parse_chord(text)
        except UnknownChord:
            classes[at:following] = NO_CHORD
    return classes


def song(folder: Path, peer: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(inferred, annotated, note-seq's or None) chord classes per step."""
    beats, _ = beat_grid(folder / BEATS)
    midi = pretty_midi.PrettyMIDI(str(folder / f"{folder.name}.mid"))
    notes = [n for inst in midi.instruments if inst.name.strip().upper() != "MELODY" and not inst.is_drum
             for n in inst.notes]
    start = np.floor(seconds_to_steps(np.array([n.start for n in notes]), beats) + 0.5).astype(np.int64)
    end = np.maximum(np.floor(seconds_to_steps(np.array([n.end for n in notes]), beats) + 0.5).astype(np.int64),
                     start + 1)
    steps = int(end.max()) + 1
    pitches = np.array([n.pitch for n in notes])
    keep = start >= 0
    theirs = note_seq_chords(start[keep], end[keep], pitches[keep], steps) if peer else None
    return infer_chords(start, end, pitches, steps), chord_steps(folder / CHORDS, beats, steps), theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pop909", type=Path, default=Path("../shared/data/pop909"))
    parser.add_argument("--songs", type=int, default=100)
    parser.add_argument("--peer", action="store_true", help="also note-seq's inference (slower)")
    args = parser.parse_args()
    exact = root = base = base_root = total = peer_exact = peer_root = 0
    folders = sorted(p for p in args.pop909.iterdir() if (p / CHORDS).is_file())[: args.songs]
    for folder in folders:
        inferred, annotated, theirs = song(folder, args.peer)
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
        if theirs is not None:
            t = theirs[mask]
            peer_exact += int((a == t).sum())
            peer_root += int(((a - 1) // 4 == (t - 1) // 4).sum())
    line = {"songs": len(folders), "steps": total, "triad_accuracy": round(exact / total, 3),
            "root_accuracy": round(root / total, 3), "most_frequent_chord_accuracy": round(base / total, 3),
            "most_frequent_root_accuracy": round(base_root / total, 3)}
    if args.peer:
        line |= {"note_seq_triad_accuracy": round(peer_exact / total, 3),
                 "note_seq_root_accuracy": round(peer_root / total, 3)}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
