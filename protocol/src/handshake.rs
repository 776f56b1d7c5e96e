//! The handshake's content: who an adapter is and what it can do ([`AdapterInfo`]), as the server
//! announces it and the client reads it (`HelloReply`).
//!
//! Invariant: [`AdapterInfo::from_pb`] accepts only a reply of this protocol version that lists
//! every required operation, with known enum numbers throughout.

use baton_engine::{Engine, KindSet, Trap};

use crate::convert::{self, Converted, Violation};
use crate::pb::{self, Operation};
use crate::PROTOCOL_VERSION;

/// The operations every adapter must implement.
pub const REQUIRED_OPERATIONS: [Operation; 5] = [
    Operation::Compile,
    Operation::Instantiate,
    Operation::HostObjects,
    Operation::Inspect,
    Operation::Invoke,
];

/// Every operation of the protocol.
pub const ALL_OPERATIONS: [Operation; 9] = [
    Operation::Compile,
    Operation::Instantiate,
    Operation::HostObjects,
    Operation::Inspect,
    Operation::Invoke,
    Operation::Fuel,
    Operation::Stop,
    Operation::TakeImage,
    Operation::Restore,
];

/// The WebAssembly 2.0 features (without SIMD), by wasm-tools name.
pub const WASM_2_FEATURES: [&str; 6] = [
    "mutable-global",
    "saturating-float-to-int",
    "sign-extension",
    "multi-value",
    "bulk-memory",
    "reference-types",
];

/// What an adapter says about itself in the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterInfo {
    /// The engine's name.
    pub engine_name: String,
    /// The engine's version (free text).
    pub engine_version: String,
    /// The operations it implements.
    pub operations: Vec<Operation>,
    /// The safe-point kinds its stop requests may use.
    pub safe_point_kinds: KindSet,
    /// The Wasm features it accepts.
    pub wasm_features: Vec<String>,
    /// Its trap aliases: `(trap it gives, spec message it stands for)`.
    pub trap_aliases: Vec<(Trap, String)>,
    /// Its declared limitations, each with its reason.
    pub limitations: Vec<(pb::LimitationKind, String)>,
    /// Whether its funcref ids are the ids of the functions' handles (revision 1.2).
    pub funcref_ids_are_handles: bool,
    /// Whether every suspension it reports carries the stop's location (revision 1.3).
    pub locates_stops: bool,
}

impl AdapterInfo {
    /// The info of an in-process engine: its name and trap aliases, the given version, every
    /// operation and kind when it `checkpoints` (only the required operations otherwise), and
    /// the WebAssembly 2.0 features.
    pub fn for_engine(engine: &dyn Engine, version: &str, checkpoints: bool) -> AdapterInfo {
        let (operations, safe_point_kinds) = if checkpoints {
            (ALL_OPERATIONS.to_vec(), engine.safe_point_kinds())
        } else {
            (REQUIRED_OPERATIONS.to_vec(), KindSet::EMPTY)
        };
        AdapterInfo {
            engine_name: engine.name().to_string(),
            engine_version: version.to_string(),
            operations,
            safe_point_kinds,
            wasm_features: WASM_2_FEATURES.iter().map(|f| f.to_string()).collect(),
            trap_aliases: engine
                .trap_aliases()
                .iter()
                .map(|(trap, spec)| (trap.clone(), spec.to_string()))
                .collect(),
            limitations: Vec::new(),
            funcref_ids_are_handles: false,
            locates_stops: checkpoints && engine.locates_stops(),
        }
    }

    /// Whether it implements `operation`.
    pub fn supports(&self, operation: Operation) -> bool {
        self.operations.contains(&operation)
    }

    /// Whether it implements stop, resume, take_image and restore (what checkpoint modes need).
    pub fn checkpoints(&self) -> bool {
        [Operation::Stop, Operation::TakeImage, Operation::Restore]
            .iter()
            .all(|operation| self.supports(*operation))
    }

