//! `baton spec`: command-line arguments and their execution (the binary only parses and
//! prints).

use std::path::PathBuf;

use baton_checkpoint::EventKind;
use thiserror::Error;

use super::{render, run_suite, CheckpointSettings, SpecOptions, SuiteReport};
use crate::adapters::{self, EngineEntry};
use baton_engine::{EngineConfig, KindSet};

/// Arguments of `baton spec`.
#[derive(Clone, Debug, clap::Args)]
pub struct SpecArgs {
    /// Engine to test.
    #[arg(long, default_value = "stack")]
    pub engine: String,
    /// Only files whose name contains this.
    #[arg(long)]
    pub file: Option<String>,
    /// Print every failure and skip.
    #[arg(short, long)]
    pub verbose: bool,
    /// Also checkpoint every invocation at each of its first `--cap` stops.
    #[arg(long)]
    pub checkpoint_everywhere: bool,
    /// Cross-engine checkpointing: `source,target` (implies --checkpoint-everywhere).
    #[arg(long, value_delimiter = ',')]
    pub engines: Option<Vec<String>>,
    /// Stop points per invocation in checkpoint mode.
    #[arg(long, default_value_t = 200)]
    pub cap: u64,
    /// In checkpoint mode, also stop at every instruction boundary (`any` safe points).
    #[arg(long)]
    pub any: bool,
    /// Maximum Wasm frames.
    #[arg(long, default_value_t = 1024)]
    pub max_frames: u32,
    /// Also write every failure (file:line:col directive: message) to this file.
    #[arg(long)]
    pub failures_file: Option<PathBuf>,
}

/// Why `baton spec` could not run.
#[derive(Debug, Error)]
pub enum SpecCliError {
    /// No engine of that name.
    #[error("unknown engine {name:?} (known: {known})")]
    UnknownEngine {
        /// The name given.
        name: String,
        /// The registered names.
        known: String,
    },
    /// `--engines` needs exactly a source and a target.
    #[error("--engines takes exactly two names: source,target")]
    EnginesPair,
    /// Checkpoint mode on an engine without checkpoint operations.
    #[error("engine {0} cannot checkpoint")]
    CannotCheckpoint(&'static str),
    /// The failures file could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn engine(name: &str) -> Result<&'static EngineEntry, SpecCliError> {
    adapters::find(name).ok_or_else(|| SpecCliError::UnknownEngine {
        name: name.to_string(),
        known: adapters::names(),
    })
}

/// The options the arguments ask for.
pub fn options(args: &SpecArgs) -> Result<SpecOptions, SpecCliError> {
    let kinds = if args.any {
        KindSet::MAIN.with(EventKind::Any)
    } else {
        KindSet::MAIN
    };
    let (source, checkpoint) = match &args.engines {
        Some(pair) => {
            let [source, target] = pair.as_slice() else {
                return Err(SpecCliError::EnginesPair);
            };
            let settings = CheckpointSettings {
                target: engine(target)?.into(),
                cap: args.cap,
                kinds,
            };
            (engine(source)?, Some((engine(target)?, settings)))
        }
        None => {
            let source = engine(&args.engine)?;
            let settings = args.checkpoint_everywhere.then(|| {
                let settings = CheckpointSettings {
                    target: source.into(),
                    cap: args.cap,
                    kinds,
                };
                (source, settings)
            });
            (source, settings)
        }
    };
    if let Some((target, _)) = &checkpoint {
        for entry in [source, *target] {
            if !entry.checkpoints {
                return Err(SpecCliError::CannotCheckpoint(entry.name));
            }
        }
    }
    let checkpoint = checkpoint.map(|(_, settings)| settings);
    Ok(SpecOptions {
        engine: source.into(),
        config: EngineConfig {
            max_frames: args.max_frames,
        },
        checkpoint,
        // A pair's target must be able to restore every module it is given.
        declared: match &args.engines {
            Some(pair) if pair.len() == 2 => {
                super::declared::Declared::of_pair(source.name, &pair[1])
            }
            _ => super::declared::Declared::of(source.name),
        },
    })
}

/// Runs `baton spec`: the report text (ending with the closing line) and the suite report.
pub fn run(args: &SpecArgs) -> Result<(String, SuiteReport), SpecCliError> {
    let options = options(args)?;
    let report = run_suite(args.file.as_deref(), &options);
    if let Some(path) = &args.failures_file {
        std::fs::write(path, render::failures(&report, &options)).map_err(|source| {
            SpecCliError::Write {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok((render::render(&report, &options, args.verbose), report))
}
