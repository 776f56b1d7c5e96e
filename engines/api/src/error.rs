//! [`EngineError`]: what an adapter reports when an operation fails (a trap during a run is an
//! outcome, not an error).

use thiserror::Error;

use crate::trap::Trap;

/// Errors an adapter reports (a trap during a run is an outcome, see [`crate::RunOutcome`]).
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
        engine: String,
        /// The missing operation.
        what: String,
    },
    /// A handle that this session did not issue, or of the wrong kind.
    #[error("bad handle: {0}")]
    BadHandle(String),
    /// No export of that name (or not a function) on the instance.
    #[error("no exported {kind} named {name:?}")]
    NoSuchExport {
        /// What was looked for.
        kind: String,
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
    /// The operation does not fit the instance's state (e.g. `resume` when nothing is
    /// suspended, `invoke` while a run is suspended).
    #[error("invalid state: {0}")]
    State(String),
    /// Anything else the engine reported.
    #[error("{0}")]
    Other(String),
}
