#!/usr/bin/env bash
# Builds corpus/programs/*.c to wasm32-wasi commands and corpus/programs/library/*.c to
# library modules (Debian's clang, lld, wasi-libc, libclang-rt-14-dev-wasm32; scripts/setup.sh
# installs them) into OUT (default: corpus/programs/build). With --expected, also builds each
# command natively with gcc and writes corpus/programs/expected/<name>.stdout and .exit (the
# checked-in expectations).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=corpus/programs
OUT=${OUT:-$SRC/build}
mkdir -p "$OUT"
for c in "$SRC"/*.c; do
  name=$(basename "$c" .c)
  clang --target=wasm32-wasi -O2 -Wl,--strip-all "$c" -o "$OUT/$name.wasm"
done
# Library modules (corpus/programs/library/): exported functions, no entry point, no imports.
for c in "$SRC"/library/*.c; do
  name=$(basename "$c" .c)
  clang --target=wasm32-wasi -O2 -nostartfiles -Wl,--no-entry -Wl,--strip-all "$c" -o "$OUT/$name.wasm"
done
if [[ "${1:-}" == "--expected" ]]; then
  mkdir -p "$SRC/expected"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for c in "$SRC"/*.c; do
    name=$(basename "$c" .c)
    gcc -O2 -o "$tmp/$name" "$c"
    # The programs use only relative paths: run each in an empty directory, as the WASI
    # host's preopened directory is empty at the start.
    mkdir -p "$tmp/run-$name"
    status=0
    (cd "$tmp/run-$name" && "$tmp/$name" > "$tmp/$name.stdout") || status=$?
    cp "$tmp/$name.stdout" "$SRC/expected/$name.stdout"
    echo "$status" > "$SRC/expected/$name.exit"
  done
fi
echo "built $(ls "$OUT"/*.wasm | wc -l) programs into $OUT"
