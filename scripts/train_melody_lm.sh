#!/usr/bin/env bash
# How the shipped melody language model (musicae/assets/lm/mel_lm_folk) is made: the judge of realism in
# `musicae quality`. About 6 minutes on one core of this CPU. Resumable.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS="${1:-3000}"
[ -f data/prepared/folk-any/stats.json ] || musicae prepare --corpus folk --any-meter --out data/prepared/folk-any
musicae train-lm --data data/prepared/folk-any --out runs/mel_lm_folk --steps "$STEPS" --no-progress --resume
python scripts/export_model.py runs/mel_lm_folk musicae/assets/lm/mel_lm_folk --recipe scripts/train_melody_lm.sh \
  --description "LSTM 256 language model of 2-bar folk melodies (realism judge of musicae quality)"
