//! Coverage-guided differential checkpoint/restore: fuzzer bytes become a module (wasm-smith),
//! invocations and a schedule; any finding of the five properties is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = baton::fuzz::targets::checkpoint_roundtrip(data) {
        panic!("{}: {}", finding.summary, finding.first_difference);
    }
});
