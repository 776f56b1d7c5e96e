//! The image's data model: Rust mirrors of `proto/baton.proto`, encoded with prost.
//!
//! These types are written by hand with prost's derives (no protoc at build time) and must stay
//! field-for-field identical to the `.proto` file. Every field's meaning, unit and ordering rule is
//! documented in the `.proto` file and in `FORMAT.md`; the doc comments here repeat the essentials.
//!
//! Invariants the types cannot express (checked by [`crate::validate()`] and the canonical decoder):
//! lists are in their documented order, chunks are 4096 bytes and non-zero, host-section names are
//! sorted and unique, enum fields hold a known non-zero value, a `Value` always has a kind.

use serde::{Deserialize, Serialize};

/// Bytes per memory chunk.
pub const CHUNK_SIZE: usize = 4096;
/// Bytes per WebAssembly page.
pub const PAGE_SIZE: u64 = 65536;

/// One WebAssembly instance's state.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Image {
    /// SHA-256 of the module's binary, 32 bytes.
    #[prost(bytes = "vec", tag = "1")]
    #[serde(with = "hex_bytes")]
    pub module_sha256: Vec<u8>,
    /// Every memory of the instance, imported ones first, in index order.
    #[prost(message, repeated, tag = "2")]
    pub memories: Vec<Memory>,
    /// Every global of the instance, imported ones first, in index order.
    #[prost(message, repeated, tag = "3")]
    pub globals: Vec<Value>,
    /// Every table of the instance, imported ones first, in index order.
    #[prost(message, repeated, tag = "4")]
    pub tables: Vec<Table>,
    /// One flag per data segment, in index order: true once dropped.
    #[prost(bool, repeated, tag = "5")]
    pub dropped_data: Vec<bool>,
    /// One flag per element segment, in index order: true once dropped.
    #[prost(bool, repeated, tag = "6")]
    pub dropped_elements: Vec<bool>,
    /// Opaque embedder-owned sections, sorted by name, names unique.
    #[prost(message, repeated, tag = "7")]
    pub host_sections: Vec<HostSection>,
    /// The call in progress; `None` when the instance is idle.
    #[prost(message, optional, tag = "8")]
    pub execution: Option<Execution>,
}

/// A linear memory: size in pages and its non-zero 4096-byte chunks.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Memory {
    /// Current size in 64 KiB pages.
    #[prost(uint64, tag = "1")]
    pub pages: u64,
    /// Maximum size in pages, when the memory has one.
    #[prost(uint64, optional, tag = "2")]
    pub max_pages: Option<u64>,
    /// Non-zero chunks, strictly ascending by index.
    #[prost(message, repeated, tag = "3")]
    pub chunks: Vec<Chunk>,
}

/// [`CHUNK_SIZE`] bytes of memory starting at byte `index * CHUNK_SIZE`.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Chunk {
    /// Chunk number: the chunk covers bytes `index * 4096 .. (index + 1) * 4096`.
    #[prost(uint64, tag = "1")]
    pub index: u64,
    /// Exactly [`CHUNK_SIZE`] bytes, not all zero.
    #[prost(bytes = "vec", tag = "2")]
    #[serde(with = "hex_bytes")]
    pub data: Vec<u8>,
}

/// A table: its elements (the size is their count) and its maximum.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Table {
    /// Each element is a `funcref` or `externref` value of the table's element type.
    #[prost(message, repeated, tag = "1")]
    pub elements: Vec<Value>,
    /// Maximum size, when the table has one.
    #[prost(uint64, optional, tag = "2")]
    pub max: Option<u64>,
}

/// Named opaque bytes owned by the embedder (for example the harness host's trace position).
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct HostSection {
    /// The section's name; unique within an image.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The embedder's bytes.
    #[prost(bytes = "vec", tag = "2")]
    #[serde(with = "hex_bytes")]
    pub data: Vec<u8>,
}

