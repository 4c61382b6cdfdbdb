#!/usr/bin/env bash
# One GPU session, as run on an NVIDIA H200 (see README, "Shipped models"): train the 16-bar
# hierarchical and flat models and the 2-bar `mel_2bar_med` side by side for a fixed wall time, then
# export them with their held-out figures (float32 weights, and the float16 check), and measure throughput.
#
# A smoke stage first trains, exports and evaluates each config for a few steps and stops the round at
# once if any of that fails, so a CUDA-only bug costs seconds of a lease, not the whole round.
# A run stopped by its time limit saves a checkpoint (SIGTERM) at the step it reached; the recipes in
# scripts/train_mel_16bar_folk.sh etc. give that step count, so `--steps N` reproduces the model without
# a clock. Needs the prepared folders that scripts/prepare_folk.sh writes.
#
# Usage: [OUT=dir] [TRAIN_SECONDS=390] [DEVICE=cuda] [EVAL_LIMIT=N] bash scripts/device_round.sh
set -u
OUT="${OUT:-out/device}"
TRAIN_SECONDS="${TRAIN_SECONDS:-390}"
DEVICE="${DEVICE:-cuda}"
LIMIT=${EVAL_LIMIT:+--limit $EVAL_LIMIT}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 OMP_NUM_THREADS=4
PY="${PYTHON:-python3}"
# config:training folder:held-out folder (ROUND_RUNS replaces the list, e.g. with the CPU configs for a dry run)
read -r -a RUNS <<<"${ROUND_RUNS:-mel_16bar_hier_med:folk16-any:folk16 mel_16bar_flat_med:folk16-any:folk16 mel_2bar_med:folk-any:folk}"
mkdir -p "$OUT" runs models
(date -u; nvidia-smi -L; "$PY" -c 'import torch; print("torch", torch.__version__)') >runs/machine.txt 2>&1
cat runs/machine.txt

smoke() {  # name train_data heldout
  local dir="/tmp/smoke/$1"
  "$PY" -m musicae train --data "data/prepared/$2" --config "$1" --out "$dir" --steps 3 --device "$DEVICE" \
    --eval-every 2 --log-every 1 --no-progress >"$dir.log" 2>&1 &&
  "$PY" scripts/export_model.py "$dir" "$dir-export" --fp16 >>"$dir.log" 2>&1 &&
  "$PY" -m musicae evaluate --checkpoint "$dir-export" --data "data/prepared/$3" --limit 64 --device "$DEVICE" \
    --no-progress >>"$dir.log" 2>&1 || { echo "SMOKE FAILED: $1"; tail -25 "$dir.log"; return 1; }
}
mkdir -p /tmp/smoke
start=$SECONDS
for run in "${RUNS[@]}"; do IFS=: read -r name data heldout <<<"$run"; smoke "$name" "$data" "$heldout" & done
failed=0; for job in $(jobs -p); do wait "$job" || failed=1; done
echo "smoke stage: $((SECONDS - start)) s, failed=$failed"
[ "$failed" = 0 ] || exit 3

train() {  # name train_data
  timeout -s TERM -k 60 "$TRAIN_SECONDS" "$PY" -m musicae train --data "data/prepared/$2" --config "$1" \
    --out "runs/$1" --steps 1000000 --device "$DEVICE" --eval-every 250 --checkpoint-every 1000 --log-every 50 \
    --no-progress >"runs/$1.log" 2>&1
  echo "$1 exit $?" >>runs/exits.txt
}
for run in "${RUNS[@]}"; do IFS=: read -r name data heldout <<<"$run"; train "$name" "$data" & done
wait
cat runs/exits.txt

evaluate() {  # name train_data heldout
  # A plain export first, so that a failure of the measured one below still brings the weights back.
  "$PY" scripts/export_model.py "runs/$1" "models/$1" --fp16 >"runs/$1.export.json" 2>"runs/$1.export.err"
  timeout 150 "$PY" scripts/export_model.py "runs/$1" "models/$1" --fp16 --heldout "data/prepared/$3" \
    --attributes "data/prepared/$2" --device "$DEVICE" >"runs/$1.export.json" 2>>"runs/$1.export.err" ||
  timeout 60 "$PY" -m musicae evaluate --checkpoint "runs/$1" --data "data/prepared/$3" --device "$DEVICE" \
      --batch-size 1024 --no-progress $LIMIT >"runs/$1.eval.json" 2>&1
}
for run in "${RUNS[@]}"; do IFS=: read -r name data heldout <<<"$run"; evaluate "$name" "$data" "$heldout" & done
wait
# The device tool returns at most 8 files of 16 MiB: the exported models travel as one tar in 15 MB parts.
tar cf - models | split -b 15000000 - "$OUT/models.tar."

timeout 45 "$PY" scripts/bench_sequence_speed.py --device "$DEVICE" ${BENCH_ARGS:---steps 5} \
  --configs mel_2bar_cpu mel_2bar_med mel_16bar_flat_med mel_16bar_hier_med >runs/bench_speed.jsonl 2>&1

"$PY" - "$OUT/results.json" "${RUNS[@]%%:*}" <<'PYEOF'
import json, sys
from pathlib import Path
results = {"machine": Path("runs/machine.txt").read_text()}
for name in sys.argv[2:]:
    entry = results[name] = {}
    for key, file in (("export", f"runs/{name}.export.json"), ("evaluate", f"runs/{name}.eval.json")):
        if not Path(file).exists():
            continue
        try:
            entry[key] = json.loads(Path(file).read_text())
        except Exception as err:
            entry[key] = {"error": str(err), "text": Path(file).read_text()[-2000:] if Path(file).exists() else None}
    lines = Path(f"runs/{name}.log").read_text().splitlines() if Path(f"runs/{name}.log").exists() else []
    entry["log_tail"] = lines[-20:]
results["bench"] = Path("runs/bench_speed.jsonl").read_text() if Path("runs/bench_speed.jsonl").exists() else None
Path(sys.argv[1]).write_text(json.dumps(results, indent=1))
PYEOF
tar czf "$OUT/runs.tar.gz" runs/*.log runs/*.json runs/*.jsonl runs/*.txt runs/*/metrics.jsonl runs/*/curves.png \
  runs/*/summary.json 2>/dev/null
ls -la "$OUT"
