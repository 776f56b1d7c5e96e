#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh on this machine, without Docker: $SRC and $OUT are temporary
# folders, the working tree is copied to $SRC/baton (its target/ is shared through a symlink,
# so the nightly build of scripts/fuzz.sh in target/x86_64-unknown-linux-gnu/ is reused), then every target in $OUT is
# checked: an executable, its .options, its seed corpus, and one pass over that corpus.
#
#   scripts/cflite-build-local.sh                 # sanitizer none (like scripts/fuzz.sh)
#   SANITIZER=address scripts/cflite-build-local.sh
#
# Exit status: 0 when every target built and ran its seeds; the folders are printed and kept
# when KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
SANITIZER="${SANITIZER:-none}"
SRC="$(mktemp -d)"
OUT="$(mktemp -d)"
export SRC OUT
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$SRC" "$OUT"; }
trap cleanup EXIT

mkdir -p "$SRC/baton" target
tar --exclude=./target --exclude=./fuzz/target --exclude=./fuzz/corpus \
    --exclude=./fuzz/artifacts --exclude=./reports --exclude=./.git -cf - . | tar -xf - -C "$SRC/baton"
ln -s "$repo/target" "$SRC/baton/target"
echo "== build.sh (SRC=$SRC OUT=$OUT, sanitizer ${SANITIZER})"
(
  cd "$SRC/baton"
  unset CARGO_TARGET_DIR
  # base-builder-rust provides nightly as the default toolchain; here it is selected explicitly.
  RUSTUP_TOOLCHAIN=nightly BATON_FUZZ_BUILD_FLAGS="--sanitizer ${SANITIZER}" bash "$SRC/baton/.clusterfuzzlite/build.sh"
)
status=0
targets="$(cd fuzz && ls fuzz_targets | sed 's/\.rs$//')"
for target in $targets; do
  binary="$OUT/$target"
  if [ ! -x "$binary" ]; then echo "$target: no executable in \$OUT"; status=1; continue; fi
  [ -f "$OUT/$target.options" ] || { echo "$target: no .options"; status=1; }
  seeds="$(mktemp -d)"
  if [ -f "$OUT/${target}_seed_corpus.zip" ]; then
    (cd "$seeds" && unzip -q "$OUT/${target}_seed_corpus.zip")
  fi
  count="$(ls "$seeds" | wc -l)"
  if "$binary" -runs=0 -rss_limit_mb=4096 "$seeds" >"$seeds.log" 2>&1; then
    echo "$target: ok ($(du -h "$binary" | cut -f1), ${count} seeds replayed)"
  else
    echo "$target: fails on its seed corpus:"; tail -5 "$seeds.log"; status=1
  fi
  rm -rf "$seeds" "$seeds.log"
done
[ "${KEEP:-0}" = 1 ] && echo "kept SRC=$SRC OUT=$OUT"
exit "$status"
