//! The adapter trait baton drives: one object per engine *session* (a store holding modules,
//! instances and host objects that can link to each other).
//!
//! A Rust engine implements [`Engine`] in its own crate, depending only on this crate; engines in
//! other languages speak the same operations over the out-of-process protocol
//! (`docs/adapter-protocol.md`). Everything is object-safe so the harness works over
//! `Box<dyn Engine>`; sessions need not be `Send` (each lives on one thread).
//!
//! Invariants every adapter keeps:
//! - handles ([`ModuleId`], [`InstanceId`], [`ExternHandle`]) are only meaningful in the session
//!   that produced them; a foreign or stale handle is a [`EngineError::BadHandle`], never a panic;
//! - a run either returns, traps, runs out of fuel or suspends at the requested safe point;
//!   at most one suspended run exists per instance and it is continued with [`Engine::resume`];
//! - checkpoint operations an engine lacks answer [`EngineError::Unsupported`];
//! - a state the image format cannot express (a table, global or operand holding another
//!   instance's function) is [`EngineError::NotImageable`], not an engine failure.

use std::sync::Arc;

use baton_checkpoint::image::Image;

use crate::error::EngineError;
use crate::memory::MemoryHostFunc;
use crate::run::{RunOptions, RunReport};
use crate::trap::Trap;
use crate::value::{FuncType, GlobalType, MemoryType, TableType, Value};
use crate::KindSet;

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

/// What a function reference points to, as the session holding it sees it: how function
/// references are compared across sessions (their ids are session-specific).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FuncIdentity {
    /// The function with this index in the instance's function index space (imports first),
    /// the index an image records for it.
    Index(u32),
    /// A function outside the instance's index space (another instance's, or a host function
    /// the instance does not import).
    Foreign,
}

/// A host function: gets the arguments, returns the results or a trap message.
pub type HostFunc = Arc<dyn Fn(&[Value]) -> Result<Vec<Value>, String> + Send + Sync>;

/// One engine session. See the module docs for the invariants.
pub trait Engine {
    /// The engine's registry name.
    fn name(&self) -> &str;

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
    /// Creates a host function that also gets the calling instance's exported memory (see
    /// [`crate::memory`]); engines that cannot hand one out answer `Unsupported`.
    fn host_func_with_memory(
        &mut self,
        ty: &FuncType,
        func: MemoryHostFunc,
    ) -> Result<ExternHandle, EngineError> {
        let _ = (ty, func);
        Err(self.unsupported("host_func_with_memory"))
    }
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

    /// Which function a (non-null) function reference `value` is, relative to `instance`.
    /// `None` when the engine cannot tell (the default), when `value` is not a non-null
    /// funcref, or when a handle is not this session's; callers then compare references by
    /// null-ness only.
    fn func_identity(&self, instance: InstanceId, value: &Value) -> Option<FuncIdentity> {
        let _ = (instance, value);
        None
    }

    /// The safe-point kinds this engine fires and restores (`docs/safe-points.md`): the main
    /// kinds, plus `any` for engines that implement the optional instruction-boundary stops.
    /// Callers request `any` stops only from engines that declare it.
    fn safe_point_kinds(&self) -> KindSet {
        KindSet::MAIN
    }

    /// Whether every [`crate::RunOutcome::Suspended`] this engine reports carries its `location`
    /// (then a missing one is a bug the harness reports). `false` (the default): locations,
    /// when present, are still checked against the image.
    fn locates_stops(&self) -> bool {
        false
    }

    /// Traps this engine reports where the spec suite expects another message, declared so the
    /// runner can accept them explicitly and count them: `(trap the engine gives, spec message
    /// it stands for)`. Empty for engines that follow the trap contract exactly.
    fn trap_aliases(&self) -> &'static [(Trap, &'static str)] {
        &[]
    }

    /// Whether `instance`'s last run ended in [`Trap::CallStackExhausted`] because the engine's
    /// own (native) stack ran out before [`crate::EngineConfig::max_frames`] frames. Such a
    /// stack is a number of bytes, not of frames, so the depth (and event count) of that
    /// exhaustion depends on frame sizes and need not repeat in another run. `false` (the
    /// default): the engine exhausts its call stack at `max_frames`, or cannot tell.
    fn exhausted_native_stack(&self, instance: InstanceId) -> bool {
        let _ = instance;
        false
    }

    /// Builds the `Unsupported` error for this engine.
    fn unsupported(&self, what: &'static str) -> EngineError {
        EngineError::Unsupported {
            engine: self.name().to_string(),
            what: what.to_string(),
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
