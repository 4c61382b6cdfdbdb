#!/usr/bin/env bash
# README command 1: set up the environment when missing, then interpolate between the two built-in
# folk melodies with the shipped model. Writes MIDI files, a piano roll and a WAV to out/demo/.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
EXAMPLES="$(python -c 'from musicae.music.generate import example_melodies as e; print(" ".join(map(str, e())))')"
# shellcheck disable=SC2086
musicae interpolate $EXAMPLES --steps 5 --out "${1:-out/demo}"
