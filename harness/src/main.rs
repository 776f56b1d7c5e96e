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
    /// Adapter registry for `proc:NAME` engines (default: adapters.toml in the current
    /// directory or an ancestor).
    #[arg(long, global = true)]
    adapters: Option<PathBuf>,
    /// An out-of-process adapter, `NAME=COMMAND` (repeatable; overrides the registry file);
    /// use it as engine `proc:NAME`.
    #[arg(long = "adapter", global = true)]
    adapter: Vec<String>,
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
        /// Instead of a campaign, measure detection power: for every corruption mutant (of
        /// `stack`, among the default engines), cases and time to the first finding, median
        /// over 5 seeds from --seed (default 1), with and without the seed corpus; --time is
        /// the budget per run (default 10s), --cases caps it; writes <out>/bench-mutants.json.
        #[arg(long)]
        bench_mutants: bool,
        /// Exit 1 on `oracle` findings too (primary-oracle-only disagreements the tie-breaker
        /// oracle sides with the engines on).
        #[arg(long)]
        strict_oracle: bool,
        /// Run only shard I of N of the case space (disjoint across I; combine the shards'
        /// folders with `baton merge`).
        #[arg(long, value_parser = parse_shard)]
        shard: Option<baton::fuzz::campaign::space::Shard>,
        /// Continue the killed or interrupted campaign in DIR (settings from
        /// DIR/campaign.json; cases already journaled are not run again).
        #[arg(long, value_name = "DIR", conflicts_with = "out")]
        resume: Option<PathBuf>,
    },
    /// Union campaign folders of one seed (shards): findings deduplicated by hash, counts
    /// summed, journals and summaries merged (exit 1 when the union has failing findings).
    Merge {
        /// The campaign folders (each with campaign.json and journal.jsonl).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged campaign goes.
        #[arg(long)]
        into: PathBuf,
        /// Count `oracle` findings as failing too.
        #[arg(long)]
        strict_oracle: bool,
    },
    /// Replay a case (case.json, a finding directory, or a crash artifact of the
    /// `differential` fuzz target); exit 1 while it fails.
    Reproduce {
        /// The case file, finding directory or raw fuzz-target input.
        case: PathBuf,
        /// Where a failing crash artifact is written as a finding directory.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
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
    /// Certify an engine: run the fixed battery (spec suite, checkpoint-everywhere, seeded
    /// campaign, hostile images, capabilities) and write certificate.json and certificate.md
    /// (exit 1 unless every required check passes).
    Certify(baton::certify::cli::CertifyArgs),
    /// Time the corpus/bench workloads on engines (wasmi always included as the anchor).
    Bench(baton::bench::cli::BenchArgs),
    /// Check your own module: run it on every engine and oracle, then checkpoint it at sampled
    /// events and restore on every engine; findings as for fuzz (exit 1 on a failure, 2 when
    /// the module cannot be checked).
    Check(baton::check::CheckArgs),
    /// Look at, check, compare and run image files (untrusted input: limits apply).
    #[command(subcommand)]
    Image(baton::image::cli::ImageCommand),
    /// Serve an engine over the out-of-process adapter protocol on stdin/stdout
    /// (docs/adapter-protocol.md).
    Serve(baton::serve::ServeArgs),
    /// Rewrite a module so any engine can checkpoint it (`instrumented:<engine>` adapters).
    Instrument(baton::instrument::cli::InstrumentArgs),
}

/// Exit status 1 when a command found failures.
fn exit(failed: bool) -> Result<ExitCode> {
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn parse_shard(text: &str) -> Result<baton::fuzz::campaign::space::Shard, String> {
    text.parse()
}

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    baton::adapters::process::configure(cli.adapters.as_deref(), &cli.adapter)?;
    match cli.command {
        Command::Fuzz {
            time,
            cases,
            jobs,
            seed,
            engines,
            out,
            bench,
            bench_mutants,
            strict_oracle,
            shard,
            resume,
        } => Ok(ExitCode::from(
            baton::fuzz::cli::fuzz(&baton::fuzz::cli::FuzzArgs {
                time,
                cases,
                jobs,
                seed,
                engines,
                out,
                bench,
                bench_mutants,
                strict_oracle,
                shard,
                resume,
            })?
            .code(),
        )),
        Command::Merge {
            dirs,
            into,
            strict_oracle,
        } => exit(baton::fuzz::cli::merge_command(
            &dirs,
            &into,
            strict_oracle,
        )?),
        Command::Check(args) => match baton::check::run_command(&args) {
            Ok(summary) => exit(summary.failed()),
            Err(error) => {
                eprintln!("error: {error}");
                Ok(ExitCode::from(2))
            }
        },
        Command::Reproduce { case, out } => exit(baton::fuzz::cli::reproduce_command(&case, &out)?),
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
        // Plain message and status 70 (no backtrace capture: an adapter should die quickly).
        Command::Serve(args) => Ok(match baton::serve::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("baton serve: {error}");
                ExitCode::from(70)
            }
        }),
        Command::Certify(args) => {
            let certificate = baton::certify::cli::run(&args)?;
            println!("{}", certificate.summary());
            exit(!certificate.certified())
        }
        Command::Instrument(args) => match baton::instrument::cli::run(&args) {
            Ok(summary) => {
                println!("{summary}");
                Ok(ExitCode::SUCCESS)
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
