//! Execution configuration shared by every engine.
//!
//! The same [`Config`] must be used on every engine that runs (or restores) an instance for the
//! runs to be comparable: the frame limit and the fuel decide where traps and `OutOfFuel` happen.

/// Default maximum number of live Wasm frames.
pub const DEFAULT_MAX_FRAMES: usize = 1024;

/// Limits for an execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// At most this many Wasm frames are live at once; pushing one more traps with
    /// "call stack exhausted". Host calls do not count.
    pub max_frames: usize,
    /// Fuel: a limit `F` on event numbers. An invocation may fire events `0..F`; reaching event
    /// number `F` ends the run with `OutOfFuel`. `None` means unlimited.
    pub fuel: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frames: DEFAULT_MAX_FRAMES,
            fuel: None,
        }
    }
}
