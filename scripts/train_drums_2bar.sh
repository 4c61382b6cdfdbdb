#!/usr/bin/env bash
# The shipped 2-bar drum model (musicae/assets/drums_2bar): MusicVAE's cat-drums_2bar_small at this CPU's size
# (config drums_2bar), on the Groove MIDI Dataset's official train split; every figure on its validation split,
# which training never reads (info.csv places each performance). Resumable: run it again to go on.
# Usage: bash scripts/train_drums_2bar.sh [STEPS] [GROOVE_DIR] [CONFIG]   (shipped: 3000 steps, about 95 min on one
# core of this 2-core machine while the other trains too). CONFIG drums_2bar_hikl (256 free bits) trains and ships
# the high-KL model under its own name.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS="${1:-3000}"
GROOVE="${2:-../shared/data/groove}"
CONFIG="${3:-drums_2bar}"
[ -f data/prepared/groove/stats.json ] || musicae prepare "$GROOVE" --encoding drums \
  --split-file "$GROOVE/info.csv" --out data/prepared/groove
RUN=runs/$CONFIG
if [ -d "$RUN" ]; then RESUME=--resume; else RESUME=""; fi
musicae train --data data/prepared/groove --config "$CONFIG" --steps "$STEPS" \
  --eval-every 500 --checkpoint-every 250 --out "$RUN" --no-progress $RESUME
python scripts/export_model.py "$RUN" "musicae/assets/$CONFIG" --fp16 --heldout data/prepared/groove \
  --recipe scripts/train_drums_2bar.sh \
  --description "$(if [ "$CONFIG" = drums_2bar_hikl ]; then
    echo "2-bar drum beats, high KL (256 free bits): for reconstruct, interpolate, encode; Groove MIDI Dataset train split (CC BY 4.0)"
  else
    echo "2-bar drum beats (MusicVAE's 9 drum classes), low KL (48 free bits): for sampling; Groove MIDI Dataset train split (CC BY 4.0)"
  fi)"
