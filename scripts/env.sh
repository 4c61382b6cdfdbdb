# Sourced by the set-up scripts: make .venv when missing, install musicae into it, activate it.
# Torch: a CPU build by default (torch==2.13.0). GPU users: install the torch build for your
# CUDA into .venv first (see the README); an existing torch is kept.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MUSICAE_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"
STAMP="$VENV/.musicae-installed"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "[setup] installing musicae and its dependencies into $VENV" >&2
  if ! python -c "import torch" 2>/dev/null; then
    python -m pip install --quiet ${MUSICAE_TORCH:-torch==2.13.0}
  fi
  python -m pip install --quiet -e "$ROOT[dev]"
  # real instrument sound without system packages: tinysoundfont plays pretty_midi's own GM SoundFont. Its
  # declared dependency (pyaudio, for live playback) needs a C build and is not used here: hence --no-deps.
  python -m pip install --quiet --no-deps "tinysoundfont==0.3.7" \
    || echo "[setup] warning: tinysoundfont did not install; WAVs will use the built-in synthesizer" >&2
  touch "$STAMP"
fi
cd "$ROOT"
