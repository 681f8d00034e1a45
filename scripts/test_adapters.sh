#!/usr/bin/env bash
# Run the engine-adapter tests (verl, TRL) in their own virtual environments.
#
# verl 0.9.1 pins transformers<5.11 while rlver's main venv and TRL 1.16 use transformers 5.23, so
# each engine gets a venv of its own under $RLVER_ADAPTER_VENVS (default: .venv-adapters/). A venv
# is reused when its recorded requirements still match (idempotent), rebuilt otherwise. Both venvs
# are built in parallel (the installs mostly wait on the network). Every step is bounded by a
# timeout; any failure stops the script with a non-zero exit code and the failing step's log.
#
#   scripts/test_adapters.sh            # build/reuse both venvs, run both adapter suites
#   scripts/test_adapters.sh trl        # only TRL (or: verl)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENVS="${RLVER_ADAPTER_VENVS:-$ROOT/.venv-adapters}"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH:-torch==2.13.0}"          # the CPU build lying on CI machines' disks
VERL_SPEC="verl==0.9.1"
# A cluster installs `rlver[verl]`, i.e. verl[vllm]==0.9.1 (vLLM 0.24, torch 2.11 with CUDA: several GB).
# This CPU venv installs verl plus the pieces of its `verl-core` extra that its CPU paths import:
# TransferQueue (the default V1 trainer and its agent-loop worker import it; it brings pyzmq and
# msgspec), and cachetools, uvicorn and fastapi (the agent loop imports them). vLLM itself is left
# out: the tests stand in for the servers.
VERL_RUNTIME=("TransferQueue==0.1.11" cachetools uvicorn fastapi)
TRL_SPEC="trl==1.16.0"
INSTALL_TIMEOUT="${RLVER_ADAPTER_INSTALL_TIMEOUT:-1200}"   # seconds per venv build
TEST_TIMEOUT="${RLVER_ADAPTER_TEST_TIMEOUT:-600}"          # seconds per test suite
ENGINES=("${@:-verl trl}")
read -r -a ENGINES <<< "${ENGINES[*]}"

export PIP_DISABLE_PIP_VERSION_CHECK=1
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TRL_EXPERIMENTAL_SILENCE=1
# rlver's own runtime dependencies, without the offline simulator's embedder (the adapter tests use
# a scripted simulator) so that the engines' pins decide transformers and friends.
RLVER_DEPS=(httpx pydantic typer rich pyyaml numpy safetensors tokenizers accelerate pytest pytest-asyncio)

mkdir -p "$VENVS"
[ -f "$VENVS/.gitignore" ] || echo '*' > "$VENVS/.gitignore"

log() { printf '[test_adapters] %s\n' "$*"; }

# What a venv was built from; a change rebuilds it.
fingerprint() {
  local engine="$1"
  {
    "$PYTHON" --version
    echo "$TORCH_SPEC $VERL_SPEC ${VERL_RUNTIME[*]} $TRL_SPEC ${RLVER_DEPS[*]} $engine"
    cat "$ROOT/constraints.txt"
    sed -n '/^dependencies/,/^]/p' "$ROOT/pyproject.toml"
  } | sha256sum | cut -d' ' -f1
}

build_venv() {  # build_venv ENGINE: create or reuse $VENVS/ENGINE; output goes to the caller's log
  local engine="$1" dir="$VENVS/$1" want
  want="$(fingerprint "$engine")"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.rlver-built" 2>/dev/null)" = "$want" ]; then
    echo "reusing $dir"
    "$dir/bin/pip" install -q --no-deps -e "$ROOT"   # cheap: picks up a moved checkout
    return 0
  fi
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  local pip=("$dir/bin/pip" install -q)
  "${pip[@]}" "$TORCH_SPEC"
  local pins="$dir/pins.txt"
  case "$engine" in
    verl)
      "${pip[@]}" -c "$ROOT/constraints.txt" "$VERL_SPEC" "${VERL_RUNTIME[@]}"
      ;;
    trl)
      "${pip[@]}" -c "$ROOT/constraints.txt" "$TRL_SPEC" datasets
      ;;
    *) echo "unknown engine $engine" >&2; return 2 ;;
  esac
  # Freeze what the engine chose so rlver's dependencies cannot move it.
  "$dir/bin/pip" freeze | grep -iE '^(torch|transformers|tokenizers|accelerate|numpy|pydantic)==' > "$pins" || true
  "${pip[@]}" -c "$pins" "${RLVER_DEPS[@]}"
  "${pip[@]}" --no-deps -e "$ROOT"
  "$dir/bin/python" -c "import rlver, transformers, torch; print('rlver ok; transformers', transformers.__version__, '; torch', torch.__version__)"
  echo "$want" > "$dir/.rlver-built"
}

# 1. Build (or reuse) the venvs in parallel, each bounded by a timeout.
declare -A PIDS=()
for engine in "${ENGINES[@]}"; do
  log "venv $engine: building or reusing (log: $VENVS/$engine.build.log)"
  timeout --kill-after=30 "$INSTALL_TIMEOUT" bash -c "$(declare -f fingerprint build_venv); $(declare -p ROOT VENVS PYTHON TORCH_SPEC VERL_SPEC VERL_RUNTIME TRL_SPEC RLVER_DEPS); set -euo pipefail; build_venv $engine" \
    > "$VENVS/$engine.build.log" 2>&1 &
  PIDS[$engine]=$!
done
failed=0
for engine in "${!PIDS[@]}"; do
  if ! wait "${PIDS[$engine]}"; then
    log "FAILED to build the $engine venv; last lines of $VENVS/$engine.build.log:"
    tail -n 40 "$VENVS/$engine.build.log" >&2
    failed=1
  else
    log "venv $engine ready: $(tail -n 1 "$VENVS/$engine.build.log")"
  fi
done
[ "$failed" = 0 ] || exit 1

# 2. Run each engine's tests in its venv. RLVER_REQUIRE_ADAPTERS turns a missing engine into an
#    error instead of a skip, so a broken venv cannot pass silently.
status=0
for engine in "${ENGINES[@]}"; do
  log "tests with $engine"
  if ! (cd "$ROOT" && RLVER_REQUIRE_ADAPTERS=1 PYTHONPATH="$ROOT" timeout --kill-after=30 "$TEST_TIMEOUT" \
        "$VENVS/$engine/bin/python" -m pytest -q -p no:cacheprovider "tests/adapters/test_${engine}_adapter.py"); then
    log "FAILED: $engine adapter tests"
    status=1
  fi
done
exit "$status"
