//! Traps: the closed set of ways a WebAssembly execution can abort, shared by every engine, the
//! adapter protocol and the harness.
//!
//! Each variant's message ([`Trap::message`], also its `Display` and its serialized form) is
//! exactly the spec test suite's, so `assert_trap` messages compare directly (the suite matches
//! by prefix). A host trap carries the host's own message, unprefixed.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why execution trapped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Trap {
    /// `unreachable` executed.
    Unreachable,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Signed division overflow (`MIN / -1`).
    IntegerOverflow,
    /// Float-to-int truncation of NaN or an out-of-range value.
    InvalidConversionToInteger,
    /// A memory access or bulk memory operation outside the memory (data segment init too).
    MemoryOutOfBounds,
    /// A table access or bulk table operation outside the table (element segment init too).
    TableOutOfBounds,
    /// `call_indirect` with an index outside the table.
    UndefinedElement,
    /// `call_indirect` through a null entry.
    UninitializedElement,
    /// `call_indirect` whose callee's type differs from the expected one.
    IndirectCallTypeMismatch,
    /// More Wasm frames than the configured maximum.
    CallStackExhausted,
    /// A host function (or the engine's embedding) trapped with this message.
    Host(String),
}

impl Trap {
    /// Every trap with a fixed spec message (all but [`Trap::Host`]).
    pub const SPEC: [Trap; 10] = [
        Trap::Unreachable,
        Trap::IntegerDivideByZero,
        Trap::IntegerOverflow,
        Trap::InvalidConversionToInteger,
        Trap::MemoryOutOfBounds,
        Trap::TableOutOfBounds,
        Trap::UndefinedElement,
        Trap::UninitializedElement,
        Trap::IndirectCallTypeMismatch,
        Trap::CallStackExhausted,
    ];

    /// The spec suite's message for this trap; a host trap's own message.
    pub fn message(&self) -> &str {
        match self {
            Self::Unreachable => "unreachable",
            Self::IntegerDivideByZero => "integer divide by zero",
            Self::IntegerOverflow => "integer overflow",
            Self::InvalidConversionToInteger => "invalid conversion to integer",
            Self::MemoryOutOfBounds => "out of bounds memory access",
            Self::TableOutOfBounds => "out of bounds table access",
            Self::UndefinedElement => "undefined element",
            Self::UninitializedElement => "uninitialized element",
            Self::IndirectCallTypeMismatch => "indirect call type mismatch",
            Self::CallStackExhausted => "call stack exhausted",
            Self::Host(message) => message,
        }
    }

    /// The trap whose message is `message`: a spec trap when it is one of theirs, otherwise a
    /// host trap carrying it. (So a host trap whose message equals a spec message reads back as
    /// that spec trap: the two are indistinguishable from outside.)
    pub fn from_message(message: &str) -> Trap {
        Trap::SPEC
            .into_iter()
            .find(|trap| trap.message() == message)
            .unwrap_or_else(|| Trap::Host(message.to_string()))
    }

    /// Whether this is a host trap.
    pub fn is_host(&self) -> bool {
        matches!(self, Trap::Host(_))
    }
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Trap {}

impl Serialize for Trap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.message())
    }
}

impl<'de> Deserialize<'de> for Trap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let message = String::deserialize(deserializer)?;
        Ok(Trap::from_message(&message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_distinct_and_read_back() {
        for (i, a) in Trap::SPEC.iter().enumerate() {
            assert_eq!(&Trap::from_message(a.message()), a);
            for b in &Trap::SPEC[i + 1..] {
                assert_ne!(a.message(), b.message());
            }
        }
        let host = Trap::Host("boom".into());
        assert_eq!(Trap::from_message("boom"), host);
        assert_eq!(host.to_string(), "boom");
    }

    #[test]
    fn serializes_as_its_message() {
        let json = serde_json::to_string(&Trap::IntegerOverflow).unwrap();
        assert_eq!(json, "\"integer overflow\"");
        let back: Trap = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Trap::IntegerOverflow);
        let host: Trap = serde_json::from_str("\"host said no\"").unwrap();
        assert_eq!(host, Trap::Host("host said no".into()));
    }
}
