#!/usr/bin/env bash
# Installs what baton needs beyond the Rust toolchain. Idempotent.
set -euo pipefail
rustup component add rustfmt clippy >/dev/null 2>&1 || true
