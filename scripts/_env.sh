# Shared set-up for scripts/serve and scripts/test: a repo-local .venv with CPU torch pinned.
# Idempotent: re-running only installs what changed (pip is a no-op when satisfied).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Everything the project caches stays inside the repo (CI caches nothing outside it).
export PULSE_CACHE_DIR="${PULSE_CACHE_DIR:-$ROOT/.cache}"
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

ensure_env() {
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.pulse-installed-$extras"
  local want
  want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "[pulse] installing into $VENV (extras: ${extras:-none})" >&2
  # CPU torch first: with it in place, the project's torch range installs nothing more.
  "$VENV/bin/pip" install -q torch==2.13.0 2> >(grep -v "is ignored: it is neither" >&2)
  # resemblyzer's metadata pulls the compiled webrtcvad and the old `typing` backport; its real
  # needs (librosa, scipy, webrtcvad-wheels, torch) are in pyproject.toml.
  "$VENV/bin/pip" install -q --no-deps resemblyzer==0.1.4 2> >(grep -v "is ignored: it is neither" >&2)
  local spec="$ROOT"
  [ -n "$extras" ] && spec="$ROOT[$extras]"
  "$VENV/bin/pip" install -q -e "$spec" 2> >(grep -v "is ignored: it is neither" >&2)
  echo "$want" > "$stamp"
}
