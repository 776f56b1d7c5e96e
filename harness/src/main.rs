//! The `baton` command line: a thin layer over the `baton` library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
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
    /// engine pair, compare, report findings to --out (exit 1 when there are failing findings).
    ///
    /// Findings of class `oracle` (the primary oracle, wasmi 2.0, differs from every engine
    /// while the tie-breaker oracle, wasmi 1.x, and all engines agree: known wasmi 2.0
    /// miscompilations and NaN payloads the spec leaves open, see reports/README.md) are written
    /// to --out and counted in the summary but do not make the campaign exit 1 unless
    /// --strict-oracle is given. Every other class, including `semantics`, does.
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
        /// Exit 1 on `oracle` findings too (primary-oracle-only disagreements the tie-breaker
        /// oracle sides with the engines on).
        #[arg(long)]
        strict_oracle: bool,
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
    Spec(baton::spec::cli::SpecArgs),
    /// Time the corpus/bench workloads on engines (wasmi always included as the anchor).
    Bench(baton::bench::cli::BenchArgs),
    /// Check your own module: run it on every engine and oracle, then checkpoint it at sampled
    /// events and restore on every engine; findings as for fuzz (exit 1 on a failure, 2 when
    /// the module cannot be checked).
    Check(baton::check::CheckArgs),
    /// Look at, check, compare and run image files (untrusted input: limits apply).
    #[command(subcommand)]
    Image(baton::image::cli::ImageCommand),
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
            strict_oracle,
        } => exit(baton::fuzz::cli::fuzz(&baton::fuzz::cli::FuzzArgs {
            time,
            cases,
            jobs,
            seed,
            engines,
            out,
            bench,
            strict_oracle,
        })?),
        Command::Check(args) => match baton::check::run_command(&args) {
            Ok(summary) => exit(summary.failed()),
            Err(error) => {
                eprintln!("error: {error}");
                Ok(ExitCode::from(2))
            }
        },
        Command::Reproduce { case } => exit(baton::fuzz::cli::reproduce_command(&case)?),
        Command::Shrink { case, attempts } => {
            exit(baton::fuzz::cli::shrink_command(&case, attempts)?)
        }
        Command::Bench(args) => {
            let (table, report) = baton::bench::cli::run(&args)?;
            print!("{table}");
            Ok(if report.mismatches.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Image(command) => match baton::image::cli::run(&command) {
            Ok(output) => {
                print!("{}", output.text);
                exit(output.differs)
            }
            Err(error) => {
                eprintln!("error: {error}");
                Ok(ExitCode::from(2))
            }
        },
        Command::Spec(args) => {
            let (text, report) = baton::spec::cli::run(&args)?;
            print!("{text}");
            Ok(if report.failed() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
