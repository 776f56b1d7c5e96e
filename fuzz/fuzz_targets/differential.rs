//! Coverage-guided differential checkpoint/restore: every choice (engines, module, arguments, schedule) from libFuzzer's bytes; any finding but `oracle` is a crash. Engine pool: `BATON_FUZZ_ENGINES` (mutants allowed).
//! Body: `baton::fuzz::targets::differential::run`.
#![cfg_attr(fuzzing, no_main)]

baton_fuzz::fuzz_body!(differential);