    /// The `HelloReply` announcing it.
    pub fn to_pb(&self) -> pb::HelloReply {
        pb::HelloReply {
            protocol_version: PROTOCOL_VERSION as i32,
            engine_name: self.engine_name.clone(),
            engine_version: self.engine_version.clone(),
            capabilities: Some(pb::Capabilities {
                operations: self.operations.iter().map(|op| *op as i32).collect(),
                safe_point_kinds: convert::kinds_to_pb(self.safe_point_kinds),
                wasm_features: self.wasm_features.clone(),
                limitations: self
                    .limitations
                    .iter()
                    .map(|(kind, reason)| pb::Limitation {
                        kind: *kind as i32,
                        reason: reason.clone(),
                    })
                    .collect(),
                funcref_ids_are_handles: self.funcref_ids_are_handles,
                locates_stops: self.locates_stops,
            }),
            trap_aliases: self
                .trap_aliases
                .iter()
                .map(|(trap, spec)| pb::TrapAlias {
                    trap: Some(convert::trap_to_pb(trap)),
                    spec_message: spec.clone(),
                })
                .collect(),
        }
    }

    /// Reads a `HelloReply`, checking the version and the required operations.
    pub fn from_pb(reply: &pb::HelloReply) -> Converted<AdapterInfo> {
        if reply.protocol_version != PROTOCOL_VERSION as i32 {
            return Err(Violation(format!(
                "adapter speaks protocol version {}, the harness speaks {}",
                reply.protocol_version, PROTOCOL_VERSION as i32
            )));
        }
        let capabilities =
            convert::required(reply.capabilities.as_ref(), "HelloReply.capabilities")?;
        let operations = capabilities
            .operations
            .iter()
            .map(|number| {
                Operation::try_from(*number)
                    .ok()
                    .filter(|op| *op != Operation::Unspecified)
                    .ok_or_else(|| Violation(format!("unknown operation {number}")))
            })
            .collect::<Converted<Vec<_>>>()?;
        if let Some(missing) = REQUIRED_OPERATIONS
            .iter()
            .find(|op| !operations.contains(op))
        {
            return Err(Violation(format!(
                "the adapter does not list the required operation {}",
                missing.as_str_name()
            )));
        }
        let trap_aliases = reply
            .trap_aliases
            .iter()
            .map(|alias| {
                let trap = convert::required(alias.trap.as_ref(), "TrapAlias.trap")?;
                Ok((convert::trap_from_pb(trap)?, alias.spec_message.clone()))
            })
            .collect::<Converted<Vec<_>>>()?;
        let limitations = capabilities
            .limitations
            .iter()
            .map(|limitation| {
                pb::LimitationKind::try_from(limitation.kind)
                    .ok()
                    .filter(|kind| *kind != pb::LimitationKind::Unspecified)
                    .map(|kind| (kind, limitation.reason.clone()))
                    .ok_or_else(|| Violation(format!("unknown limitation {}", limitation.kind)))
            })
            .collect::<Converted<Vec<_>>>()?;
        Ok(AdapterInfo {
            engine_name: reply.engine_name.clone(),
            engine_version: reply.engine_version.clone(),
            operations,
            safe_point_kinds: convert::kinds_from_pb(&capabilities.safe_point_kinds)?,
            wasm_features: capabilities.wasm_features.clone(),
            trap_aliases,
            limitations,
            funcref_ids_are_handles: capabilities.funcref_ids_are_handles,
            locates_stops: capabilities.locates_stops,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> AdapterInfo {
        AdapterInfo {
            engine_name: "x".into(),
            engine_version: "1".into(),
            operations: REQUIRED_OPERATIONS.to_vec(),
            safe_point_kinds: KindSet::EMPTY,
            wasm_features: vec!["multi-value".into()],
            trap_aliases: Vec::new(),
            limitations: vec![(pb::LimitationKind::NoValidation, "lazy".into())],
            funcref_ids_are_handles: true,
            locates_stops: true,
        }
    }

    #[test]
    fn limitations_round_trip_and_unknown_kinds_are_violations() {
        let info = info();
        assert_eq!(AdapterInfo::from_pb(&info.to_pb()).expect("valid"), info);
        for bad in [0, 99] {
            let mut reply = info.to_pb();
            if let Some(capabilities) = reply.capabilities.as_mut() {
                capabilities.limitations[0].kind = bad;
            }
            let error = AdapterInfo::from_pb(&reply).expect_err("unknown kind");
            assert!(error.0.contains("unknown limitation"), "{}", error.0);
        }
    }
}
