#!/usr/bin/env bash
# One GPU session, as run on an NVIDIA H200 (see README, "Shipped models"): train the 16-bar
# hierarchical and flat models, the 2-bar `mel_2bar_med` and the chord model side by side for a fixed wall time, then
# evaluate them on held-out windows (float32 weights and the float16 export), and measure throughput.
#
# A run stopped by its time limit saves a checkpoint (SIGTERM) at the step it reached; the recipes in
# scripts/train_mel_16bar_folk.sh etc. give that step count, so `--steps N` reproduces the model without
# a clock. Needs the prepared folders that scripts/prepare_folk.sh writes.
#
# Usage: [OUT=dir] [TRAIN_SECONDS=410] [DEVICE=cuda] [EVAL_LIMIT=N] bash scripts/device_round.sh
set -u
OUT="${OUT:-out/device}"
TRAIN_SECONDS="${TRAIN_SECONDS:-410}"
DEVICE="${DEVICE:-cuda}"
LIMIT=${EVAL_LIMIT:+--limit $EVAL_LIMIT}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 OMP_NUM_THREADS=4
PY="${PYTHON:-python3}"
mkdir -p "$OUT" runs models
(nvidia-smi -L; "$PY" -c 'import torch; print("torch", torch.__version__)') >"$OUT/machine.txt" 2>&1

train() {  # name config data
  timeout -s TERM -k 60 "$TRAIN_SECONDS" "$PY" -m musicae train --data "data/prepared/$3" --config "$2" \
    --out "runs/$1" --steps 1000000 --device "$DEVICE" --eval-every 500 --checkpoint-every 1000 --log-every 50 \
    --no-progress >"runs/$1.log" 2>&1
  echo "$1 exit $?" >>runs/exits.txt
}
train mel_16bar_hier_med mel_16bar_hier_med folk16-any &
train mel_16bar_flat_med mel_16bar_flat_med folk16-any &
train mel_2bar_med mel_2bar_med folk-any &
train mel_2bar_chords mel_2bar_chords chords-mix &
wait

evaluate() {  # name heldout
  "$PY" scripts/export_model.py "runs/$1" "models/$1" --fp16 >"runs/$1.export.json" 2>&1
  for source in "runs/$1" "models/$1"; do
    "$PY" -m musicae evaluate --checkpoint "$source" --data "data/prepared/$2" --device "$DEVICE" \
      --batch-size 1024 --no-progress $LIMIT >"runs/$1.eval.$(basename "$(dirname "$source")").json" 2>&1
  done
}
evaluate mel_16bar_hier_med folk16 &
evaluate mel_16bar_flat_med folk16 &
evaluate mel_2bar_med folk &
evaluate mel_2bar_chords chords-mix &
wait

"$PY" scripts/bench_sequence_speed.py --device "$DEVICE" ${BENCH_ARGS:---steps 5} \
  --configs mel_2bar_cpu mel_2bar_med mel_16bar_flat_med mel_16bar_hier_med >runs/bench_speed.jsonl 2>&1

"$PY" - "$OUT/results.json" <<'EOF'
import json, sys
from pathlib import Path
results = {}
for name in ("mel_16bar_hier_med", "mel_16bar_flat_med", "mel_2bar_med", "mel_2bar_chords"):
    entry = results[name] = {}
    for key, file in (("fp32", f"runs/{name}.eval.runs.json"), ("fp16", f"runs/{name}.eval.models.json"),
                      ("export", f"runs/{name}.export.json")):
        try:
            entry[key] = json.loads(Path(file).read_text())
        except Exception as err:
            entry[key] = {"error": str(err), "text": Path(file).read_text()[-2000:] if Path(file).exists() else None}
    lines = Path(f"runs/{name}.log").read_text().splitlines() if Path(f"runs/{name}.log").exists() else []
    entry["log_tail"] = lines[-30:]
Path(sys.argv[1]).write_text(json.dumps(results, indent=1))
EOF
tar czf "$OUT/runs.tar.gz" runs/*.log runs/*.json runs/*.jsonl runs/*.txt runs/*/metrics.jsonl runs/*/curves.png \
  runs/*/summary.json 2>/dev/null
for name in mel_16bar_hier_med mel_16bar_flat_med mel_2bar_med mel_2bar_chords; do
  [ -d "models/$name" ] && tar cf - "models/$name" | split -b 15M - "$OUT/$name.tar."
done
ls -la "$OUT"
