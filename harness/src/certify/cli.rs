//! `baton certify`: arguments and their execution (the binary only parses and prints).
//!
//! Invariant: bad arguments (unknown engine or reference) are typed errors; everything the
//! engine does ends in a certificate and a verdict, never in an error here.

use std::path::PathBuf;

use thiserror::Error;

use super::battery::{FULL, QUICK};
use super::certificate::Certificate;
use super::subject::{default_references, Subject, SubjectError};
use super::{certify, Options};
use crate::fuzz::engines;

/// Arguments of `baton certify`.
#[derive(Clone, Debug, clap::Args)]
pub struct CertifyArgs {
    /// The engine to certify: a registered name, or `mutant-<kind>:<engine>`.
    #[arg(long)]
    pub engine: String,
    /// Reference engines (default: every registered checkpointing engine but the engine).
    #[arg(long, value_delimiter = ',')]
    pub against: Option<Vec<String>>,
    /// Where the certificate and findings go (default: `reports/certify/<engine>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The quick battery (fewer files and cases; for tests, not for certificates).
    #[arg(long)]
    pub quick: bool,
}

/// Why `baton certify` could not run.
#[derive(Debug, Error)]
pub enum CertifyError {
    /// The engine does not resolve.
    #[error(transparent)]
    Subject(#[from] SubjectError),
    /// A reference does not resolve.
    #[error("reference engine {name:?}: {message}")]
    Reference {
        /// The name given.
        name: String,
        /// The resolver's message.
        message: String,
    },
    /// The certificate could not be written.
    #[error("writing the certificate into {path}: {source}")]
    Write {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The default output directory for `engine`: `reports/certify/<engine>` with every character
/// outside `[A-Za-z0-9._-]` replaced by `_`.
pub fn default_out(engine: &str) -> PathBuf {
    let safe: String = engine
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("reports").join("certify").join(safe)
}

/// Runs `baton certify`; the certificate (its verdict decides the exit status).
pub fn run(args: &CertifyArgs) -> Result<Certificate, CertifyError> {
    let subject = Subject::resolve(&args.engine)?;
    let names = args
        .against
        .clone()
        .unwrap_or_else(|| default_references(&args.engine));
    let references = names
        .iter()
        .map(|name| {
            engines::resolve(name).map_err(|message| CertifyError::Reference {
                name: name.clone(),
                message,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.engine));
    let options = Options {
        battery: if args.quick { &QUICK } else { &FULL },
        out: out.clone(),
        exit_on_hang: true,
        progress: true,
    };
    certify(&subject, &references, &options)
        .map_err(|source| CertifyError::Write { path: out, source })
}
