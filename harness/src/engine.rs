//! The adapter trait the harness drives: one object per engine *session* (a store holding
//! modules, instances and host objects that can link to each other).
//!
//! Adding an engine means adding one file under `adapters/` and one line in
//! [`crate::adapters::REGISTRY`] (engines built on `baton-runtime` only implement
//! [`crate::adapters::runtime::Backend`]). Everything is object-safe so the harness works over
//! `Box<dyn Engine>`; sessions need not be `Send` (each lives on one thread).
//!
//! Invariants every adapter keeps:
//! - handles ([`ModuleId`], [`InstanceId`], [`ExternHandle`]) are only meaningful in the session
//!   that produced them; a foreign or stale handle is a [`EngineError::BadHandle`], never a panic;
//! - a run either returns, traps, runs out of fuel or suspends at the requested safe point;
//!   at most one suspended run exists per instance and it is continued with [`Engine::resume`];
//! - checkpoint operations an engine lacks answer [`EngineError::Unsupported`].
//! - a state the image format cannot express (a table, global or operand holding another
//!   instance's function) is [`EngineError::NotImageable`], not an engine failure.

use std::sync::Arc;

use baton_checkpoint::image::{Image, SafePointKind};
use thiserror::Error;

use crate::value::{FuncType, GlobalType, MemoryType, TableType, Value};

/// A compiled (decoded and validated) module inside one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModuleId(pub u32);

/// An instance inside one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InstanceId(pub u32);

/// What kind of entity an [`ExternHandle`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternKind {
    /// A function (Wasm or host).
    Func,
    /// A table.
    Table,
    /// A linear memory.
    Memory,
    /// A global.
    Global,
}

/// A function, table, memory or global living in one session: what instances export and import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternHandle {
    /// The entity's kind.
    pub kind: ExternKind,
    /// The adapter's id for it (meaningful only to the adapter that issued it).
    pub id: u32,
}

/// A host function: gets the arguments, returns the results or a trap message.
pub type HostFunc = Arc<dyn Fn(&[Value]) -> Result<Vec<Value>, String> + Send + Sync>;

/// The closed set of WebAssembly traps, with the spec suite's messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Trap {
    /// `unreachable` executed.
    Unreachable,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Signed division overflow.
    IntegerOverflow,
    /// Float-to-int truncation of NaN/out-of-range.
    InvalidConversionToInteger,
    /// Memory access out of bounds (including bulk memory ops and data segment init).
    MemoryOutOfBounds,
    /// Table access out of bounds (including bulk table ops and element segment init).
    TableOutOfBounds,
    /// `call_indirect` index beyond the table.
    UndefinedElement,
    /// `call_indirect` through a null entry.
    UninitializedElement,
    /// `call_indirect` signature mismatch.
    IndirectCallTypeMismatch,
    /// Too many frames.
    CallStackExhausted,
    /// A host function trapped with this message.
    Host(String),
}

impl Trap {
    /// The spec suite's message for this trap.
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
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Errors an adapter reports (a trap during a run is an outcome, see [`RunOutcome`]).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The module failed to decode or validate.
    #[error("module rejected: {0}")]
    Rejected(String),
    /// Instantiation failed while matching imports (missing, wrong kind or type).
    #[error("link error: {0}")]
    Link(String),
    /// Instantiation trapped (element/data segment init or the start function).
    #[error("instantiation trapped: {0}")]
    InstantiationTrap(Trap),
    /// The engine lacks this operation.
    #[error("{engine} does not support {what}")]
    Unsupported {
        /// The engine's name.
        engine: &'static str,
        /// The missing operation.
        what: &'static str,
    },
    /// A handle that this session did not issue, or of the wrong kind.
    #[error("bad handle: {0}")]
    BadHandle(String),
    /// No export of that name (or not a function) on the instance.
    #[error("no exported {kind} named {name:?}")]
    NoSuchExport {
        /// What was looked for.
        kind: &'static str,
        /// The export name.
        name: String,
    },
    /// Arguments did not match the function's parameters.
    #[error("bad arguments: {0}")]
    BadArguments(String),
    /// The state cannot be expressed as an image (e.g. a table holds another instance's
    /// function): a limitation of the format, not an engine bug.
    #[error("not imageable: {0}")]
    NotImageable(String),
    /// The image could not be restored (it does not fit the module or the engine).
    #[error("restore failed: {0}")]
    Restore(String),
    /// Anything else the engine reported.
    #[error("{0}")]
    Other(String),
}

/// A set of safe-point kinds (entry, loop, call, return, any).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct KindSet {
    bits: u8,
}

impl KindSet {
    /// The four kinds that consume event numbers: entry, loop, call, return.
    pub const MAIN: KindSet = KindSet { bits: 0b1111 };

    /// The empty set.
    pub fn empty() -> Self {
        Self::default()
    }

    fn bit(kind: SafePointKind) -> u8 {
        match kind {
            SafePointKind::Unspecified => 0,
            SafePointKind::Entry => 1,
            SafePointKind::Loop => 2,
            SafePointKind::Call => 4,
            SafePointKind::Return => 8,
            SafePointKind::Any => 16,
        }
    }

