//! The golden image pins format version 1: the image built in code must encode to exactly the
//! committed bytes, the bytes must decode to that image, and its text and JSON views must match the
//! committed text and JSON. As the Rust types are generated from `proto/baton.proto`, this also
//! fails when the schema drifts (a renumbered or retyped field changes the bytes; a renamed field,
//! or a serde attribute the build script no longer applies, changes the JSON). Regenerate (only for a deliberate format change, with a version bump) with
//! `BATON_REGENERATE_GOLDEN=1 cargo test -p baton-checkpoint --test golden`.

mod common;

use std::path::PathBuf;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::{
    decode, encode, from_json, to_json, to_text, validate, DecodeLimits, FORMAT_VERSION,
};

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

#[test]
fn golden_image_v1() {
    if std::env::var_os("BATON_REGENERATE_GOLDEN").is_some() {
        let wasm = common::sample_wasm();
        let analysis = ModuleAnalysis::new(&wasm).expect("sample module");
        let image = common::golden_image(&analysis);
        std::fs::write(golden("v1.wasm"), &wasm).expect("write v1.wasm");
        std::fs::write(golden("v1.img"), encode(&image)).expect("write v1.img");
        std::fs::write(golden("v1.txt"), to_text(&image)).expect("write v1.txt");
        std::fs::write(golden("v1.json"), to_json(&image)).expect("write v1.json");
    }
    assert_eq!(
        FORMAT_VERSION, 1,
        "a new format version needs new golden files"
    );
    let wasm = std::fs::read(golden("v1.wasm")).expect("v1.wasm is committed");
    let bytes = std::fs::read(golden("v1.img")).expect("v1.img is committed");
    let text = std::fs::read_to_string(golden("v1.txt")).expect("v1.txt is committed");
    let json = std::fs::read_to_string(golden("v1.json")).expect("v1.json is committed");
    let analysis = ModuleAnalysis::new(&wasm).expect("golden module is valid");
    let image = common::golden_image(&analysis);

    assert_eq!(
        encode(&image),
        bytes,
        "encoding changed: format version 1 is pinned"
    );
    assert_eq!(decode(&bytes, &DecodeLimits::default()), Ok(image.clone()));
    assert_eq!(to_text(&image), text, "text view changed");
    assert_eq!(to_json(&image), json, "JSON view changed");
    assert_eq!(from_json(&json).expect("golden JSON parses"), image);
    validate(&image, &analysis).expect("the golden image fits its module");
}
