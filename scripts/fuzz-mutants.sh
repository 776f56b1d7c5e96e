#!/usr/bin/env bash
# Shows that the coverage-guided differential target finds every corruption mutant: for each
# kind, `cargo fuzz run differential` with the pool wasmi + mutant-<kind>:register must crash
# within SECONDS, and its crash artifact must replay with `baton reproduce` (exit 1) into a
# finding directory of the expected class.
#
#   scripts/fuzz-mutants.sh                # 120 s per mutant at most
#   SECONDS_PER_MUTANT=60 KINDS="lost-label" scripts/fuzz-mutants.sh
#
# Prints one line per mutant (kind, seconds to the crash, executions, class) and exits 1 if
# any mutant was not found.
set -uo pipefail
cd "$(dirname "$0")/.."
LIMIT="${SECONDS_PER_MUTANT:-120}"
KINDS="${KINDS:-wrong-operand swapped-operands off-by-one-pc lost-label stale-memory-chunk dropped-flag-lost}"
SANITIZER="${SANITIZER:-none}"
fuzz=(env -u CARGO_TARGET_DIR cargo +nightly fuzz)
flags=(-O --sanitizer "${SANITIZER}")
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked || exit 1
"${fuzz[@]}" build "${flags[@]}" differential || exit 1
scratch="$(mktemp -d)"
# A private copy (BATON overrides): a shared CARGO_TARGET_DIR may get another checkout's baton.
if [ -z "${BATON:-}" ]; then
  cargo build --release --quiet -p baton || exit 1
  cp "${CARGO_TARGET_DIR:-target}/release/baton" "${scratch}/baton"
fi
baton="${BATON:-${scratch}/baton}"
status=0
printf '%-20s %8s %10s %s\n' mutant seconds execs finding
for kind in ${KINDS}; do
  export BATON_FUZZ_ENGINES="wasmi,mutant-${kind}:register"
  work="${scratch}/${kind}"
  mkdir -p "${work}/corpus" "${work}/artifacts" "${work}/seeds"
  bash scripts/fuzz-seeds.sh differential "${work}/seeds" >/dev/null
  start=$(date +%s.%N)
  "${fuzz[@]}" run "${flags[@]}" differential "${work}/corpus" "${work}/seeds" -- \
    -max_total_time="${LIMIT}" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="${work}/artifacts/" >"${work}/log" 2>&1
  rc=$?
  seconds=$(echo "$(date +%s.%N) - ${start}" | bc)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "${work}/log" | grep -o '[0-9]*$' || true)
  crash=$(ls "${work}/artifacts"/crash-* 2>/dev/null | head -1)
  if [ "$rc" -eq 0 ] || [ -z "${crash}" ]; then
    printf '%-20s %8.1f %10s %s\n' "${kind}" "${seconds}" "${execs:-?}" "NOT FOUND (exit ${rc})"
    status=1
    continue
  fi
  out="${work}/reports"
  "${baton}" reproduce "${crash}" --out "${out}" >"${work}/reproduce" 2>&1
  replay=$?
  dir=$(sed -n 's/^finding written to //p' "${work}/reproduce")
  if [ "${replay}" -ne 1 ] || [ -z "${dir}" ]; then
    printf '%-20s %8.1f %10s %s\n' "${kind}" "${seconds}" "${execs:-?}" "crash does not replay (exit ${replay})"
    status=1
    continue
  fi
  printf '%-20s %8.1f %10s %s\n' "${kind}" "${seconds}" "${execs:-?}" "$(basename "${dir}")"
done
rm -rf "${scratch}"
exit "$status"
