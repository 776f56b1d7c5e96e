//! The image decoder on arbitrary bytes: no panic, and whatever decodes round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(message) = baton::fuzz::targets::image_decode(data) {
        panic!("{message}");
    }
});
