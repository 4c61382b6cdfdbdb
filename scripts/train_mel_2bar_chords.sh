#!/usr/bin/env bash
# How the chord model (musicae/assets/mel_2bar_chords) is made: POP909 melodies over their annotated chords,
# plus the folk tunes of music21's corpus that carry ABC chord symbols. Resumable.
# Usage: bash scripts/train_mel_2bar_chords.sh [STEPS]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS="${1:-5000}"
POP909="${POP909:-../shared/data/pop909}"
[ -d "$POP909" ] || musicae download pop909 --out "$POP909"
[ -f data/prepared/chords-mix/stats.json ] || musicae prepare "$POP909" --corpus folk --chords --out data/prepared/chords-mix
musicae train --data data/prepared/chords-mix --config mel_2bar_chords --steps "$STEPS" --eval-every 500 \
  --checkpoint-every 250 --out runs/mel_2bar_chords_v2 --no-progress --resume
python scripts/export_model.py runs/mel_2bar_chords_v2 musicae/assets/mel_2bar_chords --fp16 \
  --heldout data/prepared/chords-mix --attributes data/prepared/chords-mix --recipe scripts/train_mel_2bar_chords.sh \
  --description "2-bar melodies over chords (POP909 and folk tunes with chord symbols), MusicVAE's mel_2bar_chords at CPU size"
