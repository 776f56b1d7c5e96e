//! Idle adapter processes, kept for the next session of the same command so that a campaign
//! does not start one process per session.
//!
//! Invariant: only connections that answered their last request completely (not busy, no
//! failure) are kept, at most [`MAX_IDLE`] in all; a kept process may still have died while
//! idle, which the next `NewSession` detects (the caller then starts a fresh one).

use std::sync::{Mutex, PoisonError};

use super::connection::Connection;
use super::AdapterCommand;

/// The most idle processes kept (across all commands).
pub const MAX_IDLE: usize = 64;

static IDLE: Mutex<Vec<(AdapterCommand, Connection)>> = Mutex::new(Vec::new());

/// An idle connection for `command`, if one is kept.
pub(crate) fn take(command: &AdapterCommand) -> Option<Connection> {
    let mut idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner);
    let index = idle.iter().rposition(|(kept, _)| kept == command)?;
    Some(idle.swap_remove(index).1)
}

/// Keeps `connection` for a later session (or drops it, killing the process, when full or
/// when it is mid-request).
pub(crate) fn put(command: &AdapterCommand, connection: Connection) {
    if connection.busy() {
        return;
    }
    let mut idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner);
    if idle.len() < MAX_IDLE {
        idle.push((command.clone(), connection));
    }
}

/// Drops every idle process (they exit).
pub fn clear() {
    let drained: Vec<_> = IDLE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .drain(..)
        .collect();
    drop(drained);
}
