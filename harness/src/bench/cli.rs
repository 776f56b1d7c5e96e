//! `baton bench`: command-line arguments and their execution (the binary only parses and
//! prints).

use std::path::PathBuf;

use super::{default_dir, load_workloads, render, run as run_bench, BenchError, BenchReport};
use crate::adapters::{self, EngineEntry};
use baton_engine::EngineConfig;

/// Arguments of `baton bench`.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// Engines to time besides wasmi (default: every registered engine).
    #[arg(long, value_delimiter = ',')]
    pub engines: Option<Vec<String>>,
    /// Timed rounds per workload (best is reported).
    #[arg(long, default_value_t = 5)]
    pub iterations: u32,
    /// Only workloads whose name contains this.
    #[arg(long)]
    pub workload: Option<String>,
    /// Workload directory (default: the workspace's corpus/bench).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Input for every workload instead of its own `size` global.
    #[arg(long)]
    pub size: Option<i32>,
}

/// Runs `baton bench`: the table and the report.
pub fn run(args: &BenchArgs) -> Result<(String, BenchReport), BenchError> {
    let entries: Vec<&'static EngineEntry> = match &args.engines {
        Some(names) => names
            .iter()
            .map(|name| {
                adapters::find(name).ok_or_else(|| BenchError::UnknownEngine {
                    name: name.clone(),
                    known: adapters::names(),
                })
            })
            .collect::<Result<_, _>>()?,
        None => adapters::REGISTRY.iter().collect(),
    };
    let dir = args.dir.clone().unwrap_or_else(default_dir);
    let workloads = load_workloads(&dir, args.workload.as_deref())?;
    let report = run_bench(
        &workloads,
        &entries,
        args.iterations,
        args.size,
        &EngineConfig::default(),
    )?;
    Ok((render(&report), report))
}
