#!/usr/bin/env bash
# How the shipped model (musicae/assets/mel_2bar_folk) was made, end to end, on the CPU.
# Usage: bash scripts/train_shipped_model.sh [STEPS]   (the shipped model: 9000 steps)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS="${1:-9000}"
musicae prepare --corpus folk --any-meter --out data/prepared/folk-any
musicae prepare --corpus folk --out data/prepared/folk
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" musicae train --data data/prepared/folk-any --config mel_2bar_cpu \
  --steps "$STEPS" --eval-every 500 --checkpoint-every 250 --out runs/mel_2bar_folk --no-progress --resume
python scripts/export_model.py runs/mel_2bar_folk musicae/assets/mel_2bar_folk
