#!/usr/bin/env bash
# The README's multitrack pictures and sounds, made by the commands the README shows, with the shipped models:
# docs/multitrack_style.png (one style over C Caug Am E, 4 bars), docs/multitrack_morph.png and .wav (from one
# style to another over Dm F Am G, 8 bars), docs/multitrack_reconstruction.png (a chorale's measure and its
# reconstruction).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
musicae sample --checkpoint multitrack_1bar_chords -n 1 --bars 4 --chords "C Caug Am E" --temperature 0.2 \
  --seed 1 --out "$OUT/style" --no-wav > /dev/null
cp "$OUT"/style/*-samples.png docs/multitrack_style.png
musicae interpolate --checkpoint multitrack_1bar_chords --bars 8 --chords "Dm F Am G" --temperature 0.2 \
  --seed 2 --out "$OUT/morph" > /dev/null
cp "$OUT"/morph/*-path.png docs/multitrack_morph.png
python scripts/docs_wav.py "$OUT"/morph/*-path.wav docs/multitrack_morph.wav --rate 22050
python - "$OUT/chorale.mid" <<'PY'
import sys
from musicae.studio.multitrack_panel import chorale_example
open(sys.argv[1], "wb").write(chorale_example())
PY
musicae reconstruct "$OUT/chorale.mid" --checkpoint multitrack_1bar --bar 3 --out "$OUT/rec" --no-wav > /dev/null
cp "$OUT"/rec/*-reconstruction.png docs/multitrack_reconstruction.png
ls -la docs/multitrack_*
