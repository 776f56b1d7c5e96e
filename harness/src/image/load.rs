//! Loading untrusted image and module files: size check first, then decode under limits.
//!
//! Invariant: nothing larger than [`DecodeLimits::max_bytes`] is read into memory.

use std::io::Read;
use std::path::Path;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::Image;
use baton_checkpoint::{decode, from_json, DecodeLimits, MAGIC};

use super::error::ImageToolError;

/// Reads at most `limit` bytes of `path`; larger files are [`ImageToolError::TooLarge`].
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ImageToolError> {
    let read = |source| ImageToolError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read)?;
    let size = bytes.len() as u64;
    if size > limit {
        return Err(ImageToolError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        });
    }
    Ok(bytes)
}

/// Loads an image file: the canonical binary, or its JSON view (`baton image json`).
pub fn load_image(path: &Path, limits: &DecodeLimits) -> Result<Image, ImageToolError> {
    let limit = u64::try_from(limits.max_bytes).unwrap_or(u64::MAX);
    let bytes = read_limited(path, limit)?;
    if bytes.starts_with(&MAGIC) {
        return decode(&bytes, limits).map_err(|source| ImageToolError::Decode {
            path: path.to_path_buf(),
            source: Box::new(source),
        });
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ImageToolError::NotAnImage {
            path: path.to_path_buf(),
            reason: "neither the binary format (magic BATONIMG) nor its JSON view".into(),
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|error| ImageToolError::NotAnImage {
        path: path.to_path_buf(),
        reason: format!("JSON view is not UTF-8: {error}"),
    })?;
    from_json(text).map_err(|source| ImageToolError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// The largest module file the tools read (wasmparser's own limits are far below this).
const MAX_MODULE_BYTES: u64 = 1 << 30;

/// Loads and analyses a module file (binary or WAT text).
pub fn load_module(path: &Path) -> Result<(Vec<u8>, ModuleAnalysis), ImageToolError> {
    let bytes = read_limited(path, MAX_MODULE_BYTES)?;
    let module = |reason: String| ImageToolError::Module {
        path: path.to_path_buf(),
        reason,
    };
    let wasm = wat::parse_bytes(&bytes)
        .map_err(|error| module(format!("not a module: {error}")))?
        .into_owned();
    let analysis = ModuleAnalysis::new(&wasm).map_err(|error| module(error.to_string()))?;
    Ok((wasm, analysis))
}
