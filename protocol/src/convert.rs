//! Conversions between the adapter vocabulary ([`baton_engine`]) and the protocol's messages
//! ([`crate::pb`]), used by both sides.
//!
//! Invariant: every `from_pb` conversion checks what protobuf cannot (a oneof is set, an enum
//! number is known and not `UNSPECIFIED`, a value has the kind its context requires) and reports
//! anything else as a [`Violation`] naming the field; none panics.

use baton_checkpoint::image::SafePointKind;
use baton_engine::{
    EngineError, EventKind, ExternHandle, ExternKind, FuncType, GlobalType, KindSet, MemoryType,
    RunOptions, RunOutcome, RunReport, StopLocation, StopRequest, TableType, Trap, ValType, Value,
};
use thiserror::Error;

use crate::pb;

/// A message that is well-formed protobuf but breaks a rule of the protocol.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct Violation(pub String);

/// Shorthand for conversion results.
pub type Converted<T> = Result<T, Violation>;

fn violation<T>(message: impl Into<String>) -> Converted<T> {
    Err(Violation(message.into()))
}

/// Reads a required (message or oneof) field.
pub fn required<T>(field: Option<T>, name: &str) -> Converted<T> {
    field.ok_or_else(|| Violation(format!("{name} is missing")))
}

/// A value as a message.
pub fn value_to_pb(value: &Value) -> pb::Value {
    use pb::value::Kind;
    let kind = match *value {
        Value::I32(v) => Kind::I32(v as u32),
        Value::I64(v) => Kind::I64(v as u64),
        Value::F32(bits) => Kind::F32(bits),
        Value::F64(bits) => Kind::F64(bits),
        Value::FuncRef(id) => Kind::Funcref(pb::FuncRef { id }),
        Value::ExternRef(handle) => Kind::Externref(pb::ExternRef { handle }),
    };
    pb::Value { kind: Some(kind) }
}

/// A value from a message.
pub fn value_from_pb(value: &pb::Value) -> Converted<Value> {
    use pb::value::Kind;
    Ok(match required(value.kind.as_ref(), "Value.kind")? {
        Kind::I32(bits) => Value::I32(*bits as i32),
        Kind::I64(bits) => Value::I64(*bits as i64),
        Kind::F32(bits) => Value::F32(*bits),
        Kind::F64(bits) => Value::F64(*bits),
        Kind::Funcref(r) => Value::FuncRef(r.id),
        Kind::Externref(r) => Value::ExternRef(r.handle),
    })
}

/// Values as messages.
pub fn values_to_pb(values: &[Value]) -> Vec<pb::Value> {
    values.iter().map(value_to_pb).collect()
}

/// Values from messages.
pub fn values_from_pb(values: &[pb::Value]) -> Converted<Vec<Value>> {
    values.iter().map(value_from_pb).collect()
}

/// A value type's enum number.
pub fn valtype_to_pb(ty: ValType) -> i32 {
    (match ty {
        ValType::I32 => pb::ValType::I32,
        ValType::I64 => pb::ValType::I64,
        ValType::F32 => pb::ValType::F32,
        ValType::F64 => pb::ValType::F64,
        ValType::FuncRef => pb::ValType::Funcref,
        ValType::ExternRef => pb::ValType::Externref,
    }) as i32
}

/// A value type from its enum number.
pub fn valtype_from_pb(number: i32) -> Converted<ValType> {
    Ok(match pb::ValType::try_from(number) {
        Ok(pb::ValType::I32) => ValType::I32,
        Ok(pb::ValType::I64) => ValType::I64,
        Ok(pb::ValType::F32) => ValType::F32,
        Ok(pb::ValType::F64) => ValType::F64,
        Ok(pb::ValType::Funcref) => ValType::FuncRef,
        Ok(pb::ValType::Externref) => ValType::ExternRef,
        Ok(pb::ValType::Unspecified) | Err(_) => {
            return violation(format!("unknown value type {number}"))
        }
    })
}

/// A signature as a message.
pub fn functype_to_pb(ty: &FuncType) -> pb::FuncType {
    pb::FuncType {
        params: ty.params.iter().copied().map(valtype_to_pb).collect(),
        results: ty.results.iter().copied().map(valtype_to_pb).collect(),
    }
}

/// A signature from a message.
pub fn functype_from_pb(ty: &pb::FuncType) -> Converted<FuncType> {
    let list = |numbers: &[i32]| -> Converted<Vec<ValType>> {
        numbers.iter().copied().map(valtype_from_pb).collect()
    };
    Ok(FuncType::new(list(&ty.params)?, list(&ty.results)?))
}

