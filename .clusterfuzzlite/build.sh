#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: every cargo-fuzz target of fuzz/ into $OUT, with its
# libFuzzer options (fuzz/options/<target>.options) and seed corpus (<target>_seed_corpus.zip,
# from corpus/ via scripts/fuzz-seeds.sh).
#
# Inputs: $SRC (the repository is $SRC/baton), $OUT; optional BATON_FUZZ_BUILD_FLAGS (extra
# `cargo fuzz build` flags; scripts/cflite-build-local.sh passes `--sanitizer none` to reuse
# scripts/fuzz.sh's build).
cd "$SRC/baton"
# shellcheck disable=SC2086
cargo fuzz build -O ${BATON_FUZZ_BUILD_FLAGS:-}
# fuzz/ is a workspace member: cargo-fuzz builds into the workspace target folder.
built=target/x86_64-unknown-linux-gnu/release
for target in $(cargo fuzz list); do
  cp "$built/$target" "$OUT/"
  if [ -f "fuzz/options/$target.options" ]; then
    cp "fuzz/options/$target.options" "$OUT/"
  fi
  seeds=$(mktemp -d)
  bash scripts/fuzz-seeds.sh "$target" "$seeds" >/dev/null
  if [ -n "$(ls "$seeds")" ]; then
    (cd "$seeds" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  fi
  rm -rf "$seeds"
done
