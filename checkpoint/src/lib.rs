//! baton's engine-neutral checkpoint image of one WebAssembly instance.
//!
//! The schema lives in `proto/baton.proto`; [`image`] holds the Rust types generated from it. [`codec`] turns images
//! into canonical bytes and back, [`analysis`] indexes a module once for pc-level type queries,
//! [`validate`](mod@validate) checks an image against a module before any engine touches it, and
//! [`text`] and [`json`] give human and tool views. `FORMAT.md` documents every field.

pub mod analysis;
pub mod codec;
mod head;
pub mod image;
pub mod json;
pub mod kinds;
pub mod memory;
mod point_store;
mod serde_fields;
#[cfg(feature = "spec-suite")]
pub mod spec_suite;
pub mod structure;
pub mod text;
pub mod validate;
pub mod values;
mod wire;

pub use codec::{decode, encode, encode_into, DecodeError, DecodeLimits, FORMAT_VERSION, MAGIC};
pub use image::*;
pub use json::{from_json, to_json, JsonError};
pub use kinds::{EventKind, KindSet};
pub use text::to_text;
pub use validate::{validate, ValidationError};
