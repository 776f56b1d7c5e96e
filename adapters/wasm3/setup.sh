#!/usr/bin/env bash
# Sets up the Wasm3 adapter: a virtual environment with requirements.txt (pywasm3 builds
# Wasm3's C with gcc) and the protocol's Python types generated into gen/. Idempotent; skips
# with one line (exit 0) when python3 is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "wasm3 adapter: skipped ($python not found)"
    exit 0
fi
if [ ! -x "$here/.venv/bin/python" ]; then
    "$python" -m venv "$here/.venv"
fi
stamp="$here/.venv/.requirements"
if ! cmp -s "$here/requirements.txt" "$stamp"; then
    "$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$stamp"
fi
mkdir -p "$here/gen"
"$here/.venv/bin/python" -m grpc_tools.protoc \
    -I"$root/protocol/proto" -I"$root/checkpoint/proto" \
    --python_out="$here/gen" adapter.proto baton.proto
echo "wasm3 adapter: ready ($here/.venv)"
