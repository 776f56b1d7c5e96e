#!/usr/bin/env bash
# Nightly fuzzing: a long differential campaign, then each cargo-fuzz target.
#
#   scripts/fuzz.sh                 # 30 min campaign + 10 min per cargo-fuzz target
#   CAMPAIGN=5m TARGET_SECONDS=60 scripts/fuzz.sh
#
# Findings of the campaign land in reports/nightly/<class>-<hash>/ (replay with
# `cargo run --release -p baton -- reproduce <dir>`); cargo-fuzz crashes in fuzz/artifacts/.
# Exit status: 1 if anything was found.
set -uo pipefail
cd "$(dirname "$0")/.."

CAMPAIGN="${CAMPAIGN:-30m}"
TARGET_SECONDS="${TARGET_SECONDS:-600}"
SEED="${SEED:-$(date +%s)}"
status=0

echo "== differential campaign (${CAMPAIGN}, seed ${SEED})"
cargo run --release -p baton -- fuzz --time "${CAMPAIGN}" --seed "${SEED}" --out reports/nightly || status=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked || { echo "cannot install cargo-fuzz; skipping targets"; exit "$status"; }
fi
if ! rustup toolchain list | grep -q nightly; then
  rustup toolchain install nightly --profile minimal || { echo "no nightly toolchain; skipping targets"; exit "$status"; }
fi
for target in checkpoint_roundtrip image_decode; do
  echo "== cargo fuzz ${target} (${TARGET_SECONDS}s)"
  (cd fuzz && cargo +nightly fuzz run "${target}" -- -max_total_time="${TARGET_SECONDS}") || status=1
done
exit "$status"
