//! baton's out-of-process adapter protocol (`docs/adapter-protocol.md`, `proto/adapter.proto`).
//!
//! An engine written in any language becomes a baton engine by serving the protocol on its
//! stdin/stdout; the harness drives it through [`client::ProcessEngine`], which implements
//! [`baton_engine::Engine`] like any in-process adapter. [`server::serve`] is the reference
//! implementation of the adapter side: it serves any `Box<dyn Engine>`.
//!
//! - [`pb`]: the generated message types;
//! - [`frame`]: framing (a little-endian `u32` length, then one protobuf message);
//! - [`convert`]: the adapter vocabulary ⇄ messages, rejecting what the protocol forbids;
//! - [`server`]: serve an engine over a reader/writer pair;
//! - [`client`]: drive a child process as an [`baton_engine::Engine`].
//!
//! Invariant: no bytes from the peer make either side panic; the client turns every failure of
//! the adapter process (crash, hang, malformed bytes, protocol violation) into
//! [`baton_engine::EngineError::Adapter`] with the adapter's stderr tail.

pub mod client;
pub mod convert;
pub mod frame;
pub mod handshake;
pub mod pb;
pub mod server;

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: pb::ProtocolVersion = pb::ProtocolVersion::ProtocolVersion1;
