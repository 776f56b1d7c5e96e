#!/usr/bin/env bash
# Mutation testing of the engines' image mapping (issue 14; not part of CI): `cargo mutants`
# mutates each engine's native <-> image mapping module and engines/runtime/src/image_map.rs,
# and the test of every mutant is a short seeded campaign (harness/tests/mapping_gate.rs: the
# seed corpus, then BATON_GATE_CASES generated cases from BATON_GATE_SEED, on the
# checkpointing engines; any finding fails it). A mutant the campaign misses is a gap in the
# generator, the schedules or the properties.
#
#   scripts/mutants.sh                                   # every mapping module
#   FILES="engines/stack/src/checkpoint.rs" scripts/mutants.sh
#   FILES=... MUTANTS_ARGS="--shard 0/8 --in-place" scripts/mutants.sh
#
# The unmutated tree must pass the gate first (run here: cargo-mutants' own baseline would run
# the mutated packages' tests, not the gate). Prints cargo-mutants' caught / missed / unviable
# / timeout counts (details in mutants.out/). cargo-mutants builds in a scratch copy of the
# tree (a full build first); `--in-place` reuses this tree and its target dir and restores each
# file after its mutant (do not build in the tree meanwhile: to keep working, run the script in
# a copy of the tree with its own CARGO_TARGET_DIR).
#
# Cost per mutant: the build uses the `mutants` cargo profile (Cargo.toml: release with
# incremental builds, 256 codegen units and opt-level 1 for the workspace's own crates,
# dependencies optimised as usual), so a mutant rebuilds the engine and relinks the harness in
# about half a minute on 2 loaded cores instead of minutes; one mutant at a time (cargo-mutants'
# default; `--jobs` cannot go with `--in-place`). PROFILE=release restores the old behaviour.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES="${FILES:-engines/stack/src/checkpoint.rs engines/register/src/checkpoint.rs engines/threaded/src/checkpoint.rs engines/runtime/src/image_map.rs}"
export BATON_GATE_CASES="${BATON_GATE_CASES:-300}"
export BATON_GATE_SEED="${BATON_GATE_SEED:-1}"
PROFILE="${PROFILE:-mutants}"
command -v cargo-mutants >/dev/null 2>&1 || cargo install --locked cargo-mutants
filters=()
for file in ${FILES}; do
  [ -f "${file}" ] || { echo "mutants.sh: no such file: ${file}" >&2; exit 2; }
  filters+=(--file "${file}")
done
gate=(--test mapping_gate)
gate_args=(-- --ignored --exact short_campaign_has_no_finding)
cargo test --profile "${PROFILE}" -p baton "${gate[@]}" "${gate_args[@]}" || {
  echo "mutants.sh: the unmutated tree fails the gate; fix that first" >&2
  exit 1
}
# shellcheck disable=SC2086 # MUTANTS_ARGS is a list of options
cargo mutants "${filters[@]}" --test-package baton --profile "${PROFILE}" --baseline skip \
  --timeout "${TIMEOUT:-300}" --cargo-arg=--test --cargo-arg=mapping_gate ${MUTANTS_ARGS:-} \
  -- "${gate_args[@]}"
