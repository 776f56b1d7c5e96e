#!/usr/bin/env bash
# Installs what baton needs beyond the Rust toolchain. Idempotent.
set -euo pipefail
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# The C programs of corpus/programs/ build with Debian's clang, lld, wasi-libc and the wasm32
# compiler runtime (scripts/build-programs.sh); install them when missing (non-interactive).
wasm_c_packages=(clang lld wasi-libc libclang-rt-14-dev-wasm32)
missing=()
for package in "${wasm_c_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: cannot install ${missing[*]} (no apt-get); corpus/programs tests will fail" >&2
  fi
fi
# Out-of-process oracle adapters (adapters/*/setup.sh): each skips with one line when its tool
# (python3, node) is missing; a failed install is reported but leaves baton itself usable.
cd "$(dirname "$0")/.."
for adapter in wasm3 v8; do
    if [ -f "adapters/$adapter/setup.sh" ]; then
        bash "adapters/$adapter/setup.sh" || echo "$adapter adapter: setup failed; it will be skipped"
    fi
done
