#!/usr/bin/env bash
# How the chord model (musicae/assets/mel_2bar_chords) is made: POP909 melodies over their annotated chords.
# Resumable. Usage: bash scripts/train_mel_2bar_chords.sh [STEPS]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS="${1:-8000}"
POP909="${POP909:-../shared/data/pop909}"
[ -d "$POP909" ] || musicae download pop909 --out "$POP909"
[ -f data/prepared/pop909-chords/stats.json ] || musicae prepare "$POP909" --chords --out data/prepared/pop909-chords
musicae train --data data/prepared/pop909-chords --config mel_2bar_chords --steps "$STEPS" --eval-every 500 \
  --checkpoint-every 250 --out runs/mel_2bar_chords --no-progress --resume
python scripts/export_model.py runs/mel_2bar_chords musicae/assets/mel_2bar_chords --fp16 \
  --heldout data/prepared/pop909-chords --attributes data/prepared/pop909-chords --recipe scripts/train_mel_2bar_chords.sh \
  --description "2-bar melodies over chords (POP909), MusicVAE's mel_2bar_chords at CPU size"
