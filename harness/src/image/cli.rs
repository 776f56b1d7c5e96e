//! The `baton image` subcommands and their exit status: 0 when the command succeeded (for
//! `diff`: the images are identical), 1 when `diff` found a difference, an error (exit 2 by the
//! CLI's convention for errors) for bad input.

use std::path::PathBuf;

use baton_checkpoint::{to_json, to_text, validate, DecodeLimits};
use clap::Subcommand;

use super::diff::diff_images;
use super::error::ImageToolError;
use super::load::{load_image, load_module};
use super::run::run_image;

/// `baton image ...`.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Print the image's text view.
    Show {
        /// The image file (binary, or the JSON view).
        image: PathBuf,
    },
    /// Print the image's JSON view (readable back by every `baton image` command).
    Json {
        /// The image file.
        image: PathBuf,
    },
    /// Check the image against a module (exit 0 when it fits; otherwise the first violation,
    /// naming frame, function and pc).
    Validate {
        /// The image file.
        image: PathBuf,
        /// The module (binary or WAT).
        #[arg(long)]
        module: PathBuf,
    },
    /// Compare two images: exit 0 when byte-identical, 1 with the first difference and a
    /// unified diff of the text views otherwise.
    Diff {
        /// The first image.
        left: PathBuf,
        /// The second image.
        right: PathBuf,
    },
    /// Restore the image on an engine and run its call to the end; prints the outcome.
    Run {
        /// The image file.
        image: PathBuf,
        /// The module it was taken from (binary or WAT).
        #[arg(long)]
        module: PathBuf,
        /// The engine (any registered name, e.g. stack, register).
        #[arg(long, default_value = "stack")]
        engine: String,
        /// Stop after this many events (out of fuel) instead of running unbounded.
        #[arg(long)]
        fuel: Option<u64>,
    },
}

/// What a command printed and whether it found a difference.
#[derive(Debug)]
pub struct ImageCommandOutput {
    /// The text to print on stdout.
    pub text: String,
    /// True when the command's answer is "no" (images differ).
    pub differs: bool,
}

/// Runs one `baton image` command.
pub fn run(command: &ImageCommand) -> Result<ImageCommandOutput, ImageToolError> {
    let limits = DecodeLimits::default();
    let done = |text: String| {
        Ok(ImageCommandOutput {
            text,
            differs: false,
        })
    };
    match command {
        ImageCommand::Show { image } => done(to_text(&load_image(image, &limits)?)),
        ImageCommand::Json { image } => done(to_json(&load_image(image, &limits)?) + "\n"),
        ImageCommand::Validate { image, module } => {
            let loaded = load_image(image, &limits)?;
            let (_, analysis) = load_module(module)?;
            validate(&loaded, &analysis).map_err(|source| ImageToolError::Invalid {
                image: image.clone(),
                module: module.clone(),
                source: Box::new(source),
            })?;
            done(format!(
                "{}: valid for {}\n",
                image.display(),
                module.display()
            ))
        }
        ImageCommand::Diff { left, right } => {
            let (a, b) = (load_image(left, &limits)?, load_image(right, &limits)?);
            let names = (left.display().to_string(), right.display().to_string());
            Ok(match diff_images(&a, &b, (&names.0, &names.1)) {
                None => ImageCommandOutput {
                    text: "identical\n".into(),
                    differs: false,
                },
                Some(diff) => {
                    let first = match diff.first {
                        Some((line, l, r)) => format!(
                            "first difference at line {line} of the text views:\n  {}: {l}\n  {}: {r}\n",
                            names.0, names.1
                        ),
                        None => "the text views are equal; the canonical bytes differ\n".into(),
                    };
                    ImageCommandOutput {
                        text: format!("{first}{}", diff.unified),
                        differs: true,
                    }
                }
            })
        }
        ImageCommand::Run {
            image,
            module,
            engine,
            fuel,
        } => {
            let loaded = load_image(image, &limits)?;
            let summary = run_image(&loaded, image, module, engine, *fuel)?;
            done(format!("{summary}\n"))
        }
    }
}
