//! One engine session kept alive across successive stops of one invocation: the checkpointing
//! side of `baton check`, which takes images at many event numbers of a long run in one pass
//! (each stop resumes from the previous one instead of re-running from the start).
//!
//! Invariants: stops must be requested at increasing event numbers; every engine operation runs
//! under [`guarded`] (a panic or timeout is a [`Failure`]) and a stepper that failed once is
//! finished for good; images carry the host sections, as [`super::checkpoint`]'s do.

use baton_checkpoint::image::Image;
use baton_engine::{InstanceId, RunOutcome, StopRequest};

use super::session::{Hosts, Session};
use super::{engine_failure, fail, guarded, Failure, FailureKind, Limits};
use crate::fuzz::case::Case;
use crate::fuzz::engines::EngineSpec;
use crate::fuzz::host::FuncImport;
use crate::fuzz::observation::Outcome;

/// Where the stepped run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Instantiated; the checkpointed invocation has not started.
    Ready,
    /// Suspended inside the checkpointed invocation.
    Suspended,
    /// The invocation ended (or the stepper failed).
    Done,
}

/// A run of one case on one engine, stopped again and again.
pub struct Stepper<'a> {
    session: Session<'a>,
    case: &'a Case,
    instance: InstanceId,
    invocation: usize,
    prefix: Vec<Outcome>,
    state: State,
}

/// What one step reached.
#[derive(Clone, Debug)]
pub enum Step {
    /// Suspended at the requested stop: the image (host sections included) and the event.
    Suspended {
        /// The image.
        image: Box<Image>,
        /// The event number where it stopped.
        event: u64,
    },
    /// The invocation ended before the stop.
    Finished,
}

impl<'a> Stepper<'a> {
    /// Opens a fresh session on `spec`, instantiates and runs the invocations before
    /// `invocation`; `None` when instantiation trapped or the invocation does not exist.
    pub fn start(
        spec: &'a EngineSpec,
        case: &'a Case,
        imports: &[FuncImport],
        limits: &Limits,
        invocation: usize,
    ) -> Result<Option<Self>, Failure> {
        guarded(spec, limits, || {
            let mut session = Session::open(spec, case, imports, Hosts::fresh(case), *limits)?;
            let Ok(instance) = session.instantiate()? else {
                return Ok(None);
            };
            let mut prefix = Vec::new();
            for index in 0..invocation.min(case.invocations.len()) {
                let report = session.invoke(instance, index, case, None)?;
                prefix.push(session.outcome(instance, &report, &format!("invoke {index}"))?);
            }
            if invocation >= case.invocations.len() {
                return Ok(None);
            }
            Ok(Some(Self {
                session,
                case,
                instance,
                invocation,
                prefix,
                state: State::Ready,
            }))
        })
    }

    /// Outcomes of the invocations before the stepped one.
    pub fn prefix(&self) -> &[Outcome] {
        &self.prefix
    }

    /// Runs on to `stop` and takes the image there.
    pub fn advance(&mut self, stop: StopRequest) -> Result<Step, Failure> {
        if self.state == State::Done {
            return Ok(Step::Finished);
        }
        let (spec, limits) = (self.session.spec, self.session.limits);
        let result = guarded(spec, &limits, || self.advance_unguarded(stop));
        if !matches!(result, Ok(Step::Suspended { .. })) {
            self.state = State::Done;
        }
        result
    }

    fn advance_unguarded(&mut self, stop: StopRequest) -> Result<Step, Failure> {
        let report = match self.state {
            State::Ready => {
                self.session
                    .invoke(self.instance, self.invocation, self.case, Some(stop))?
            }
            State::Suspended => {
                let options = self.session.options(Some(stop));
                self.session
                    .engine
                    .resume(self.instance, options)
                    .map_err(|e| engine_failure(self.session.spec, "resume (stepping)", e))?
            }
            State::Done => return Ok(Step::Finished),
        };
        match report.outcome {
            RunOutcome::Suspended { event, .. } => {
                if event < stop.at {
                    return Err(fail(
                        self.session.spec,
                        FailureKind::Error,
                        "stepping",
                        format!(
                            "suspended at event {event}, before the requested {}",
                            stop.at
                        ),
                    ));
                }
                self.state = State::Suspended;
                let image = self
                    .session
                    .suspended_image(self.instance, &report.outcome)?;
                Ok(Step::Suspended {
                    image: Box::new(image),
                    event,
                })
            }
            _ => Ok(Step::Finished),
        }
    }
}
