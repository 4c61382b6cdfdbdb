"""How long cutting a multi-instrument MIDI file into its 4/4 measures takes as every command reads it (the
file read and the multitrack encoding's 1-bar windows, `windows_from_midi_file`), beside pretty_midi's parse
of the same file, measured side by side in one run: a long file must cost about what parsing it costs, not
measures x notes.

    python scripts/bench_multitrack_measures.py [--bars 2000] [--folder ../shared/data/pop909]

Prints one JSON line: for a written file of BARS bars (piano and bass, 8 notes a bar each) the seconds of the
parse and of the measures (read from the file) and the measures found; with --folder, the same summed over its MIDI files.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import pretty_midi

from musicae.music.inference.conversions import windows_from_midi_file


def timed(path: Path) -> tuple[float, float, int]:
    """(parse seconds, measures seconds, measures) of one file."""
    started = time.perf_counter()
    pretty_midi.PrettyMIDI(str(path))
    parsed = time.perf_counter()
    found = windows_from_midi_file(path, 1, None, "multitrack")
    return parsed - started, time.perf_counter() - parsed, len(found)


def long_file(bars: int, folder: Path) -> Path:
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    for program in (0, 33):
        instrument = pretty_midi.Instrument(program)
        for k in range(8 * bars):  # eighth notes at 120 qpm: 0.25 s each
            instrument.notes.append(pretty_midi.Note(80, 40 + program // 3 + k % 12, k * 0.25, k * 0.25 + 0.2))
        midi.instruments.append(instrument)
    path = folder / f"long_{bars}.mid"
    midi.write(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bars", type=int, default=2000)
    parser.add_argument("--folder", type=Path, default=None, help="also time every .mid below this folder")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pretty_midi's complaints about real files' tempo events
    with tempfile.TemporaryDirectory() as tmp:
        parse, measures, count = timed(long_file(args.bars, Path(tmp)))
    result = {"bench": "multitrack_measures", "bars": args.bars, "notes": 16 * args.bars,
              "parse_s": round(parse, 3), "measures_s": round(measures, 3), "measures": count}
    if args.folder is not None:
        totals = [0.0, 0.0, 0, 0]
        for path in sorted(args.folder.rglob("*.mid")):
            try:
                parse, measures, count = timed(path)
            except Exception:  # an unreadable file is not this bench's subject
                continue
            totals = [totals[0] + parse, totals[1] + measures, totals[2] + count, totals[3] + 1]
        result["folder"] = {"path": str(args.folder), "files": totals[3], "parse_s": round(totals[0], 2),
                            "measures_s": round(totals[1], 2), "measures": totals[2]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
