//! The `baton check` arguments and the command: build the case, run the check, print the
//! summary line and each finding's directory.
//!
//! Invariant: bad input (unreadable module, unknown export, bad argument, unknown engine) is a
//! typed error; the exit status is 1 exactly when a failing finding was recorded.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use super::samples::Sampling;
use super::sweep::{check, CheckOptions};
use super::target::{build_case, read_module, Entry};
use super::CheckSummary;
use crate::fuzz::engines::default_names;
use crate::wasi::state::HexBytes;
use crate::wasi::WasiConfig;

/// `baton check MODULE.wasm [--invoke EXPORT [ARGS...] | --wasi [-- PROGRAM-ARGS...]]`.
#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// The module to check.
    pub module: PathBuf,
    /// Invoke this export with these arguments (typed by its signature; `0x` for hex).
    #[arg(long, num_args = 1.., value_name = "EXPORT [ARGS]", conflicts_with = "wasi")]
    pub invoke: Option<Vec<String>>,
    /// Run the module as a WASI command (`_start`); the default when neither is given.
    #[arg(long)]
    pub wasi: bool,
    /// Arguments passed to the WASI program (after `--`).
    #[arg(last = true)]
    pub program_args: Vec<String>,
    /// A file whose bytes are the WASI program's stdin (default: empty).
    #[arg(long)]
    pub stdin: Option<PathBuf>,
    /// An environment entry `KEY=value` for the WASI program (repeatable).
    #[arg(long = "env")]
    pub env: Vec<String>,
    /// A file `NAME=PATH` placed in the preopened directory at the start (repeatable).
    #[arg(long = "file")]
    pub files: Vec<String>,
    /// Engines (default: every registered engine; mutants as mutant-<kind>:<engine>).
    #[arg(long, value_delimiter = ',')]
    pub engines: Option<Vec<String>>,
    /// Stop at this many events spread over the run.
    #[arg(long, default_value_t = 50, conflicts_with = "every")]
    pub samples: u64,
    /// Stop at every event (up to --cap).
    #[arg(long)]
    pub every: bool,
    /// With --every: at most this many stops.
    #[arg(long, default_value_t = 10_000)]
    pub cap: u64,
    /// Also restore through chains of three engines.
    #[arg(long)]
    pub chains: bool,
    /// Migrate through exactly these three engines at each sample (`A,B,C`: stop on A at the
    /// sample, restore on B and stop at the next sample, restore on C and run to the end, then
    /// compare with the uninterrupted run), e.g.
    /// `instrumented:wasmi,register,instrumented:proc:v8`. Without --engines, the engines are
    /// the oracle and these three.
    #[arg(long, value_delimiter = ',', num_args = 1, value_name = "A,B,C")]
    pub migrate: Option<Vec<String>>,
    /// Seed (WASI random generator, chain order).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Event fuel per run (a run that exceeds it ends "out of fuel" on every engine).
    #[arg(long, default_value_t = 10_000_000_000)]
    pub fuel: u64,
    /// Where findings and summary.json go.
    #[arg(long, default_value = "reports/check")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl CheckArgs {
    /// The WASI inputs these arguments describe.
    fn wasi_config(&self) -> anyhow::Result<WasiConfig> {
        let program = self.module.file_name().map_or_else(
            || "program".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut config = WasiConfig::command(&program, &self.program_args);
        config.env = self.env.clone();
        config.seed = self.seed;
        if let Some(path) = &self.stdin {
            config.stdin = HexBytes(
                std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("--stdin {}: {e}", path.display()))?,
            );
        }
        let mut files = BTreeMap::new();
        for spec in &self.files {
            let (name, path) = spec
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--file {spec:?}: expected NAME=PATH"))?;
            let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("--file {path}: {e}"))?;
            files.insert(name.to_string(), HexBytes(bytes));
        }
        config.files = files;
        Ok(config)
    }

    /// The check these arguments ask for.
    pub fn options(&self) -> anyhow::Result<CheckOptions> {
        let entry = match &self.invoke {
            Some(words) => Entry::Invoke {
                export: words.first().cloned().unwrap_or_default(),
                args: words.iter().skip(1).cloned().collect(),
            },
            None => Entry::Wasi(self.wasi_config()?),
        };
        let route = match &self.migrate {
            Some(route) if route.len() != 3 => {
                anyhow::bail!(
                    "--migrate takes three engines A,B,C, got {}",
                    route.join(",")
                )
            }
            other => other.clone(),
        };
        let engines = match (&self.engines, &route) {
            (Some(engines), _) => engines.clone(),
            (None, Some(route)) => migration_engines(route),
            (None, None) => default_names(),
        };
        let wasm = read_module(&self.module)?;
        let case = build_case(&self.module, wasm, &entry, &engines, self.fuel)?;
        Ok(CheckOptions {
            case,
            sampling: if self.every {
                Sampling::Every { cap: self.cap }
            } else {
                Sampling::Count(self.samples)
            },
            chains: self.chains || route.is_some(),
            route,
            seed: self.seed,
            out: self.out.clone(),
            progress: !self.quiet,
        })
    }
}

/// The engines of a `--migrate` check: the primary oracle (the reference) and the route's,
/// each once.
pub fn migration_engines(route: &[String]) -> Vec<String> {
    let mut engines = vec![crate::fuzz::engines::ORACLE.to_string()];
    for name in route {
        if !engines.contains(name) {
            engines.push(name.clone());
        }
    }
    engines
}

/// Runs `baton check`; prints the summary line and findings; returns the summary.
pub fn run_command(args: &CheckArgs) -> anyhow::Result<CheckSummary> {
    let options = args.options()?;
    let summary = check(&options)?;
    for finding in &summary.findings {
        println!(
            "finding {} (x{}): {}\n  {}",
            finding.class,
            finding.count,
            finding.summary,
            finding.dir.display()
        );
    }
    if let Some(code) = summary.exit_code {
        println!("program exit code: {code}");
    }
    for (name, count) in &summary.unsupported_wasi {
        println!("unsupported WASI call {name}: {count} times (returned ENOSYS)");
    }
    println!("{}", summary.line());
    println!("summary: {}", options.out.join("summary.json").display());
    Ok(summary)
}
