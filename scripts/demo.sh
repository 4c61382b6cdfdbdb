#!/usr/bin/env bash
# README command 1: set up the environment when missing, then interpolate between the two built-in
# folk melodies with the shipped 2-bar model (out/demo/), and between the two built-in 16-bar melodies with
# the shipped 16-bar model (out/demo/16bar/, at temperature 0.5 as MusicVAE's notebooks decode 16 bars).
# Each writes MIDI files, a piano roll and a WAV.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
OUT="${1:-out/demo}"
examples() { python -c "from musicae.music.inference.trained_model import example_melodies as e; print(' '.join(map(str, e($1))))"; }
# shellcheck disable=SC2046
musicae interpolate $(examples False) --steps 5 --out "$OUT"
if musicae models | grep -q '^mel_16bar_folk'; then
  # shellcheck disable=SC2046
  musicae interpolate $(examples True) --checkpoint mel_16bar_folk --steps 5 --temperature 0.5 --out "$OUT/16bar"
fi
