#!/usr/bin/env bash
# The shipped multitrack models (issue 22): multitrack_1bar (config multitrack_1bar_cpu, 256 free bits) and
# multitrack_1bar_chords (multitrack_1bar_chords_cpu, 64 free bits), on the bars scripts/prepare_multitrack.sh
# makes from POP909, music21's Bach chorales and the Groove MIDI Dataset's train split. One core each (the two
# train side by side on this 2-core machine). Resumable: run it again to go on; the run's checkpoints are kept
# every 250 steps; then exported (fp16 when the held-out figures allow) with its card into musicae/assets/NAME.
# Usage: bash scripts/train_multitrack.sh [multitrack_1bar|multitrack_1bar_chords] [STEPS]
# runs/ is not carried from one machine to the next: INIT_FROM=NAME starts a new run from a trained model (the
# shipped one: INIT_FROM=multitrack_1bar) instead of from scratch, its optimizer afresh (`train --init-from`).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
NAME="${1:-multitrack_1bar}"
STEPS="${2:-3000}"
case "$NAME" in
  multitrack_1bar) CONFIG=multitrack_1bar_cpu; ENCODING=multitrack ;;
  multitrack_1bar_chords) CONFIG=multitrack_1bar_chords_cpu; ENCODING=multitrack_chords ;;
  *) echo "usage: $0 [multitrack_1bar|multitrack_1bar_chords] [STEPS]" >&2; exit 2 ;;
esac
bash scripts/prepare_multitrack.sh "$ENCODING"
RUN="runs/$NAME"
INIT=()
[ -n "$INIT_FROM" ] && INIT=(--init-from "$INIT_FROM")
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" musicae train --data "data/prepared/$ENCODING" --config "$CONFIG" "${INIT[@]}" \
  --steps "$STEPS" --eval-every 500 --checkpoint-every 250 --out "$RUN" --no-progress --resume
case "$NAME" in
  multitrack_1bar) DESCRIPTION="one bar of up to 8 instruments (programs, drums, velocities), 256 free bits: sample, reconstruct, interpolate; POP909, Bach chorales, Groove MIDI Dataset drum bars (CC BY 4.0)" ;;
  multitrack_1bar_chords) DESCRIPTION="one bar of up to 8 instruments over a chord per sixteenth, 64 free bits: styles over progressions; POP909 (annotated chords), Bach chorales (inferred chords)" ;;
esac
python scripts/export_model.py "$RUN" "musicae/assets/$NAME" --fp16 --heldout "data/prepared/$ENCODING" \
  --recipe scripts/train_multitrack.sh --description "$DESCRIPTION"
