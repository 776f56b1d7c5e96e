//! The protocol's messages: Rust types generated from `proto/adapter.proto` by `build.rs`
//! (prost-build fed by protox). Their docs are the `.proto` comments; the wire format is
//! documented in `docs/adapter-protocol.md`.
//!
//! Enum fields are `i32` (prost keeps unknown numbers); the conversions in [`crate::convert`]
//! reject unknown and `UNSPECIFIED` numbers as protocol violations.

#![allow(missing_docs)] // prost does not document oneof enums' generated modules.

include!(concat!(env!("OUT_DIR"), "/baton.adapter.v1.rs"));
