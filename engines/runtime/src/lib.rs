//! What every baton interpreter shares: runtime values, configuration, the driving contract
//! ([`Driving`]: the one trait every engine implements, with the shared instantiate / invoke /
//! restore glue; [`Session`]: any `Driving` engine as a `baton_engine::Engine` adapter), the
//! store (memories, tables, globals, segments), module decoding, linking and instantiation,
//! numeric semantics, and the store half of the image mapping. Traps, kinds and stop requests are
//! the adapter API's (`baton-engine`), re-exported.
//!
//! Engines (`baton-stack`, `baton-register`, ...) keep only their execution state and code format;
//! everything observable that is not execution state lives here so all engines agree on it.
//! See `docs/driving.md` and `docs/safe-points.md`.

pub mod config;
pub mod cross_check;
pub mod driving;
pub mod error;
pub mod events;
pub mod externs;
pub mod func;
pub mod image_map;
pub mod instance_link;
pub mod module;
pub mod numeric;
pub mod objects;
pub mod polling_bench;
pub mod session;
pub mod stop;
pub mod store;
pub mod trap;
pub mod value;

pub use config::Config;
pub use driving::{CompiledModule, Driving};
pub use error::{
    ImageError, InstantiationError, InvokeError, LinkError, ModuleError, RestoreError,
};
pub use externs::{Extern, Imports};
pub use func::{FuncRef, HostFunc, WasmFunc};
pub use instance_link::InstanceLink;
pub use module::{parse_module, ModuleInfo};
pub use objects::InstanceObjects;
pub use session::Session;
pub use stop::{EventKind, KindSet, RunOutcome, StopInfo, StopLocation, StopRequest};
pub use store::{Global, GlobalType, Memory, MemoryType, Table, TableType};
pub use trap::Trap;
pub use value::{FuncType, RefType, Val, ValType};
