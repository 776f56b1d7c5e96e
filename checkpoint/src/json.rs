//! The JSON view of an image, for tools (serde).
//!
//! Field names are the protobuf field names; byte strings (hash, chunk data, host sections,
//! `v128`) are lowercase hex strings; enum fields are their lowercase names (`"call"`, `"loop"`);
//! values are `{"kind": {"i32": 42}}`. 64-bit numbers whose exact value matters (`i64` and `f64`
//! bits, externref handles, the event number) are decimal strings, as in protobuf's JSON mapping,
//! so tools that read JSON numbers as doubles (JavaScript, jq) cannot round them.
//! [`from_json`] parses that form back and runs the structural checks, so a JSON round trip goes
//! through the same rules as the binary codec.

use crate::image::Image;
use crate::structure::{check_structure, StructureError};

/// Why JSON text is not an image.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Not valid JSON for the image schema.
    #[error("invalid image JSON: {0}")]
    Syntax(#[from] serde_json::Error),
    /// Valid JSON describing a malformed image.
    #[error("malformed image: {0}")]
    Structure(#[from] StructureError),
}

/// The pretty-printed JSON view of `image`.
pub fn to_json(image: &Image) -> String {
    // Serializing these plain data types to a string cannot fail.
    serde_json::to_string_pretty(image).unwrap_or_default()
}

/// Parses the JSON view back into an image and checks its structure.
pub fn from_json(text: &str) -> Result<Image, JsonError> {
    let image: Image = serde_json::from_str(text)?;
    check_structure(&image)?;
    Ok(image)
}