    /// This set with `kind` added.
    pub fn with(self, kind: SafePointKind) -> Self {
        Self {
            bits: self.bits | Self::bit(kind),
        }
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: SafePointKind) -> bool {
        let bit = Self::bit(kind);
        bit != 0 && self.bits & bit != 0
    }
}

/// Where to stop: the first event whose number is `>= at` and whose kind is in `kinds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopRequest {
    /// Kinds that may stop the run.
    pub kinds: KindSet,
    /// The smallest event number that may stop the run.
    pub at: u64,
}

/// Options for one run (an invocation or a resumption).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Suspend at this safe point; `None` runs to completion.
    pub stop: Option<StopRequest>,
    /// Absolute limit on event numbers (see the safe-point contract); `None` is unlimited.
    pub fuel: Option<u64>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The invoked function returned these results.
    Returned(Vec<Value>),
    /// Execution trapped.
    Trapped(Trap),
    /// The fuel limit was reached.
    OutOfFuel,
    /// Suspended at a safe point; continue with [`Engine::resume`] or take an image.
    Suspended {
        /// The kind of the event where it stopped.
        kind: SafePointKind,
        /// The event's number.
        event: u64,
    },
}

/// A run's outcome plus the number of main-kind events fired so far in the invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Events fired in this invocation (from event 0, across resumptions); `None` when the engine
    /// does not count events.
    pub events: Option<u64>,
}

/// Session-wide settings, identical on every engine so runs are comparable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Maximum number of Wasm frames; one more traps "call stack exhausted".
    pub max_frames: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { max_frames: 1024 }
    }
}

/// One engine session. See the module docs for the invariants.
pub trait Engine {
    /// The engine's registry name.
    fn name(&self) -> &'static str;

    /// Decodes and validates a module.
    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, EngineError>;

    /// Instantiates a module; `imports` are in the module's import order.
    fn instantiate(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
    ) -> Result<InstanceId, EngineError>;

    /// Creates a host function.
    fn host_func(&mut self, ty: &FuncType, func: HostFunc) -> Result<ExternHandle, EngineError>;
    /// Creates a host global.
    fn host_global(&mut self, ty: GlobalType, init: Value) -> Result<ExternHandle, EngineError>;
    /// Creates a host table filled with nulls.
    fn host_table(&mut self, ty: TableType) -> Result<ExternHandle, EngineError>;
    /// Creates a zeroed host memory.
    fn host_memory(&mut self, ty: MemoryType) -> Result<ExternHandle, EngineError>;

    /// The instance's exports, in export order.
    fn exports(&self, instance: InstanceId) -> Result<Vec<(String, ExternHandle)>, EngineError>;
    /// A global's current value.
    fn global_value(&self, global: ExternHandle) -> Result<Value, EngineError>;
    /// A memory's current bytes.
    fn memory_data(&self, memory: ExternHandle) -> Result<Vec<u8>, EngineError>;
    /// A table's current elements.
    fn table_elements(&self, table: ExternHandle) -> Result<Vec<Value>, EngineError>;

    /// Invokes an exported function.
    fn invoke(
        &mut self,
        instance: InstanceId,
        export: &str,
        args: &[Value],
        options: RunOptions,
    ) -> Result<RunReport, EngineError>;

    /// Continues the instance's suspended run (after a stop or a restore of a running image).
    fn resume(
        &mut self,
        instance: InstanceId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let _ = (instance, options);
        Err(self.unsupported("resume"))
    }

    /// The instance's image: idle, or suspended at its current safe point.
    fn take_image(&mut self, instance: InstanceId) -> Result<Image, EngineError> {
        let _ = instance;
        Err(self.unsupported("take_image"))
    }

    /// Creates a fresh instance of `module` with `imports` whose whole state (including imported
    /// memories/tables/globals and any suspended run) is the image's.
    fn restore(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
        image: &Image,
    ) -> Result<InstanceId, EngineError> {
        let _ = (module, imports, image);
        Err(self.unsupported("restore"))
    }

    /// Traps this engine reports where the spec suite expects another message, declared so the
    /// runner can accept them explicitly and count them: `(trap the engine gives, spec message
    /// it stands for)`. Empty for engines that follow the trap contract exactly.
    fn trap_aliases(&self) -> &'static [(Trap, &'static str)] {
        &[]
    }

    /// Builds the `Unsupported` error for this engine.
    fn unsupported(&self, what: &'static str) -> EngineError {
        EngineError::Unsupported {
            engine: self.name(),
            what,
        }
    }
}

/// Looks up one export by name.
pub fn find_export(
    engine: &dyn Engine,
    instance: InstanceId,
    name: &str,
) -> Result<Option<ExternHandle>, EngineError> {
    Ok(engine
        .exports(instance)?
        .into_iter()
        .find(|(export, _)| export == name)
        .map(|(_, handle)| handle))
}
