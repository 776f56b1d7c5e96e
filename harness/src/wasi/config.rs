//! What a WASI run starts from: program arguments, environment, stdin, the preopened
//! directory's initial files and the random generator's seed. Stored in case files, so a
//! finding replays with the same inputs.
//!
//! Invariant: a configuration fully determines the initial [`super::WasiState`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::state::HexBytes;

/// A WASI run's inputs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiConfig {
    /// Program arguments, `args[0]` being the program name.
    pub args: Vec<String>,
    /// Environment entries, `KEY=value`.
    #[serde(default)]
    pub env: Vec<String>,
    /// Standard input (empty: end of file at once).
    #[serde(default)]
    pub stdin: HexBytes,
    /// Files in the preopened directory at the start, by name.
    #[serde(default)]
    pub files: BTreeMap<String, HexBytes>,
    /// Seed of `random_get`'s generator.
    #[serde(default)]
    pub seed: u64,
}

impl WasiConfig {
    /// A configuration running `program` with `args` (after the program name).
    pub fn command(program: &str, args: &[String]) -> Self {
        let mut all = vec![program.to_string()];
        all.extend(args.iter().cloned());
        Self {
            args: all,
            ..Self::default()
        }
    }
}
