//! Hostile images (real images with mutated bytes or fields) restored on every checkpointing engine: an engine panic or hang is a crash.
//! Body: `baton::fuzz::targets::restore::run`.
#![cfg_attr(fuzzing, no_main)]

baton_fuzz::fuzz_body!(restore);
