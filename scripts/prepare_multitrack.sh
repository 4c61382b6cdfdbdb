#!/usr/bin/env bash
# The multitrack training data (issue 22), from what may be shipped here: POP909's songs (melody, bridge and
# piano, given GM programs; bars from its beat annotations, chords from its chord annotations), music21's Bach
# chorales (four voices as violin, viola, cello, contrabass; chords inferred) and the Groove MIDI Dataset's
# train-split performances (drum bars; its validation split is never read). POP909's and the chorales' own
# held-out share comes from prepare's split by path.
# Usage: bash scripts/prepare_multitrack.sh [multitrack|multitrack_chords] [POP909_DIR] [GROOVE_DIR]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ENCODING="${1:-multitrack}"
POP909="${2:-../shared/data/pop909}"
GROOVE="${3:-../shared/data/groove}"
OUT="data/prepared/$ENCODING"
[ -f "$OUT/stats.json" ] && { echo "$OUT already prepared" >&2; exit 0; }
mapfile -t DRUMS < <(python - "$GROOVE" <<'PY'
import csv, sys
from pathlib import Path
root = Path(sys.argv[1])
for row in csv.DictReader(open(root / "info.csv")):
    if row["split"] == "train":
        print(root / row["midi_filename"])
PY
)
musicae prepare "$POP909" "${DRUMS[@]}" --corpus bach --encoding "$ENCODING" --out "$OUT"
