//! The image decoder on arbitrary bytes: never a panic, and whatever decodes re-encodes to
//! bytes that decode to the same image, with a text view.

use arbitrary::Unstructured;
use baton_checkpoint::{decode, encode, to_text, DecodeLimits};

use super::TargetFailure;

/// Decode limits small enough for a fuzzer's memory budget.
pub fn limits() -> DecodeLimits {
    DecodeLimits {
        max_bytes: 1 << 20,
        max_pages: 64,
        max_frames: 1024,
        max_values: 1 << 16,
        max_chunks: 1024,
        max_table_elements: 1 << 16,
    }
}

/// The target body.
pub fn run(u: &mut Unstructured<'_>) -> Result<(), TargetFailure> {
    let data = u.bytes(u.len()).unwrap_or_default();
    let Ok(image) = decode(data, &limits()) else {
        return Ok(());
    };
    let bytes = encode(&image);
    let violation = |m: String| Err(TargetFailure::Violation(m));
    match decode(&bytes, &DecodeLimits::default()) {
        Ok(again) if again == image => {}
        Ok(_) => return violation("decode(encode(decode(data))) differs from decode(data)".into()),
        Err(error) => return violation(format!("re-encoded image does not decode: {error}")),
    }
    if to_text(&image).is_empty() {
        return violation("empty text view".into());
    }
    Ok(())
}
