//! The `baton` command line: a thin layer over the `baton` library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use baton::engine::EngineConfig;
use baton::spec::{self, CheckpointSettings, SpecOptions};
use baton::{adapters, bench};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "baton",
    about = "Checkpoint/restore of running WebAssembly instances across interpreters"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Differential checkpoint/restore campaign: generate cases, convert images across every
    /// engine pair, compare, report findings to --out (exit 1 when there are findings).
    Fuzz {
        /// Time budget, e.g. 60s, 5m (default 60s unless --cases is given).
        #[arg(long, value_parser = baton::fuzz::cli::parse_duration)]
        time: Option<std::time::Duration>,
        /// Case budget (overrides --time).
        #[arg(long)]
        cases: Option<u64>,
        /// Worker threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Campaign seed (default: from the clock; printed).
        #[arg(long)]
        seed: Option<u64>,
        /// Engines (default: every registered engine; mutants as mutant-<kind>:<engine>).
        #[arg(long, value_delimiter = ',')]
        engines: Option<Vec<String>>,
        /// Where findings and summary.json go.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Instead of a campaign, print harness throughput (verified conversions/s/core) and
        /// overhead over bare execution of the same runs (--cases, default 1000; --seed).
        #[arg(long)]
        bench: bool,
    },
    /// Replay a case (case.json or a finding directory); exit 1 while it fails.
    Reproduce {
        /// The case file or finding directory.
        case: PathBuf,
    },
    /// Minimise a failing case keeping its finding class; writes `minimized/` next to it.
    Shrink {
        /// The case file or finding directory.
        case: PathBuf,
        /// wasm-shrink attempts.
        #[arg(long, default_value_t = 300)]
        attempts: u32,
    },
    /// Run the WebAssembly 2.0 spec suite on one engine.
    Spec {
        /// Engine to test.
        #[arg(long, default_value = "stack")]
        engine: String,
        /// Only files whose name contains this.
        #[arg(long)]
        file: Option<String>,
        /// Print every failure and skip.
        #[arg(short, long)]
        verbose: bool,
        /// Also checkpoint every invocation at each of its first `--cap` events.
        #[arg(long)]
        checkpoint_everywhere: bool,
        /// Cross-engine checkpointing: `source,target` (implies --checkpoint-everywhere).
        #[arg(long, value_delimiter = ',')]
        engines: Option<Vec<String>>,
        /// Stop points per invocation in checkpoint mode.
        #[arg(long, default_value_t = 200)]
        cap: u64,
        /// Also write every failure (file:line:col directive: message) to this file.
        #[arg(long)]
        failures_file: Option<PathBuf>,
        /// Maximum Wasm frames.
        #[arg(long, default_value_t = 1024)]
        max_frames: u32,
    },
    /// Time the corpus/bench workloads on engines (wasmi always included as the anchor).
    Bench {
        /// Engines to time besides wasmi (default: every registered engine).
        #[arg(long, value_delimiter = ',')]
        engines: Option<Vec<String>>,
        /// Timed runs per workload and engine (best is reported).
        #[arg(long, default_value_t = 5)]
        iterations: u32,
        /// Only workloads whose name contains this.
        #[arg(long)]
        workload: Option<String>,
        /// Workload directory.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Input for every workload instead of its own `size` global.
        #[arg(long)]
        size: Option<i32>,
    },
}

fn engine(name: &str) -> Result<&'static adapters::EngineEntry> {
    adapters::find(name)
        .ok_or_else(|| anyhow!("unknown engine {name:?} (known: {})", adapters::names()))
}

/// Exit status 1 when a command found failures.
fn exit(failed: bool) -> Result<ExitCode> {
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> Result<ExitCode> {
    match Cli::parse().command {
        Command::Fuzz {
            time,
            cases,
            jobs,
            seed,
            engines,
            out,
            bench,
        } => exit(baton::fuzz::cli::fuzz(&baton::fuzz::cli::FuzzArgs {
            time,
            cases,
            jobs,
            seed,
            engines,
            out,
            bench,
        })?),
        Command::Reproduce { case } => exit(baton::fuzz::cli::reproduce_command(&case)?),
        Command::Shrink { case, attempts } => {
            exit(baton::fuzz::cli::shrink_command(&case, attempts)?)
        }
        Command::Bench {
            engines,
            iterations,
            workload,
            dir,
            size,
        } => {
            let entries = match engines {
                Some(names) => names
                    .iter()
                    .map(|name| engine(name))
                    .collect::<Result<Vec<_>>>()?,
                None => adapters::REGISTRY.iter().collect(),
            };
            let dir = dir.unwrap_or_else(bench::default_dir);
            let workloads = bench::load_workloads(&dir, workload.as_deref())?;
            let report = bench::run(
                &workloads,
                &entries,
                iterations,
                size,
                &EngineConfig::default(),
            )?;
            print!("{}", bench::render(&report));
            Ok(if report.mismatches.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Spec {
            engine: engine_name,
            file,
            verbose,
            checkpoint_everywhere,
            engines,
            cap,
            max_frames,
            failures_file,
        } => {
            let (source, checkpoint) = match engines {
                Some(pair) => {
                    let [source, target] = pair.as_slice() else {
                        bail!("--engines takes exactly two names: source,target");
                    };
                    let target = engine(target)?;
                    (engine(source)?, Some(CheckpointSettings { target, cap }))
                }
                None => {
                    let source = engine(&engine_name)?;
                    let checkpoint = checkpoint_everywhere.then_some(CheckpointSettings {
                        target: source,
                        cap,
                    });
                    (source, checkpoint)
                }
            };
            if let Some(settings) = &checkpoint {
                for entry in [source, settings.target] {
                    if !entry.checkpoints {
                        bail!("engine {} cannot checkpoint", entry.name);
                    }
                }
            }
            let options = SpecOptions {
                engine: source,
                config: EngineConfig { max_frames },
                checkpoint,
            };
            let report = spec::run_suite(file.as_deref(), &options);
            print!("{}", spec::render::render(&report, &options, verbose));
            if let Some(path) = failures_file {
                std::fs::write(&path, spec::render::failures(&report, &options))
                    .map_err(|error| anyhow!("writing {}: {error}", path.display()))?;
            }
            Ok(if report.failed() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