/// A typed WebAssembly value. Always has a kind once validated.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message, Serialize, Deserialize)]
pub struct Value {
    /// The value; `None` only in malformed input.
    #[prost(oneof = "value::Kind", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub kind: Option<value::Kind>,
}

/// The variants of [`Value`].
pub mod value {
    use serde::{Deserialize, Serialize};

    /// A value's type and bits.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Oneof, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Kind {
        /// `i32`, as its bits.
        #[prost(uint32, tag = "1")]
        I32(u32),
        /// `i64`, as its bits.
        #[prost(uint64, tag = "2")]
        I64(#[serde(with = "super::u64_string")] u64),
        /// `f32`, as its exact bits (NaN payload kept).
        #[prost(fixed32, tag = "3")]
        F32(u32),
        /// `f64`, as its exact bits (NaN payload kept).
        #[prost(fixed64, tag = "4")]
        F64(#[serde(with = "super::u64_string")] u64),
        /// `funcref`.
        #[prost(message, tag = "5")]
        Funcref(super::FuncRef),
        /// `externref`.
        #[prost(message, tag = "6")]
        Externref(super::ExternRef),
        /// `v128`, reserved: 16 bytes little-endian. Format version 1 engines never produce it.
        #[prost(bytes = "vec", tag = "7")]
        V128(#[serde(with = "super::hex_bytes")] Vec<u8>),
    }
}

/// A function reference: an index in the instance's function index space, or null.
#[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message, Serialize, Deserialize)]
pub struct FuncRef {
    /// `None` is the null reference.
    #[prost(uint32, optional, tag = "1")]
    pub index: Option<u32>,
}

/// An external reference: the embedder's handle id, or null.
#[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message, Serialize, Deserialize)]
pub struct ExternRef {
    /// `None` is the null reference.
    #[prost(uint64, optional, tag = "1")]
    #[serde(with = "optional_u64_string")]
    pub handle: Option<u64>,
}

/// A call in progress, suspended at a safe point.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Execution {
    /// The outermost call: what the embedder invoked.
    #[prost(message, optional, tag = "1")]
    pub entry: Option<Entry>,
    /// Where execution is suspended.
    #[prost(message, optional, tag = "2")]
    pub safe_point: Option<SafePoint>,
    /// The call stack, outermost first; never empty.
    #[prost(message, repeated, tag = "3")]
    pub frames: Vec<Frame>,
}

/// The embedder's call that is in progress.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Entry {
    /// Function index (may be any function, including an exported import).
    #[prost(uint32, tag = "1")]
    pub func: u32,
    /// The arguments the embedder passed.
    #[prost(message, repeated, tag = "2")]
    pub args: Vec<Value>,
}

/// The kinds of safe point (see `docs/safe-points.md`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    prost::Enumeration,
    Serialize,
    Deserialize,
)]
#[repr(i32)]
#[serde(rename_all = "lowercase")]
pub enum SafePointKind {
    /// Never valid in an image.
    Unspecified = 0,
    /// A function's locals are initialised, before its first instruction.
    Entry = 1,
    /// Control is at the first instruction of a loop body.
    Loop = 2,
    /// Before a call or call_indirect executes, its operands on the stack.
    Call = 3,
    /// In the caller, just after a callee returned its results.
    Return = 4,
    /// Any instruction boundary.
    Any = 5,
}

/// Where an execution is suspended: the event's kind and number.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct SafePoint {
    /// A [`SafePointKind`] as its protobuf number.
    #[prost(enumeration = "SafePointKind", tag = "1")]
    #[serde(with = "enum_names::safe_point_kind")]
    pub kind: i32,
    /// The event number within the invocation: entry, loop, call and return events share one
    /// counter from 0. For `Any`, the number the next main-kind event would get.
    #[prost(uint64, tag = "2")]
    #[serde(with = "u64_string")]
    pub event: u64,
}

