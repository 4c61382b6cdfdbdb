"""Write the studio's drum examples (musicae/assets/examples/drums/): bars 3-6 of six performances of the
Groove MIDI Dataset's validation split, one per style, so the shipped drum models never trained on them; a
quantized, one-velocity copy of the funk beat (an input for humanize) and the kick and snare of the hip-hop
beat as taps on one drum (an input for drumify). CREDITS.md beside them credits the dataset (CC BY 4.0).

Usage: python scripts/make_drum_examples.py [GROOVE_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pretty_midi

OUT = Path(__file__).resolve().parents[1] / "musicae" / "assets" / "examples" / "drums"
PICKS = {"funk": "drummer1/session1/126_funk-fast_125_beat_4-4.mid",
         "latin": "drummer1/session1/145_latin-brazilian-baiao_95_beat_4-4.mid",
         "rock": "drummer1/session3/13_rock_115_beat_4-4.mid",
         "jazz": "drummer3/session1/15_jazz_120_beat_4-4.mid",
         "hiphop": "drummer3/session2/25_hiphop_92_beat_4-4.mid",
         "pop": "drummer7/session2/100_pop_142_beat_4-4.mid"}
CREDITS = """# Drum examples

Excerpts of performances from the validation split of the Groove MIDI Dataset (Gillick, Roberts, Engel, Eck and
Bamman, "Learning to Groove with Inverse Sequence Transformations", ICML 2019; Google Magenta; licensed under
CC BY 4.0, https://creativecommons.org/licenses/by/4.0/), cut to four bars and written again as MIDI (no other
change, but for the two files marked below). The shipped drum models never trained on them.

{lines}
- `funk_quantized.mid`: `funk.mid` on the sixteenth grid at one velocity (an input for humanize)
- `hiphop_taps.mid`: the kick and snare hits of `hiphop.mid` as taps on one drum (an input for drumify)
"""


def kit(bpm: float, name: str, notes) -> pretty_midi.PrettyMIDI:
    midi = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    drums = pretty_midi.Instrument(0, is_drum=True, name=name)
    drums.notes = list(notes)
    midi.instruments.append(drums)
    return midi


def main(groove: str = "../shared/data/groove") -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, rel in PICKS.items():
        source = pretty_midi.PrettyMIDI(str(Path(groove) / rel))
        bpm = source.get_tempo_changes()[1][0]
        bar = 240 / bpm
        lo, hi = 2 * bar, 6 * bar  # bars 3-6, each hit at most a 32nd early kept with its bar
        hits = [n for inst in source.instruments for n in inst.notes if lo - bar / 32 <= n.start < hi - bar / 32]
        moved = [pretty_midi.Note(n.velocity, n.pitch, max(0, n.start - lo), max(0, n.start - lo) + 0.05) for n in hits]
        kit(bpm, "drums", moved).write(str(OUT / f"{name}.mid"))
        lines.append(f"- `{name}.mid`: bars 3-6 of `{rel}` ({bpm:.0f} bpm)")
        step = bar / 16
        if name == "funk":
            grid = [pretty_midi.Note(100, n.pitch, round(n.start / step) * step, round(n.start / step) * step + 0.05)
                    for n in moved if round(n.start / step) < 64]
            kit(bpm, "drums", grid).write(str(OUT / "funk_quantized.mid"))
        if name == "hiphop":
            seen, taps = set(), []
            for n in sorted(moved, key=lambda n: n.start):
                if n.pitch in (36, 38, 40) and round(n.start / step) not in seen:
                    seen.add(round(n.start / step))
                    taps.append(pretty_midi.Note(n.velocity, 42, n.start, n.start + 0.05))
            kit(bpm, "taps", taps).write(str(OUT / "hiphop_taps.mid"))
        print(json.dumps({"file": str(OUT / f"{name}.mid"), "source": rel, "hits": len(moved)}))
    (OUT / "CREDITS.md").write_text(CREDITS.format(lines="\n".join(lines)))


if __name__ == "__main__":
    main(*sys.argv[1:2])
