//! The `baton fuzz`, `baton reproduce` and `baton shrink` commands as library functions, so the
//! binary stays a thin argument parser.
//!
//! Invariants: every function returns whether the command found a failure (exit status 1) or a
//! typed error (bad arguments, unreadable case, unwritable output folder) for the binary to
//! print; nothing here panics on user input; `baton fuzz` proves its output folder writable
//! before any case runs.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};

use super::campaign::{self, space::Shard, Budget};
use super::case::Case;
use super::engines::{default_names, resolve_all};
use super::exec::Limits;
use super::finding::Class;
use super::shrink::{shrink, write_next_to};

/// Parses `60s`, `2m`, `1h`, `500ms` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| text.split_at(i));
    let value: f64 = number
        .parse()
        .map_err(|_| anyhow!("bad duration {text:?} (try 60s, 5m, 1h)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => bail!("bad duration unit {other:?} in {text:?} (ms, s, m, h)"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// Settings of `baton fuzz`.
#[derive(Clone, Debug)]
pub struct FuzzArgs {
    /// Time budget (default 60 s when `cases` is absent).
    pub time: Option<Duration>,
    /// Case budget.
    pub cases: Option<u64>,
    /// Worker threads (default: available cores).
    pub jobs: Option<usize>,
    /// Campaign seed (default: from the clock, printed).
    pub seed: Option<u64>,
    /// Engines (default: every registered engine).
    pub engines: Option<Vec<String>>,
    /// Output directory.
    pub out: PathBuf,
    /// Measure harness throughput and overhead over bare execution instead of a campaign.
    pub bench: bool,
    /// Measure detection power (cases and time to each mutant's first finding) instead of a
    /// campaign.
    pub bench_mutants: bool,
    /// Count `oracle` findings as failures too (by default they are reported, not failing).
    pub strict_oracle: bool,
    /// The part of the case space to run (`None`: all of it).
    pub shard: Option<Shard>,
    /// Continue the campaign in this folder (its `campaign.json` gives the settings).
    pub resume: Option<PathBuf>,
}

/// How `baton fuzz` ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuzzStatus {
    /// The budget was used up and nothing failing was found (exit 0).
    Clean,
    /// A failing finding was found (exit 1).
    Failing,
    /// Interrupted (SIGINT) before the budget was used up, nothing failing found (exit 130);
    /// `--resume` continues it.
    Interrupted,
}

impl FuzzStatus {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            FuzzStatus::Clean => 0,
            FuzzStatus::Failing => 1,
            FuzzStatus::Interrupted => 130,
        }
    }
}

/// Registers the SIGINT handling of a campaign: the first SIGINT sets the returned flag (the
/// campaign stops taking cases and writes its summary), a second one exits at once with
/// status 130 (the journal stays consistent).
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        use signal_hook::consts::SIGINT;
        // Order matters: the conditional exit sees the flag before the first SIGINT sets it.
        let exit = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, flag.clone());
        let set = signal_hook::flag::register(SIGINT, flag.clone());
        if let Err(error) = exit.and(set) {
            eprintln!("baton fuzz: cannot handle SIGINT ({error}); Ctrl-C will lose the summary");
        }
    }
    flag
}

/// The settings of the campaign to resume in `dir`, checked against what was also given.
fn resumed(args: &FuzzArgs, dir: &Path) -> Result<(campaign::output::Manifest, PathBuf)> {
    if args.seed.is_some()
        || args.engines.is_some()
        || args.cases.is_some()
        || args.time.is_some()
        || args.shard.is_some()
    {
        bail!(
            "--resume takes seed, engines, budget and shard from {}; drop those options",
            dir.join(campaign::output::MANIFEST).display()
        );
    }
    Ok((campaign::output::read_manifest(dir)?, dir.to_path_buf()))
}

/// Cases `baton fuzz --bench` measures by default.
pub const BENCH_CASES: u64 = 1000;

