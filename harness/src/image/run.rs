//! `baton image run`: restore an image on an engine and run its call to the end.
//!
//! The module's imports must be the harness host's (`host.*`, whose state travels in the image's
//! host section) — what every image written by `baton fuzz` needs; anything else is refused with
//! [`ImageToolError::Imports`] naming the import. Engine panics are caught and reported as
//! [`ImageToolError::Panic`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use baton_checkpoint::image::Image;
use baton_checkpoint::validate;
use baton_engine::{format_values, EngineConfig, RunOptions, RunOutcome};

use super::error::ImageToolError;
use super::load::load_module;
use crate::fuzz::engines::resolve;
use crate::fuzz::host::{func_imports, link, HostState, HOST_MODULE};

/// What running an image showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSummary {
    /// The engine it ran on.
    pub engine: String,
    /// How the restored call ended; `None` for an idle image (no call in progress).
    pub outcome: Option<RunOutcome>,
    /// Main events fired by the invocation, counted from its start, when the engine counts them.
    pub events: Option<u64>,
    /// Host calls in the trace at the end (the image's plus the run's).
    pub host_calls: usize,
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.outcome {
            None => write!(
                f,
                "{}: idle image restored; no call in progress",
                self.engine
            )?,
            Some(RunOutcome::Returned(values)) => {
                write!(f, "{}: returned {}", self.engine, format_values(values))?
            }
            Some(RunOutcome::Trapped(trap)) => write!(f, "{}: trapped: {trap}", self.engine)?,
            Some(RunOutcome::OutOfFuel) => write!(f, "{}: out of fuel", self.engine)?,
            Some(RunOutcome::Suspended { kind, event }) => {
                write!(f, "{}: suspended at {kind} event {event}", self.engine)?
            }
        }
        if let Some(events) = self.events {
            write!(f, " after {events} events")?;
        }
        write!(f, "; {} host calls in the trace", self.host_calls)
    }
}

/// Restores `image` (read from `image_path`) on `engine_name` for the module at `module_path`
/// and runs the call in progress to the end (at most `fuel` events, if given).
pub fn run_image(
    image: &Image,
    image_path: &Path,
    module_path: &Path,
    engine_name: &str,
    fuel: Option<u64>,
) -> Result<RunSummary, ImageToolError> {
    let (wasm, analysis) = load_module(module_path)?;
    validate(image, &analysis).map_err(|source| ImageToolError::Invalid {
        image: image_path.to_path_buf(),
        module: module_path.to_path_buf(),
        source: Box::new(source),
    })?;
    let imports = func_imports(&wasm).map_err(|reason| ImageToolError::Imports {
        path: module_path.to_path_buf(),
        reason,
    })?;
    if let Some(foreign) = imports.iter().find(|import| import.module != HOST_MODULE) {
        return Err(ImageToolError::Imports {
            path: module_path.to_path_buf(),
            reason: format!(
                "imports {}.{}; images run with the harness host only (module \"{HOST_MODULE}\")",
                foreign.module, foreign.name
            ),
        });
    }
    let host = HostState::from_image(image).map_err(|reason| ImageToolError::NotAnImage {
        path: image_path.to_path_buf(),
        reason: format!("host section: {reason}"),
    })?;
    let spec = resolve(engine_name).map_err(ImageToolError::UnknownEngine)?;
    let engine_error = |step, source| ImageToolError::Engine {
        engine: spec.name.clone(),
        step,
        source,
    };
    let guarded = catch_unwind(AssertUnwindSafe(|| {
        let mut engine = (spec.create)(&EngineConfig::default());
        let module = engine
            .compile(&wasm)
            .map_err(|e| engine_error("compile", e))?;
        let handles =
            link(engine.as_mut(), &imports, &host).map_err(|e| engine_error("link", e))?;
        let instance = engine
            .restore(module, &handles, image)
            .map_err(|e| engine_error("restore", e))?;
        let (outcome, events) = if image.execution.is_some() {
            let report = engine
                .resume(instance, RunOptions { stop: None, fuel })
                .map_err(|e| engine_error("resume", e))?;
            (Some(report.outcome), report.events)
        } else {
            (None, None)
        };
        Ok(RunSummary {
            engine: spec.name.clone(),
            outcome,
            events,
            host_calls: host.trace().len(),
        })
    }));
    guarded.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-string panic payload".into());
        Err(ImageToolError::Panic {
            engine: spec.name.clone(),
            step: "run",
            message,
        })
    })
}
