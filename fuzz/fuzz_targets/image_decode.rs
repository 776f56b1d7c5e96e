//! The image decoder on arbitrary bytes: no panic, and whatever decodes round-trips.
//! Body: `baton::fuzz::targets::image_decode::run`.
#![cfg_attr(fuzzing, no_main)]

baton_fuzz::fuzz_body!(image_decode);
