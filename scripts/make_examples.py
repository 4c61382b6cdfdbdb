"""Write the built-in example melodies: the first 4 bars of two held-out folk tunes (a.mid, b.mid), and
the first 16 bars of two others (long_a.mid, long_b.mid, for the 16-bar models).

All come from the validation splits of `musicae prepare --corpus folk` (--bars 16 for the long ones), so
the shipped models never trained on them.
Usage: python scripts/make_examples.py [DATA_DIR] [DATA_DIR_16]
"""

import json
import sys
from pathlib import Path

from musicae.music.data.inputs import (
    folk_corpus_dir,
    load_abc_tune_symusic,
    read_abc,
    split_abc_tunes,
    tune_label,
)
from musicae.music.encodings.melody import FIRST_PITCH_CLASS, windows_to_midi
from musicae.music.encodings.melody_extraction import ExtractOptions, windows_from_segments

WANTED = ("music21:oneills1850/", "music21:essenFolksong/")
MIN_NOTES_PER_BAR = 3  # a melody that moves: not a tune of whole notes
OUT = Path(__file__).resolve().parents[1] / "musicae" / "assets" / "examples"


def first_bars(source: str, bars: int = 4):
    label, tune_id = source.split("#")
    path = folk_corpus_dir() / label.removeprefix("music21:")
    header, tunes = split_abc_tunes(read_abc(path))
    tune = next(t for i, t in enumerate(tunes) if tune_label(t, i) == tune_id)
    segments = load_abc_tune_symusic(header + tune)
    windows = windows_from_segments(segments, ExtractOptions(bars=2, hop_bars=2, deduplicate=False)).windows
    title = next((line[2:].strip() for line in tune.splitlines() if line.startswith("T:")), source)
    return windows[: bars // 2], title


def main(data_dir: str = "data/prepared/folk", data_dir_16: str = "data/prepared/folk16") -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for names, folder, bars, least in ((("a", "b"), data_dir, 4, 6), (("long_a", "long_b"), data_dir_16, 16, 1)):
        records = [json.loads(line) for line in (Path(folder) / "manifest.jsonl").read_text().splitlines()]
        held_out = [r for r in records if r.get("split") == "valid" and r["windows"] >= least]
        for name, prefix in zip(names, WANTED):
            candidates = ((r, *first_bars(r["source"], bars)) for r in held_out if r["source"].startswith(prefix))
            record, windows, title = next((r, w, t) for r, w, t in candidates if len(w) == bars // 2
                                          and (w >= FIRST_PITCH_CLASS).sum() >= MIN_NOTES_PER_BAR * bars)
            path = windows_to_midi(windows, OUT / f"{name}.mid")
            print(json.dumps({"file": str(path), "source": record["source"], "title": title, "bars": bars}))


if __name__ == "__main__":
    main(*sys.argv[1:2])
