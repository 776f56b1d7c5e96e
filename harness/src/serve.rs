//! `baton serve --engine NAME`: the reference adapter. Serves any engine the harness can resolve
//! (built-in, or even a `proc:` one) over the adapter protocol on stdin/stdout
//! (`docs/adapter-protocol.md`), so that `proc:NAME` entries running `baton serve --engine NAME`
//! can be checked against the in-process engine.
//!
//! `--fault crash@N|hang@N|garbage@N|violation@N` makes it misbehave after `N` answered
//! requests, to test how the harness copes with broken adapters.
//!
//! Invariant: nothing but protocol frames is written to stdout; diagnostics go to stderr.

use std::io::{stdin, stdout};

use baton_protocol::handshake::AdapterInfo;
use baton_protocol::server::{self, Fault, ServeError};
use thiserror::Error;

use crate::adapters;
use crate::fuzz::engines;
use baton_engine::EngineConfig;

/// Arguments of `baton serve`.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// The engine to serve.
    #[arg(long)]
    pub engine: String,
    /// Misbehave for testing: `crash@N`, `hang@N`, `garbage@N` or `violation@N` (after N
    /// answered requests).
    #[arg(long, value_parser = parse_fault)]
    pub fault: Option<Fault>,
}

fn parse_fault(text: &str) -> Result<Fault, String> {
    Fault::parse(text)
        .ok_or_else(|| format!("{text:?} is not crash@N, hang@N, garbage@N or violation@N"))
}

/// Why `baton serve` stopped with an error.
#[derive(Debug, Error)]
pub enum ServeCliError {
    /// No engine of that name.
    #[error("unknown engine {name:?} (known: {known})")]
    UnknownEngine {
        /// The name given.
        name: String,
        /// The registered names.
        known: String,
    },
    /// Serving failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// Serves until stdin closes.
pub fn run(args: &ServeArgs) -> Result<(), ServeCliError> {
    // Any engine the harness resolves: registry names and corruption mutants
    // (`mutant-<kind>:<engine>`, so certification can be shown to fail through the protocol).
    let spec = engines::resolve(&args.engine).map_err(|_| ServeCliError::UnknownEngine {
        name: args.engine.clone(),
        known: adapters::names(),
    })?;
    let probe = (spec.create)(&EngineConfig::default());
    let info = AdapterInfo::for_engine(&*probe, env!("CARGO_PKG_VERSION"), spec.checkpoints);
    drop(probe);
    server::serve(&*spec.create, &info, stdin(), stdout(), args.fault)?;
    Ok(())
}
