//! The bodies of the cargo-fuzz targets (`fuzz/fuzz_targets/`), kept in the library so the main
//! workspace's smoke test runs exactly what the nightly fuzzers run.
//!
//! Invariants: a target never panics on any input by itself; it returns the finding (or the
//! codec violation) so the fuzz target can turn it into a crash, and inputs that do not make a
//! case are simply uninteresting (`Ok`).

use baton_checkpoint::{decode, encode, to_text, DecodeLimits};

use super::engines::{default_names, resolve_all};
use super::exec::Limits;
use super::finding::Finding;
use super::generator::generate_from_bytes;
use super::oracles::{check_generated, Verdict};

/// Builds a case from `data` and checks every property on the default engines.
pub fn checkpoint_roundtrip(data: &[u8]) -> Result<(), Box<Finding>> {
    let names = default_names();
    let Ok(engines) = resolve_all(&names) else {
        return Ok(());
    };
    let checkpointers: Vec<String> = engines
        .iter()
        .filter(|e| e.checkpoints)
        .map(|e| e.name.clone())
        .collect();
    let Ok(generated) = generate_from_bytes(data, &names, &checkpointers) else {
        return Ok(());
    };
    match check_generated(&generated, &engines, &Limits::default())
        .1
        .verdict
    {
        Verdict::Finding(finding) => Err(finding),
        _ => Ok(()),
    }
}

/// Decodes `data` as an image; whatever decodes must re-encode to bytes that decode to the
/// same image, and have a text view.
pub fn image_decode(data: &[u8]) -> Result<(), String> {
    let limits = DecodeLimits {
        max_bytes: 1 << 20,
        max_pages: 64,
        max_frames: 1024,
        max_values: 1 << 16,
        max_chunks: 1024,
        max_table_elements: 1 << 16,
    };
    let Ok(image) = decode(data, &limits) else {
        return Ok(());
    };
    let bytes = encode(&image);
    match decode(&bytes, &DecodeLimits::default()) {
        Ok(again) if again == image => {}
        Ok(_) => return Err("decode(encode(decode(data))) differs from decode(data)".into()),
        Err(error) => return Err(format!("re-encoded image does not decode: {error}")),
    }
    if to_text(&image).is_empty() {
        return Err("empty text view".into());
    }
    Ok(())
}
