#!/usr/bin/env bash
# Seed corpus of one cargo-fuzz target, from the committed corpora:
#   scripts/fuzz-seeds.sh TARGET DIR
# Every target gets the regressions' case.json files (case_json parses them; the others take
# their bytes as a starting point), differential and restore also the regressions' module.wasm,
# the corpus/seeds/*.wat texts and RANDOM_SEEDS (default 64) random inputs of 2-8 KiB (what
# `baton fuzz` feeds wasm-smith: libFuzzer grows inputs slowly from nothing, and short inputs
# make trivial modules), image_decode also any committed image (*.img) under
# corpus/regressions/. Files are named by content hash, so re-running adds nothing twice.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz-seeds.sh TARGET DIR}"
dir="${2:?usage: scripts/fuzz-seeds.sh TARGET DIR}"
mkdir -p "$dir"

files=(corpus/regressions/*/case.json)
case "$target" in
  differential|restore) files+=(corpus/regressions/*/module.wasm corpus/seeds/*.wat) ;;
  image_decode) shopt -s nullglob; files+=(corpus/regressions/*/*.img) ;;
  case_json) ;;
  *) echo "fuzz-seeds: unknown target ${target} (differential, restore, case_json, image_decode)" >&2; exit 2 ;;
esac
count=0
if [ "$target" = differential ] || [ "$target" = restore ]; then
  for _ in $(seq "${RANDOM_SEEDS:-64}"); do
    random="$dir/.random"
    head -c $((2048 + RANDOM % 6144)) /dev/urandom >"$random"
    mv "$random" "$dir/random-$(sha1sum "$random" | cut -c1-40)"
    count=$((count + 1))
  done
fi
for file in "${files[@]}"; do
  [ -f "$file" ] || continue
  hash="$(sha1sum "$file" | cut -c1-40)"
  cp "$file" "$dir/seed-$hash"
  count=$((count + 1))
done
echo "fuzz-seeds: ${count} seeds for ${target} in ${dir}"
