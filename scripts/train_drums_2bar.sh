#!/usr/bin/env bash
# The shipped 2-bar drum models: MusicVAE's cat-drums_2bar_small at this CPU's size, on the Groove MIDI Dataset's
# official train split; every figure on its validation split, which training never reads (info.csv places each
# performance). Resumable: run it again to go on.
# Usage: bash scripts/train_drums_2bar.sh [STEPS] [GROOVE_DIR] [CONFIG] [STEPS2]
#   CONFIG drums_2bar (musicae/assets/drums_2bar, 48 free bits; shipped: 3,000 steps, about 95 min on one core of
#   this 2-core machine while the other trains too) or drums_2bar_hikl (the high-KL model, 256 free bits, under
#   its own name). With STEPS2, the high-KL model gets a second stage like the melody one's: started from stage 1's
#   weights (`train --init-from`) with 512 free bits and a slower learning-rate decay, STEPS2 steps in
#   runs/drums_2bar_hikl512, exported instead; STAGE1=NAME starts it from a trained model (the shipped
#   drums_2bar_hikl) instead of stage 1's run.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS="${1:-3000}"
GROOVE="${2:-../shared/data/groove}"
CONFIG="${3:-drums_2bar}"
STEPS2="${4:-}"
[ -f data/prepared/groove/stats.json ] || musicae prepare "$GROOVE" --encoding drums \
  --split-file "$GROOVE/info.csv" --out data/prepared/groove
RUN=runs/$CONFIG
STAGE1="${STAGE1:-$RUN}"
if [ "$STAGE1" = "$RUN" ]; then
  musicae train --data data/prepared/groove --config "$CONFIG" --steps "$STEPS" \
    --eval-every 500 --checkpoint-every 250 --out "$RUN" --no-progress --resume
fi
BITS=256
if [ "$CONFIG" = drums_2bar_hikl ] && [ -n "$STEPS2" ]; then
  RUN2=runs/drums_2bar_hikl512
  musicae train --data data/prepared/groove --config drums_2bar_hikl --free-bits 512 --lr 5e-4 --lr-decay 0.9999 \
    --init-from "$STAGE1" --steps "$STEPS2" --eval-every 500 --checkpoint-every 250 --out "$RUN2" --no-progress \
    --resume
  RUN=$RUN2 BITS=512
fi
python scripts/export_model.py "$RUN" "musicae/assets/$CONFIG" --fp16 --heldout data/prepared/groove \
  --recipe scripts/train_drums_2bar.sh \
  --description "$(if [ "$CONFIG" = drums_2bar_hikl ]; then
    echo "2-bar drum beats, high KL ($BITS free bits): for reconstruct, interpolate, encode; Groove MIDI Dataset train split (CC BY 4.0)"
  else
    echo "2-bar drum beats (MusicVAE's 9 drum classes), low KL (48 free bits): for sampling; Groove MIDI Dataset train split (CC BY 4.0)"
  fi)"