/// Runs `baton fuzz` (a campaign, a resumed campaign, or `--bench`).
pub fn fuzz(args: &FuzzArgs) -> Result<FuzzStatus> {
    if args.bench_mutants {
        bench_mutants(args)?;
        return Ok(FuzzStatus::Clean);
    }
    if args.bench {
        let names = args.engines.clone().unwrap_or_else(default_names);
        let engines = resolve_all(&names).map_err(|e| anyhow!(e))?;
        let seed = args.seed.unwrap_or(1);
        let cases = args.cases.unwrap_or(BENCH_CASES);
        eprintln!(
            "baton fuzz --bench: seed {seed}, {cases} cases, engines {}",
            names.join(",")
        );
        let report = quiet_panics(|| super::bench::run(seed, cases, &engines, &Limits::default()));
        print!("{}", report.render());
        return Ok(FuzzStatus::Clean);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (names, budget, seed, shard, out) = match &args.resume {
        Some(dir) => {
            let (manifest, out) = resumed(args, dir)?;
            (
                manifest.engines,
                manifest.budget,
                manifest.seed,
                manifest.shard,
                out,
            )
        }
        None => {
            let budget = match (args.cases, args.time) {
                (Some(n), _) => Budget::Cases(n),
                (None, Some(t)) => Budget::Time(t),
                (None, None) => Budget::Time(Duration::from_secs(60)),
            };
            let seed = args.seed.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            });
            let names = args.engines.clone().unwrap_or_else(default_names);
            (
                names,
                budget,
                seed,
                args.shard.unwrap_or(Shard::WHOLE),
                args.out.clone(),
            )
        }
    };
    let engines = resolve_all(&names).map_err(|e| anyhow!(e))?;
    // Before anything costly: a campaign whose findings cannot be kept must not run.
    campaign::output::prepare(&out)?;
    eprintln!(
        "baton fuzz: seed {seed}, engines {}, {jobs} jobs, {budget:?}, shard {shard}, findings to {}{}",
        names.join(","),
        out.display(),
        if args.resume.is_some() { " (resuming)" } else { "" }
    );
    let seeds = seed_corpus(&engines);
    let options = campaign::Options {
        budget,
        jobs,
        seed,
        engines,
        out: Some(out.clone()),
        limits: Limits::default(),
        progress: true,
        seeds,
        exit_on_hang: true,
        shard,
        resume: args.resume.is_some(),
        stop: Some(interrupt_flag()),
    };
    let outcome = quiet_panics(|| campaign::run(&options))?;
    for unique in &outcome.findings {
        let place = unique
            .dir
            .as_ref()
            .map_or_else(|| unique.finding.signature(), |d| d.display().to_string());
        println!(
            "finding [{}] x{}: {} ({})",
            unique.finding.class.name(),
            unique.count,
            unique.finding.summary,
            place
        );
    }
    println!("{}", outcome.summary.line());
    println!("{}", outcome.summary.distribution.render());
    println!("summary: {}", out.join("summary.json").display());
    let failing = outcome
        .findings
        .iter()
        .any(|unique| unique.finding.class.fails(args.strict_oracle));
    let oracle_only = outcome
        .findings
        .iter()
        .any(|unique| unique.finding.class == Class::Oracle);
    if oracle_only && !failing {
        println!(
            "only `oracle` findings (the primary oracle disagrees; the engines and the independent \
             engines that could run the case agree): \
             not failing (--strict-oracle makes them fail)"
        );
    }
    if !outcome.summary.complete {
        println!(
            "interrupted before the budget was used up; continue with: baton fuzz --resume {}",
            out.display()
        );
    }
    Ok(if failing {
        FuzzStatus::Failing
    } else if outcome.summary.complete {
        FuzzStatus::Clean
    } else {
        FuzzStatus::Interrupted
    })
}

/// Runs `baton merge DIR... --into DIR`; `Ok(true)` (exit 1) when the merged campaign has
/// failing findings (`oracle` ones only with `strict_oracle`).
pub fn merge_command(inputs: &[PathBuf], into: &Path, strict_oracle: bool) -> Result<bool> {
    let summary = campaign::merge::merge(inputs, into)?;
    for (dir, count) in &summary.unique_findings {
        println!("finding x{count}: {}", into.join(dir).display());
    }
    println!("{}", summary.line());
    println!("summary: {}", into.join("summary.json").display());
    let failing = summary
        .findings
        .iter()
        .any(|(class, n)| *n > 0 && Class::from_name(class).is_none_or(|c| c.fails(strict_oracle)));
    Ok(failing)
}

/// Seeds `baton fuzz --bench-mutants` measures each mutant with.
pub const BENCH_MUTANT_SEEDS: u64 = 5;