/// A global type as a message.
pub fn globaltype_to_pb(ty: GlobalType) -> pb::GlobalType {
    pb::GlobalType {
        content: valtype_to_pb(ty.content),
        mutable: ty.mutable,
    }
}

/// A global type from a message.
pub fn globaltype_from_pb(ty: &pb::GlobalType) -> Converted<GlobalType> {
    Ok(GlobalType {
        content: valtype_from_pb(ty.content)?,
        mutable: ty.mutable,
    })
}

/// A table type as a message.
pub fn tabletype_to_pb(ty: TableType) -> pb::TableType {
    pb::TableType {
        element: valtype_to_pb(ty.element),
        min: ty.min,
        max: ty.max,
    }
}

/// A table type from a message.
pub fn tabletype_from_pb(ty: &pb::TableType) -> Converted<TableType> {
    Ok(TableType {
        element: valtype_from_pb(ty.element)?,
        min: ty.min,
        max: ty.max,
    })
}

/// A memory type as a message.
pub fn memorytype_to_pb(ty: MemoryType) -> pb::MemoryType {
    pb::MemoryType {
        min: ty.min,
        max: ty.max,
    }
}

/// A memory type from a message.
pub fn memorytype_from_pb(ty: &pb::MemoryType) -> MemoryType {
    MemoryType {
        min: ty.min,
        max: ty.max,
    }
}

/// A handle as a message.
pub fn handle_to_pb(handle: ExternHandle) -> pb::Handle {
    let kind = match handle.kind {
        ExternKind::Func => pb::ExternKind::Func,
        ExternKind::Table => pb::ExternKind::Table,
        ExternKind::Memory => pb::ExternKind::Memory,
        ExternKind::Global => pb::ExternKind::Global,
    };
    pb::Handle {
        kind: kind as i32,
        id: handle.id,
    }
}

/// A handle from a message.
pub fn handle_from_pb(handle: &pb::Handle) -> Converted<ExternHandle> {
    let kind = match pb::ExternKind::try_from(handle.kind) {
        Ok(pb::ExternKind::Func) => ExternKind::Func,
        Ok(pb::ExternKind::Table) => ExternKind::Table,
        Ok(pb::ExternKind::Memory) => ExternKind::Memory,
        Ok(pb::ExternKind::Global) => ExternKind::Global,
        Ok(pb::ExternKind::Unspecified) | Err(_) => {
            return violation(format!("unknown extern kind {}", handle.kind))
        }
    };
    Ok(ExternHandle {
        kind,
        id: handle.id,
    })
}

/// Handles from messages.
pub fn handles_from_pb(handles: &[pb::Handle]) -> Converted<Vec<ExternHandle>> {
    handles.iter().map(handle_from_pb).collect()
}

const TRAP_CODES: [(Trap, pb::TrapCode); 10] = [
    (Trap::Unreachable, pb::TrapCode::Unreachable),
    (Trap::IntegerDivideByZero, pb::TrapCode::IntegerDivideByZero),
    (Trap::IntegerOverflow, pb::TrapCode::IntegerOverflow),
    (
        Trap::InvalidConversionToInteger,
        pb::TrapCode::InvalidConversionToInteger,
    ),
    (Trap::MemoryOutOfBounds, pb::TrapCode::MemoryOutOfBounds),
    (Trap::TableOutOfBounds, pb::TrapCode::TableOutOfBounds),
    (Trap::UndefinedElement, pb::TrapCode::UndefinedElement),
    (
        Trap::UninitializedElement,
        pb::TrapCode::UninitializedElement,
    ),
    (
        Trap::IndirectCallTypeMismatch,
        pb::TrapCode::IndirectCallTypeMismatch,
    ),
    (Trap::CallStackExhausted, pb::TrapCode::CallStackExhausted),
];

/// A trap as a message.
pub fn trap_to_pb(trap: &Trap) -> pb::Trap {
    match trap {
        Trap::Host(message) => pb::Trap {
            code: pb::TrapCode::Host as i32,
            message: message.clone(),
        },
        spec => pb::Trap {
            code: TRAP_CODES
                .iter()
                .find(|(known, _)| known == spec)
                .map_or(pb::TrapCode::Unspecified, |(_, code)| *code) as i32,
            message: String::new(),
        },
    }
}

/// A trap from a message.
pub fn trap_from_pb(trap: &pb::Trap) -> Converted<Trap> {
    match pb::TrapCode::try_from(trap.code) {
        Ok(pb::TrapCode::Host) => Ok(Trap::Host(trap.message.clone())),
        Ok(code) => TRAP_CODES
            .iter()
            .find(|(_, known)| *known == code)
            .map(|(trap, _)| trap.clone())
            .ok_or_else(|| Violation(format!("unknown trap code {}", trap.code))),
        Err(_) => violation(format!("unknown trap code {}", trap.code)),
    }
}

