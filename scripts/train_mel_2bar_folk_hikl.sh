#!/usr/bin/env bash
# The high-KL 2-bar folk model (musicae/assets/mel_2bar_folk_hikl): mel_2bar_cpu with a 256-bit free-bits
# allowance instead of 96, so z carries enough of a window to reconstruct it (MusicVAE's low-KL / high-KL
# trade-off: better reconstruction and interpolation, prior samples that jump more). Resumable.
# Usage: bash scripts/train_mel_2bar_folk_hikl.sh [STEPS]   (shipped: 5,642 steps, about 85 min on one core then 25 min on two; run again to go on to 8000)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS="${1:-8000}"
[ -f data/prepared/folk-any/stats.json ] || musicae prepare --corpus folk --any-meter --out data/prepared/folk-any
[ -f data/prepared/folk/stats.json ] || musicae prepare --corpus folk --out data/prepared/folk
RUN=runs/mel_2bar_folk_hikl
if [ -d "$RUN" ]; then RESUME=--resume; else RESUME=""; fi
musicae train --data data/prepared/folk-any --config mel_2bar_cpu --free-bits 256 --steps "$STEPS" \
  --eval-every 500 --checkpoint-every 250 --out "$RUN" --no-progress $RESUME
python scripts/export_model.py "$RUN" musicae/assets/mel_2bar_folk_hikl --fp16 --heldout data/prepared/folk --attributes data/prepared/folk \
  --recipe scripts/train_mel_2bar_folk_hikl.sh \
  --description "2-bar folk melodies, high KL (256 free bits): for reconstruct, interpolate, encode, similar, transform"
