//! `baton image run`: restore an image on an engine and run its call to the end.
//!
//! The module's imports must be the harness host's (`host.*`, whose state travels in the image's
//! host section) — what every image written by `baton fuzz` needs — or WASI preview 1's
//! (`wasi_snapshot_preview1.*`, served by [`crate::wasi`] continuing the image's `baton.wasi`
//! section, as in images from `baton check --wasi`); anything else is refused with
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
use crate::wasi::{WasiConfig, WasiHost, WASI_MODULE};

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
    /// For a WASI module: everything the program wrote (before the image and after).
    pub wasi: Option<crate::wasi::WasiOutput>,
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
            Some(RunOutcome::Suspended { kind, event, .. }) => {
                write!(f, "{}: suspended at {kind} event {event}", self.engine)?
            }
        }
        if let Some(events) = self.events {
            write!(f, " after {events} events")?;
        }
        write!(f, "; {} host calls in the trace", self.host_calls)?;
        if let Some(wasi) = &self.wasi {
            write!(f, "\nstdout:\n{}", String::from_utf8_lossy(&wasi.stdout.0))?;
            if let Some(code) = wasi.exit_code {
                write!(f, "\nexit code: {code}")?;
            }
        }
        Ok(())
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
    let is_wasi = |module: &str| module == WASI_MODULE;
    if let Some(foreign) = imports
        .iter()
        .find(|import| import.module != HOST_MODULE && !is_wasi(&import.module))
    {
        return Err(ImageToolError::Imports {
            path: module_path.to_path_buf(),
            reason: format!(
                "imports {}.{}; images run with the harness host (module \"{HOST_MODULE}\") or WASI (\"{WASI_MODULE}\") only",
                foreign.module, foreign.name
            ),
        });
    }
    let host = HostState::from_image(image).map_err(|reason| ImageToolError::NotAnImage {
        path: image_path.to_path_buf(),
        reason: format!("host section: {reason}"),
    })?;
    let wasi = imports
        .iter()
        .any(|import| is_wasi(&import.module))
        .then(|| WasiHost::from_image(&WasiConfig::default(), image))
        .transpose()
        .map_err(|error| ImageToolError::NotAnImage {
            path: image_path.to_path_buf(),
            reason: error.to_string(),
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
        let mut handles = Vec::with_capacity(imports.len());
        for import in &imports {
            let handle = match &wasi {
                Some(wasi) if is_wasi(&import.module) => wasi.link_import(engine.as_mut(), import),
                _ => {
                    link(engine.as_mut(), std::slice::from_ref(import), &host).and_then(|handles| {
                        handles.into_iter().next().ok_or_else(|| {
                            baton_engine::EngineError::Other("host link made no function".into())
                        })
                    })
                }
            };
            handles.push(handle.map_err(|e| engine_error("link", e))?);
        }
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
            wasi: wasi.as_ref().map(WasiHost::output),
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