/// A set of kinds as enum numbers (in [`EventKind`] order).
pub fn kinds_to_pb(kinds: KindSet) -> Vec<i32> {
    kinds.iter().map(|kind| kind.to_image() as i32).collect()
}

/// A set of kinds from enum numbers.
pub fn kinds_from_pb(numbers: &[i32]) -> Converted<KindSet> {
    numbers.iter().map(|number| kind_from_pb(*number)).collect()
}

/// One kind from its enum number.
pub fn kind_from_pb(number: i32) -> Converted<EventKind> {
    EventKind::from_image_number(number)
        .ok_or_else(|| Violation(format!("unknown safe-point kind {number}")))
}

/// A stop request as a message.
pub fn stop_to_pb(stop: Option<StopRequest>) -> Option<pb::StopRequest> {
    stop.map(|stop| pb::StopRequest {
        kinds: kinds_to_pb(stop.kinds),
        at: stop.at,
    })
}

/// Run options from their message fields.
pub fn options_from_pb(stop: Option<&pb::StopRequest>, fuel: Option<u64>) -> Converted<RunOptions> {
    let stop = match stop {
        Some(stop) => Some(StopRequest::new(kinds_from_pb(&stop.kinds)?, stop.at)),
        None => None,
    };
    Ok(RunOptions { stop, fuel })
}

/// A run report as a message.
pub fn report_to_pb(report: &RunReport) -> pb::RunReport {
    use pb::run_report::Outcome;
    let outcome = match &report.outcome {
        RunOutcome::Returned(values) => Outcome::Returned(pb::ValueList {
            values: values_to_pb(values),
        }),
        RunOutcome::Trapped(trap) => Outcome::Trapped(trap_to_pb(trap)),
        RunOutcome::OutOfFuel => Outcome::OutOfFuel(pb::OutOfFuel {}),
        RunOutcome::Suspended {
            kind,
            event,
            location,
        } => Outcome::Suspended(pb::Suspended {
            kind: kind.to_image() as i32,
            event: *event,
            location: location.map(|at| pb::StopLocation {
                func: at.func,
                pc: at.pc,
            }),
        }),
    };
    pb::RunReport {
        outcome: Some(outcome),
        events: report.events,
    }
}

/// A run report from a message.
pub fn report_from_pb(report: &pb::RunReport) -> Converted<RunReport> {
    use pb::run_report::Outcome;
    let outcome = match required(report.outcome.as_ref(), "RunReport.outcome")? {
        Outcome::Returned(list) => RunOutcome::Returned(values_from_pb(&list.values)?),
        Outcome::Trapped(trap) => RunOutcome::Trapped(trap_from_pb(trap)?),
        Outcome::OutOfFuel(_) => RunOutcome::OutOfFuel,
        Outcome::Suspended(suspended) => RunOutcome::Suspended {
            kind: kind_from_pb(suspended.kind)?,
            event: suspended.event,
            location: suspended.location.map(|at| StopLocation {
                func: at.func,
                pc: at.pc,
            }),
        },
    };
    Ok(RunReport {
        outcome,
        events: report.events,
    })
}

/// An engine error as a message. [`EngineError::Adapter`] never crosses the protocol (it
/// describes the adapter process itself); were a served engine to report one, it travels as
/// `other`.
pub fn error_to_pb(error: &EngineError) -> pb::Error {
    use pb::error::Kind;
    let kind = match error {
        EngineError::Rejected(message) => Kind::Rejected(message.clone()),
        EngineError::Link(message) => Kind::Link(message.clone()),
        EngineError::InstantiationTrap(trap) => Kind::InstantiationTrap(trap_to_pb(trap)),
        EngineError::Unsupported { what, .. } => Kind::Unsupported(what.clone()),
        EngineError::BadHandle(message) => Kind::BadHandle(message.clone()),
        EngineError::NoSuchExport { kind, name } => Kind::NoSuchExport(pb::NoSuchExport {
            kind: kind.clone(),
            name: name.clone(),
        }),
        EngineError::BadArguments(message) => Kind::BadArguments(message.clone()),
        EngineError::NotImageable(message) => Kind::NotImageable(message.clone()),
        EngineError::Restore(message) => Kind::Restore(message.clone()),
        EngineError::State(message) => Kind::State(message.clone()),
        EngineError::Other(message) => Kind::Other(message.clone()),
        other @ EngineError::Adapter { .. } => Kind::Other(other.to_string()),
    };
    pb::Error { kind: Some(kind) }
}