fn bench_mutants(args: &FuzzArgs) -> Result<()> {
    let first = args.seed.unwrap_or(1);
    let seeds: Vec<u64> = (first..first + BENCH_MUTANT_SEEDS).collect();
    let budget = super::bench_mutants::Budget {
        time: args.time.unwrap_or(Duration::from_secs(10)),
        cases: args.cases.unwrap_or(u64::MAX),
    };
    eprintln!(
        "baton fuzz --bench-mutants: seeds {seeds:?}, {budget:?} per run, mutants of {}",
        super::bench_mutants::BASE
    );
    let rows = quiet_panics(|| super::bench_mutants::run(&seeds, budget, &Limits::default()))
        .map_err(|e| anyhow!(e))?;
    print!("{}", super::bench_mutants::render(&rows));
    std::fs::create_dir_all(&args.out)?;
    let path = args.out.join("bench-mutants.json");
    std::fs::write(&path, serde_json::to_string_pretty(&rows)?)?;
    println!("written to {}", path.display());
    Ok(())
}

/// The seed corpus (`corpus/seeds/*.wat`) as cases for `engines`; unreadable seeds are reported
/// and skipped.
pub fn seed_corpus(engines: &[super::engines::EngineSpec]) -> Vec<Case> {
    let dir = super::corpus::corpus_dir().join("seeds");
    let mut cases = Vec::new();
    for path in super::corpus::files(&dir, "wat") {
        let loaded = wat::parse_file(&path)
            .map_err(|e| e.to_string())
            .and_then(|wasm| super::corpus::seed_cases(&wasm, engines, SEED_STOPS));
        match loaded {
            Ok(mut more) => cases.append(&mut more),
            Err(error) => eprintln!("skipping seed {}: {error}", path.display()),
        }
    }
    cases
}

/// Stop points per invocation for seed modules in a campaign.
pub const SEED_STOPS: u64 = 8;

/// Runs `baton reproduce <case>`; `Ok(true)` while the case still fails. A crash artifact of the
/// `differential` fuzz target (raw bytes) that fails becomes a finding folder under `out`.
pub fn reproduce_command(path: &Path, out: &Path) -> Result<bool> {
    let limits = Limits::default();
    // A case that hangs an engine (no fuel on the oracle) must not hang the replay: past the
    // campaign's hang limit per engine operation, report it and exit 1.
    let hang = limits.wall * 2 * 16;
    std::thread::spawn(move || {
        std::thread::sleep(hang);
        println!("timeout: the case is still running after {hang:?} (an engine hangs)");
        std::process::exit(1);
    });
    let (case, raw) = super::reproduce::load(path)?;
    let replay = quiet_panics(|| super::reproduce::replay(case, &limits))?;
    print!("{}", replay.report);
    if let (true, super::oracles::Verdict::Finding(finding)) = (raw, &replay.result.verdict) {
        campaign::output::prepare(out)?;
        let dir = super::report::write(out, &replay.case, finding, 1)
            .with_context(|| format!("writing the finding under {}", out.display()))?;
        println!("finding written to {}", dir.display());
    }
    Ok(replay.fails())
}

/// Runs `baton shrink <case>`; `Ok(false)` (exit 0) once the minimized case is written (it
/// fails in the original's class by construction; `baton reproduce` on it exits 1).
pub fn shrink_command(path: &Path, attempts: u32) -> Result<bool> {
    let case = Case::load(path)?;
    let shrunk = quiet_panics(|| shrink(&case, &Limits::default(), attempts))?;
    let dir = write_next_to(path, &shrunk).context("writing the minimized case")?;
    println!(
        "shrunk [{}]: module {} -> {} bytes, {} -> {} invocations, k {} -> {}; written to {}",
        shrunk.finding.class.name(),
        shrunk.module_sizes.0,
        shrunk.module_sizes.1,
        case.invocations.len(),
        shrunk.case.invocations.len(),
        case.schedule.k,
        shrunk.case.schedule.k,
        dir.display()
    );
    Ok(false)
}

/// Runs `f` with the panic hook silenced (engine panics are caught and reported as findings;
/// the default hook would scribble over the progress bar). `BATON_SHOW_PANICS=1` keeps them.
pub fn quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    if std::env::var_os("BATON_SHOW_PANICS").is_some() {
        return f();
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = f();
    std::panic::set_hook(previous);
    result
}
