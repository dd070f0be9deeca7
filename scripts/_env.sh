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
  want="$(cat "$ROOT/pyproject.toml" "$ROOT/scripts/install" | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "[pulse] installing into $VENV (extras: ${extras:-none})" >&2
  PULSE_EDITABLE=1 "$ROOT/scripts/install" "$VENV/bin/python" "$extras"
  echo "$want" > "$stamp"
}
