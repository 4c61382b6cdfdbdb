#!/usr/bin/env bash
# How the shipped model (musicae/assets/mel_2bar_folk) was made, end to end, on a 2-core CPU.
# Usage: bash scripts/train_shipped_model.sh [STEPS]   (the shipped model: 6000 steps, about 40 min)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS="${1:-6000}"
# Training data: every meter (2/4, 3/4 and 6/8 tunes too), which triples the windows of the folk corpus.
musicae prepare --corpus folk --any-meter --out data/prepared/folk-any
# Evaluation data: MusicVAE's semantics (16-step bars only); its validation tunes are held out above too,
# since the split is by source name with the same seed.
musicae prepare --corpus folk --out data/prepared/folk
musicae train --data data/prepared/folk-any --config mel_2bar_cpu --steps "$STEPS" --eval-every 500 \
  --checkpoint-every 250 --out runs/mel_2bar_folk --no-progress --resume
python scripts/export_model.py runs/mel_2bar_folk musicae/assets/mel_2bar_folk --fp16 --heldout data/prepared/folk \
  --recipe scripts/train_shipped_model.sh \
  --description "2-bar folk melodies, trained on a 2-core CPU in 50 min (the default model)"
