#!/usr/bin/env bash
# README command 1: set up the environment when missing, then interpolate between the two built-in
# folk melodies with the shipped 2-bar model (out/demo/), and between the two built-in 16-bar melodies with
# the shipped 16-bar model (out/demo/16bar/, at temperature 0.5 as MusicVAE's notebooks decode 16 bars),
# and between two drum performances with the shipped drum model (out/demo/drums/), then humanizes a quantized
# beat (out/demo/humanize/). Each writes MIDI files, a picture and a WAV.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
OUT="${1:-out/demo}"
examples() { python -c "from musicae.music.inference.trained_model import example_melodies as e; print(' '.join(map(str, e($1))))"; }
# shellcheck disable=SC2046
musicae interpolate $(examples False) --steps 5 --out "$OUT"
if musicae models | grep -q '^mel_16bar_folk'; then
  # shellcheck disable=SC2046
  musicae interpolate $(examples True) --checkpoint mel_16bar_folk --steps 5 --temperature 0.5 --out "$OUT/16bar"
fi
DRUMS="$(python -c "import musicae, pathlib; print(pathlib.Path(musicae.__file__).parent / 'assets/examples/drums')")"
if musicae models | grep -q '^drums_2bar'; then
  musicae interpolate "$DRUMS/funk.mid" "$DRUMS/rock.mid" --checkpoint drums_2bar --steps 5 --out "$OUT/drums"
fi
if musicae models | grep -q '^groovae_humanize'; then
  musicae humanize "$DRUMS/funk_quantized.mid" --out "$OUT/humanize"
fi