/// An engine error from a message; `engine` names the engine in `Unsupported`.
pub fn error_from_pb(error: &pb::Error, engine: &str) -> Converted<EngineError> {
    use pb::error::Kind;
    Ok(match required(error.kind.as_ref(), "Error.kind")? {
        Kind::Rejected(message) => EngineError::Rejected(message.clone()),
        Kind::Link(message) => EngineError::Link(message.clone()),
        Kind::InstantiationTrap(trap) => EngineError::InstantiationTrap(trap_from_pb(trap)?),
        Kind::Unsupported(what) => EngineError::Unsupported {
            engine: engine.to_string(),
            what: what.clone(),
        },
        Kind::BadHandle(message) => EngineError::BadHandle(message.clone()),
        Kind::NoSuchExport(missing) => EngineError::NoSuchExport {
            kind: missing.kind.clone(),
            name: missing.name.clone(),
        },
        Kind::BadArguments(message) => EngineError::BadArguments(message.clone()),
        Kind::NotImageable(message) => EngineError::NotImageable(message.clone()),
        Kind::Restore(message) => EngineError::Restore(message.clone()),
        Kind::State(message) => EngineError::State(message.clone()),
        Kind::Other(message) => EngineError::Other(message.clone()),
    })
}

/// The image enum for a kind (re-exported for adapters that build capabilities).
pub fn kind_to_pb(kind: EventKind) -> SafePointKind {
    kind.to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_bit_exactly() {
        let values = [
            Value::I32(-1),
            Value::I64(i64::MIN),
            Value::F32(0x7fc0_0001),
            Value::F64(0xfff8_0000_0000_0001),
            Value::FuncRef(None),
            Value::FuncRef(Some(0)),
            Value::ExternRef(None),
            Value::ExternRef(Some(u64::MAX)),
        ];
        for value in values {
            assert_eq!(value_from_pb(&value_to_pb(&value)), Ok(value));
        }
        assert!(value_from_pb(&pb::Value { kind: None }).is_err());
    }

    #[test]
    fn traps_round_trip_and_unknown_codes_are_violations() {
        let mut traps = Trap::SPEC.to_vec();
        traps.push(Trap::Host("boom".into()));
        for trap in traps {
            assert_eq!(trap_from_pb(&trap_to_pb(&trap)), Ok(trap));
        }
        for code in [0, 12, -1] {
            let bad = pb::Trap {
                code,
                message: String::new(),
            };
            assert!(trap_from_pb(&bad).is_err(), "{code}");
        }
    }

    #[test]
    fn errors_round_trip() {
        let errors = [
            EngineError::Rejected("r".into()),
            EngineError::Link("l".into()),
            EngineError::InstantiationTrap(Trap::Unreachable),
            EngineError::Unsupported {
                engine: "e".into(),
                what: "take_image".into(),
            },
            EngineError::BadHandle("b".into()),
            EngineError::NoSuchExport {
                kind: "function".into(),
                name: "f".into(),
            },
            EngineError::BadArguments("a".into()),
            EngineError::NotImageable("n".into()),
            EngineError::Restore("x".into()),
            EngineError::State("s".into()),
            EngineError::Other("o".into()),
        ];
        for error in errors {
            assert_eq!(error_from_pb(&error_to_pb(&error), "e"), Ok(error));
        }
    }

    #[test]
    fn reports_and_kinds_round_trip() {
        let reports = [
            RunOutcome::Returned(vec![Value::I32(3)]),
            RunOutcome::Trapped(Trap::CallStackExhausted),
            RunOutcome::OutOfFuel,
            RunOutcome::Suspended {
                kind: EventKind::Loop,
                event: 7,
                location: None,
            },
            RunOutcome::Suspended {
                kind: EventKind::Call,
                event: 9,
                location: Some(StopLocation { func: 3, pc: 12 }),
            },
        ];
        for outcome in reports {
            let report = RunReport {
                outcome,
                events: Some(4),
            };
            assert_eq!(report_from_pb(&report_to_pb(&report)), Ok(report));
        }
        for kinds in [KindSet::MAIN, KindSet::ALL, KindSet::EMPTY] {
            assert_eq!(kinds_from_pb(&kinds_to_pb(kinds)), Ok(kinds));
        }
        assert!(kinds_from_pb(&[0]).is_err());
        assert!(valtype_from_pb(99).is_err());
        assert!(handle_from_pb(&pb::Handle { kind: 0, id: 1 }).is_err());
    }
}
