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
cp "$OUT/style/samples.png" docs/multitrack_style.png
musicae interpolate --checkpoint multitrack_1bar_chords --bars 8 --chords "Dm F Am G" --temperature 0.2 \
  --seed 2 --out "$OUT/morph" > /dev/null
cp "$OUT/morph/path.png" docs/multitrack_morph.png
python - "$OUT/morph/path.wav" docs/multitrack_morph.wav <<'PY'
# the README's sound at half the size that matters: mono, 22.05 kHz (the pair of samples averaged)
import sys, wave
import numpy as np
with wave.open(sys.argv[1]) as source:
    rate, frames = source.getframerate(), source.readframes(source.getnframes())
audio = np.frombuffer(frames, np.int16).reshape(-1, 2).mean(1)
audio = audio[: len(audio) // 2 * 2].reshape(-1, 2).mean(1).astype(np.int16)
with wave.open(sys.argv[2], "wb") as target:
    target.setnchannels(1); target.setsampwidth(2); target.setframerate(rate // 2)
    target.writeframes(audio.tobytes())
PY
python - "$OUT/chorale.mid" <<'PY'
import sys
from musicae.studio.multitrack_panel import chorale_example
open(sys.argv[1], "wb").write(chorale_example())
PY
musicae reconstruct "$OUT/chorale.mid" --checkpoint multitrack_1bar --bar 3 --out "$OUT/rec" --no-wav > /dev/null
cp "$OUT/rec/reconstruction.png" docs/multitrack_reconstruction.png
ls -la docs/multitrack_*
