//! A checkpointable WASI preview 1 host (`wasi_snapshot_preview1`): enough for command-line
//! programs built with wasi-libc (args and environment, captured stdout/stderr, stdin from
//! bytes, `proc_exit`, a deterministic clock and random generator, and files in one preopened
//! in-memory directory).
//!
//! Files: [`config`] (what a run starts from, stored in case files), [`state`] (everything the
//! host holds, the image host section [`SECTION`]), [`abi`] (errno values, memory helpers),
//! [`proc`] (args, environment, clock, random, exit), [`fs`] (descriptors and the virtual
//! directory), [`host`] (dispatch, linking into an engine session, the section).
//!
//! Invariants:
//! - every byte of host state lives in [`state::WasiState`], which travels in the image's host
//!   section [`SECTION`]: a run restored from an image writes exactly the bytes the
//!   uninterrupted run writes;
//! - the host is deterministic: its results depend only on the configuration, the state and
//!   the arguments (the clock advances by a fixed step per host call, the generator is seeded);
//! - an unsupported function returns `ENOSYS` and is counted in the state, never a panic; an
//!   out-of-bounds pointer is `EFAULT`; only `proc_exit` traps (see [`exit_code`]);
//! - the same host serves every engine and oracle, through
//!   [`baton_engine::Engine::host_func_with_memory`].

pub mod abi;
pub mod config;
pub mod fs;
pub mod host;
pub mod proc;
pub mod state;

pub use config::WasiConfig;
pub use host::{WasiError, WasiHost};
pub use state::{WasiOutput, WasiState};

/// The import module name of WASI preview 1.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// The image host section holding [`WasiState`].
pub const SECTION: &str = "baton.wasi";

/// The prefix of the host trap `proc_exit` raises; the exit code follows.
pub const EXIT_PREFIX: &str = "wasi proc_exit(";

/// The host trap message of `proc_exit(code)`.
pub fn exit_message(code: u32) -> String {
    format!("{EXIT_PREFIX}{code})")
}

/// The exit code a host trap message stands for, when it is `proc_exit`'s.
pub fn exit_code(message: &str) -> Option<u32> {
    message
        .strip_prefix(EXIT_PREFIX)?
        .strip_suffix(')')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_messages_round_trip() {
        assert_eq!(exit_code(&exit_message(3)), Some(3));
        assert_eq!(exit_code("wasi proc_exit(x)"), None);
        assert_eq!(exit_code("unreachable"), None);
    }
}
