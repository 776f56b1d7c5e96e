//! Every module of the WebAssembly 2.0 spec suite that baton's analysis accepts is rewritten
//! (full rewrite, with a frame limit, and the MVP rewrite where the module is MVP) into a
//! module that validates: dead code, unusual block types and every instruction of the suite
//! pass through the rewrite's signature and local changes.

use baton_checkpoint::spec_suite;
use baton_instrument::{instrument_analysed, InstrumentError, Options};

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
    for (name, wasm) in spec_suite::modules() {
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
