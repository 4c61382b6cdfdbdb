#!/usr/bin/env bash
# How the chord models are made: POP909 melodies over their annotated chords, plus the folk tunes of music21's
# corpus that carry ABC chord symbols. Three stages, each resumable:
#   1. runs/mel_2bar_chords_v2: the low-KL model (musicae/assets/mel_2bar_chords, 96 free bits), STEPS1 steps
#      (the shipped model: 8,000, about 90 minutes on one core);
#   2. runs/mel_2bar_chords_hikl512: started from stage 1's weights (`train --init-from`) with 512 free bits and
#      a slower learning-rate decay, STEPS2 steps (4,000, about 47 minutes on one core), the way
#      mel_2bar_folk_hikl and drums_2bar_hikl were made; and its encoder reads each window in the key the
#      decoder writes it (stage 1 moved it up to 5 semitones, so that z could not say where the melody sits and
#      sampling had to follow the chords; a model made to give melodies back needs the key in z);
#   3. runs/mel_2bar_chords_hikl1024: the high-KL model (musicae/assets/mel_2bar_chords_hikl), from stage 2's
#      weights with 1024 free bits (stage 2's KL sat at its 512-bit allowance), scheduled sampling ramped up
#      faster (its step count starts again at 0), STEPS3 steps (2,200, about 27 minutes).
# Usage: bash scripts/train_mel_2bar_chords.sh [STEPS1] [STEPS2] [STEPS3]
# STAGE1=NAME starts stage 2 from a trained model instead (STAGE1=mel_2bar_chords, the shipped stage 1, is how
# the shipped high-KL model was made, on a machine where stage 1's run was gone).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STEPS1="${1:-8000}"
STEPS2="${2:-4000}"
STEPS3="${3:-2200}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
POP909="${POP909:-../shared/data/pop909}"
[ -d "$POP909" ] || musicae download pop909 --out "$POP909"
# The split file holds out the POP909 songs the shipped models never saw (scripts/splits/chords_mix.csv: 98
# songs, 4,060 windows), whatever folder POP909 lies in.
[ -f data/prepared/chords-mix/stats.json ] || musicae prepare "$POP909" --corpus folk --chords \
  --split-file scripts/splits/chords_mix.csv --out data/prepared/chords-mix
STAGE1="${STAGE1:-runs/mel_2bar_chords_v2}"
if [ "$STAGE1" = runs/mel_2bar_chords_v2 ]; then
  musicae train --data data/prepared/chords-mix --config mel_2bar_chords --steps "$STEPS1" --eval-every 500 \
    --checkpoint-every 250 --out "$STAGE1" --no-progress --resume || exit
  python scripts/export_model.py "$STAGE1" musicae/assets/mel_2bar_chords --fp16 \
    --heldout data/prepared/chords-mix --attributes data/prepared/chords-mix --recipe scripts/train_mel_2bar_chords.sh \
    --description "2-bar melodies over chords (POP909 and folk tunes with chord symbols), MusicVAE's mel_2bar_chords at CPU size"
fi
RUN=runs/mel_2bar_chords_hikl512
musicae train --data data/prepared/chords-mix --config mel_2bar_chords --free-bits 512 --encoder-transpose 0 \
  --lr 5e-4 --lr-decay 0.9999 --init-from "$STAGE1" --steps "$STEPS2" --eval-every 500 --checkpoint-every 250 \
  --out "$RUN" --no-progress --resume || exit
STAGE2=$RUN
RUN=runs/mel_2bar_chords_hikl1024
musicae train --data data/prepared/chords-mix --config mel_2bar_chords --free-bits 1024 --encoder-transpose 0 \
  --sampling-rate 200 --lr 5e-4 --lr-decay 0.9999 --init-from "$STAGE2" --steps "$STEPS3" --eval-every 400 \
  --checkpoint-every 200 --out "$RUN" --no-progress --resume || exit
python scripts/export_model.py "$RUN" musicae/assets/mel_2bar_chords_hikl --fp16 \
  --heldout data/prepared/chords-mix --attributes data/prepared/chords-mix --recipe scripts/train_mel_2bar_chords.sh \
  --description "2-bar melodies over chords, high KL (1024 free bits; from mel_2bar_chords, $STEPS2 steps at 512, then $STEPS3 at 1024): gives lead sheets back (reconstruct, interpolate, encode); mel_2bar_chords samples over a progression and moves a melody onto new chords"
