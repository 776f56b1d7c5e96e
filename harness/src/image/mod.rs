//! `baton image`: tools for image files someone hands you — show, json, validate against a
//! module, diff two images, and restore one on an engine and run it to the end.
//!
//! Images are untrusted input: every file is size-checked before it is read, decoded under
//! [`baton_checkpoint::DecodeLimits`], and every failure is an [`ImageToolError`] naming the file
//! and what is wrong (the CLI exits nonzero); no bytes make these tools panic.
//! An image file is either the canonical binary (starting with `BATONIMG`) or its JSON view.

pub mod cli;
mod diff;
mod error;
mod load;
mod run;

pub use diff::{diff_images, ImageDiff};
pub use error::ImageToolError;
pub use load::{load_image, load_module};
pub use run::{run_image, RunSummary};
