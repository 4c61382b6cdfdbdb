"""Write the two built-in example melodies: the first 4 bars of two held-out folk tunes.

Both tunes come from the validation split of `musicae prepare --corpus folk`, so the shipped
model never trained on them. Usage: python scripts/make_examples.py [DATA_DIR]
"""

import json
import sys
from pathlib import Path

from musicae.music.corpus import folk_corpus_dir, load_abc_tune_symusic, read_abc, split_abc_tunes, tune_label
from musicae.music.encoding import windows_to_midi
from musicae.music.extract import ExtractOptions, windows_from_segments

WANTED = ("music21:oneills1850/", "music21:essenFolksong/")
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


def main(data_dir: str = "data/prepared/folk") -> None:
    records = [json.loads(line) for line in (Path(data_dir) / "manifest.jsonl").read_text().splitlines()]
    held_out = [r for r in records if r.get("split") == "valid" and r["windows"] >= 6]
    OUT.mkdir(parents=True, exist_ok=True)
    for name, prefix in zip(("a", "b"), WANTED):
        record = next(r for r in held_out if r["source"].startswith(prefix))
        windows, title = first_bars(record["source"])
        path = windows_to_midi(windows, OUT / f"{name}.mid")
        print(json.dumps({"file": str(path), "source": record["source"], "title": title, "windows": len(windows)}))


if __name__ == "__main__":
    main(*sys.argv[1:2])
