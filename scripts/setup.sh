#!/usr/bin/env bash
# Installs what baton needs beyond the Rust toolchain. Idempotent.
set -euo pipefail
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# Out-of-process oracle adapters (adapters/*/setup.sh): each skips with one line when its tool
# (python3, node) is missing; a failed install is reported but leaves baton itself usable.
cd "$(dirname "$0")/.."
for adapter in wasm3 v8; do
    if [ -f "adapters/$adapter/setup.sh" ]; then
        bash "adapters/$adapter/setup.sh" || echo "$adapter adapter: setup failed; it will be skipped"
    fi
done