/// One activation of a module function.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Frame {
    /// Function index (imports first); never an imported function.
    #[prost(uint32, tag = "1")]
    pub func: u32,
    /// Offset of the next instruction, from the first byte after the body's size LEB128.
    /// For every frame but the innermost, the offset of the call instruction in progress.
    #[prost(uint32, tag = "2")]
    pub pc: u32,
    /// Parameters, then declared locals.
    #[prost(message, repeated, tag = "3")]
    pub locals: Vec<Value>,
    /// The frame's operand stack, bottom first (outer frames: the callee's arguments excluded).
    #[prost(message, repeated, tag = "4")]
    pub operands: Vec<Value>,
    /// Control frames, outermost first; the first is the function body.
    #[prost(message, repeated, tag = "5")]
    pub labels: Vec<Label>,
}

/// The kinds of control frame.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    prost::Enumeration,
    Serialize,
    Deserialize,
)]
#[repr(i32)]
#[serde(rename_all = "lowercase")]
pub enum LabelKind {
    /// Never valid in an image.
    Unspecified = 0,
    /// `block`, and the function body.
    Block = 1,
    /// `loop`.
    Loop = 2,
    /// The `then` arm of an `if`.
    If = 3,
    /// The `else` arm of an `if`.
    Else = 4,
}

/// One control frame.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Label {
    /// A [`LabelKind`] as its protobuf number.
    #[prost(enumeration = "LabelKind", tag = "1")]
    #[serde(with = "enum_names::label_kind")]
    pub kind: i32,
    /// Offset of the `block`/`loop`/`if` instruction (same origin as `Frame::pc`); 0 for the body.
    #[prost(uint32, tag = "2")]
    pub start: u32,
    /// Operand-stack height when entered, block parameters excluded.
    #[prost(uint32, tag = "3")]
    pub height: u32,
    /// Values a branch to this label carries: a loop's parameters, otherwise its results.
    #[prost(uint32, tag = "4")]
    pub arity: u32,
}

/// Serde helper: byte vectors as lowercase hex strings in the JSON view.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

/// Serde helpers: enum fields as their lowercase names in the JSON view (unknown numbers, which
/// only malformed images hold, as the number itself).
mod enum_names {
    /// Writes a known enum value as its name and anything else as its number; reads either.
    macro_rules! enum_field {
        ($module:ident, $enum:ty) => {
            pub mod $module {
                use serde::{Deserialize, Deserializer, Serialize, Serializer};

                #[derive(Serialize, Deserialize)]
                #[serde(untagged)]
                enum Repr {
                    Name($enum),
                    Number(i32),
                }

                pub fn serialize<S: Serializer>(
                    value: &i32,
                    serializer: S,
                ) -> Result<S::Ok, S::Error> {
                    match <$enum>::try_from(*value) {
                        Ok(known) => Repr::Name(known),
                        Err(_) => Repr::Number(*value),
                    }
                    .serialize(serializer)
                }

                pub fn deserialize<'de, D: Deserializer<'de>>(
                    deserializer: D,
                ) -> Result<i32, D::Error> {
                    Ok(match Repr::deserialize(deserializer)? {
                        Repr::Name(known) => known as i32,
                        Repr::Number(number) => number,
                    })
                }
            }
        };
    }

    enum_field!(safe_point_kind, crate::image::SafePointKind);
    enum_field!(label_kind, crate::image::LabelKind);
}

/// Serde helper: 64-bit numbers whose exact value matters (i64 and f64 bits, host handles, event
/// numbers) as decimal strings in the JSON view, as protobuf's JSON mapping does, so tools that
/// read JSON numbers as doubles cannot round them. Plain JSON numbers are accepted on input.
mod u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Number(u64),
    }

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        match Repr::deserialize(deserializer)? {
            Repr::Text(text) => text.parse().map_err(serde::de::Error::custom),
            Repr::Number(number) => Ok(number),
        }
    }
}

/// Serde helper: [`u64_string`] for an optional value (`null` when absent).
mod optional_u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Text(#[serde(with = "super::u64_string")] u64);

    pub fn serialize<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.collect_str(value),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        Ok(Option::<Text>::deserialize(deserializer)?.map(|Text(value)| value))
    }
}
