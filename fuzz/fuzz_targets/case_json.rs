//! `case.json` parsing: no panic; what parses and checks round-trips.
//! Body: `baton::fuzz::targets::case_json::run`.
#![cfg_attr(fuzzing, no_main)]

baton_fuzz::fuzz_body!(case_json);
