//! [`EngineError`]: what an adapter reports when an operation fails (a trap during a run is an
//! outcome, not an error).
//!
//! [`EngineError::Adapter`] is the one variant no in-process engine produces: an out-of-process
//! adapter (`docs/adapter-protocol.md`) that crashed, hung, sent malformed bytes or broke the
//! protocol. It carries the adapter's stderr tail so a finding explains itself.

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
    /// An out-of-process adapter failed as a process or as a protocol peer (not as an engine):
    /// see [`AdapterFault`]. The session is dead afterwards; a new session restarts the adapter.
    #[error("adapter {fault}: {what}{}", stderr_suffix(stderr))]
    Adapter {
        /// What went wrong.
        fault: AdapterFault,
        /// Where and what: the request in progress and the detail.
        what: String,
        /// The last lines the adapter wrote to its stderr (possibly empty).
        stderr: String,
    },
}

/// How an out-of-process adapter failed (see [`EngineError::Adapter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdapterFault {
    /// The adapter process could not be started.
    Spawn,
    /// The adapter exited or closed its output (end of file) before answering.
    Crash,
    /// The adapter did not answer within the per-request timeout (it was killed).
    Timeout,
    /// The adapter sent bytes that are not a well-framed protobuf message of the protocol.
    Malformed,
    /// The adapter sent a well-formed message the protocol does not allow at that point (wrong
    /// answer kind, unknown handle kind, unsupported protocol version, ...).
    Violation,
}

impl AdapterFault {
    /// The fault's short name (`spawn`, `crash`, `timeout`, `malformed`, `violation`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Spawn => "spawn",
            Self::Crash => "crash",
            Self::Timeout => "timeout",
            Self::Malformed => "malformed",
            Self::Violation => "violation",
        }
    }
}

impl std::fmt::Display for AdapterFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!("; adapter stderr:\n{}", stderr.trim_end())
    }
}
