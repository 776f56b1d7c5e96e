//! The image's data model: Rust types generated from `proto/baton.proto`, encoded with prost.
//!
//! `build.rs` generates them at build time with prost-build from the schema as parsed by protox
//! (pure Rust: no `protoc` needed), so they cannot drift from the `.proto` file; their doc
//! comments are its comments. The build also derives serde for the JSON view ([`crate::json`]).
//! Every field's meaning, unit and ordering rule is documented in the `.proto` file and in
//! `FORMAT.md`.
//!
//! Enum fields are `i32` (prost's representation, which keeps unknown numbers); prost generates
//! typed accessors such as [`SafePoint::kind()`] and [`Label::kind()`] that read them as
//! [`SafePointKind`] and [`LabelKind`].
//!
//! Invariants the types cannot express (checked by [`crate::validate()`] and the canonical decoder):
//! lists are in their documented order, chunks are 4096 bytes and non-zero, host-section names are
//! sorted and unique, enum fields hold a known non-zero value, a `Value` always has a kind.

/// Bytes per memory chunk.
pub const CHUNK_SIZE: usize = 4096;
/// Bytes per WebAssembly page.
pub const PAGE_SIZE: u64 = 65536;

include!(concat!(env!("OUT_DIR"), "/baton.v1.rs"));
