#!/usr/bin/env bash
# Nightly fuzzing on this machine: a differential campaign, then each cargo-fuzz target with
# its corpus (seeded from corpus/, new coverage merged back into fuzz/corpus/<target>/).
#
#   scripts/fuzz.sh                               # 30 min campaign + 10 min per target
#   CAMPAIGN=2m TARGET_SECONDS=60 scripts/fuzz.sh # short budgets
#   TARGETS="differential" BATON_FUZZ_ENGINES=wasmi,mutant-lost-label:register scripts/fuzz.sh
#
# Findings: campaign -> reports/nightly/<class>-<hash>/; cargo-fuzz crashes ->
# fuzz/artifacts/<target>/crash-*, and each differential crash is replayed into
# reports/nightly-fuzz/<class>-<hash>/ with `baton reproduce`. CAMPAIGN=0 skips the campaign.
# Needs a nightly toolchain (installed here) and cargo-fuzz (installed when missing).
# Exit status: 1 if anything was found or any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

CAMPAIGN="${CAMPAIGN:-30m}"
TARGET_SECONDS="${TARGET_SECONDS:-600}"
SEED="${SEED:-$(date +%s)}"
TARGETS="${TARGETS:-differential restore case_json image_decode}"
# Sanitizer of the libFuzzer builds (address, none, ...); none is fastest for safe Rust.
SANITIZER="${SANITIZER:-none}"
status=0
baton=(cargo run --release --quiet -p baton --)

if [ "$CAMPAIGN" != "0" ]; then
  echo "== differential campaign (${CAMPAIGN}, seed ${SEED}) -> reports/nightly"
  "${baton[@]}" fuzz --time "${CAMPAIGN}" --seed "${SEED}" --out reports/nightly || status=1
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked || { echo "cannot install cargo-fuzz"; exit 1; }
fi
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal || { echo "no nightly toolchain"; exit 1; }
fi

# cargo-fuzz builds with nightly and sanitizer flags into the workspace's
# target/x86_64-unknown-linux-gnu/ (fuzz/ is a member), never into a shared CARGO_TARGET_DIR.
fuzz=(env -u CARGO_TARGET_DIR cargo +nightly fuzz)
flags=(-O --sanitizer "${SANITIZER}")
for target in ${TARGETS}; do
  corpus="fuzz/corpus/${target}"
  seeds="$(mktemp -d)"
  fresh="$(mktemp -d)"
  mkdir -p "${corpus}" "fuzz/artifacts/${target}"
  bash scripts/fuzz-seeds.sh "${target}" "${seeds}" || status=1
  before="$(ls "${corpus}" | wc -l)"
  echo "== cargo fuzz ${target} (${TARGET_SECONDS}s, corpus ${before} entries)"
  # New entries go to ${fresh}; the corpus and the seeds are read.
  "${fuzz[@]}" run "${flags[@]}" "${target}" "${fresh}" "${corpus}" "${seeds}" -- \
    -max_total_time="${TARGET_SECONDS}" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "== ${target}: crash (exit ${rc}); artifacts in fuzz/artifacts/${target}/"
    status=1
  fi
  # Merge what added coverage (seeds and new entries) back into the kept corpus.
  "${fuzz[@]}" run "${flags[@]}" "${target}" "${corpus}" "${seeds}" "${fresh}" -- -merge=1 \
    -timeout=60 -rss_limit_mb=4096 >/dev/null 2>&1 || status=1
  echo "== ${target}: corpus ${before} -> $(ls "${corpus}" | wc -l) entries"
  rm -rf "${seeds}" "${fresh}"
done

# Differential crashes become finding directories (BATON_FUZZ_ENGINES as during fuzzing).
shopt -s nullglob
for crash in fuzz/artifacts/differential/crash-*; do
  echo "== reproduce ${crash}"
  "${baton[@]}" reproduce "${crash}" --out reports/nightly-fuzz >/dev/null
  case $? in
    1) status=1 ;;
    0) echo "   (passes now)" ;;
    *) echo "   cannot replay"; status=1 ;;
  esac
done
exit "$status"
