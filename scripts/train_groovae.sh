#!/usr/bin/env bash
# The shipped GrooVAE models (musicae/assets/groovae_humanize, musicae/assets/groovae_tap): MusicVAE's
# groovae_2bar_humanize / groovae_2bar_tap at this CPU's size, on the Groove MIDI Dataset's official train split;
# every figure on its validation split, which training never reads. Resumable: run it again to go on.
# Usage: bash scripts/train_groovae.sh humanize|tap [STEPS] [GROOVE_DIR]
#   shipped: `humanize 3000` and `tap 1500` (about 80 and 40 minutes on one core of this 2-core machine)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
READS="${1:?give humanize or tap}"
STEPS="${2:-3000}"
GROOVE="${3:-../shared/data/groove}"
DATA=data/prepared/groove-$READS
[ -f "$DATA/stats.json" ] || musicae prepare "$GROOVE" --encoding "groove_$READS" \
  --split-file "$GROOVE/info.csv" --out "$DATA"
RUN=runs/groovae_$READS
musicae train --data "$DATA" --config "groovae_2bar_$READS" --steps "$STEPS" \
  --eval-every 500 --checkpoint-every 250 --out "$RUN" --no-progress --resume
DESCRIPTION="GrooVAE $READS: a 2-bar drum performance (hits, velocities, timing) from "
[ "$READS" = humanize ] && DESCRIPTION+="a quantized pattern" || DESCRIPTION+="taps on one voice (Drumify)"
python scripts/export_model.py "$RUN" "musicae/assets/groovae_$READS" --fp16 --heldout "$DATA" \
  --recipe scripts/train_groovae.sh --description "$DESCRIPTION; Groove MIDI Dataset train split (CC BY 4.0)"
