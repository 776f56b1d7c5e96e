//! Harness throughput and overhead: the same generated cases checked by the full harness and
//! then executed bare (the same engine runs: uninterrupted runs, checkpoints, every restore
//! pair, the chain; no observation, comparison, encoding, validation or panic guard), on one
//! thread.
//!
//! Invariants: both sides compile each module once per engine and run with the same fuel and
//! host; generation time is excluded from both; conversions are the harness's verified ones.

use std::time::{Duration, Instant};

use baton_checkpoint::image::Image;

use super::case::Case;
use super::engines::{names_and_checkpointers, EngineSpec};
use super::exec::Limits;
use super::generator::generate;
use super::host::{self, HostState};
use super::oracles::check_generated;
use super::rng::case_seed;
use baton_engine::{
    Engine, EngineConfig, InstanceId, ModuleId, RunOptions, RunOutcome, StopRequest,
};

/// The bench's numbers.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BenchReport {
    /// Cases measured.
    pub cases: u64,
    /// Verified conversions (restores run to the end and compared).
    pub conversions: u64,
    /// Time the harness spent checking the cases.
    pub harness: Duration,
    /// Time the same engine runs took bare.
    pub bare: Duration,
}

impl BenchReport {
    /// Verified conversions per second on one core.
    pub fn conversions_per_second(&self) -> f64 {
        self.conversions as f64 / self.harness.as_secs_f64().max(1e-9)
    }

    /// Harness time over bare time.
    pub fn overhead(&self) -> f64 {
        self.harness.as_secs_f64() / self.bare.as_secs_f64().max(1e-9)
    }

    /// The printed summary.
    pub fn render(&self) -> String {
        format!(
            "bench: {} cases, {} verified conversions in {:.2}s on one core: {:.0} conversions/s/core (goal >= 1000)\n\
             bench: the same runs bare: {:.2}s; harness overhead {:.2}x bare (goal <= 2x)\n",
            self.cases,
            self.conversions,
            self.harness.as_secs_f64(),
            self.conversions_per_second(),
            self.bare.as_secs_f64(),
            self.overhead()
        )
    }
}

/// Measures `cases` generated cases from `seed` on `engines`.
pub fn run(seed: u64, cases: u64, engines: &[EngineSpec], limits: &Limits) -> BenchReport {
    let (names, checkpointers) = names_and_checkpointers(engines);
    let generated: Vec<_> = (0..cases)
        .filter_map(|i| generate(case_seed(seed, i), Some((seed, i)), &names, &checkpointers).ok())
        .collect();
    let mut conversions = 0;
    let mut checked = Vec::with_capacity(generated.len());
    let started = Instant::now();
    for g in &generated {
        let (case, result) = check_generated(g, engines, limits);
        conversions += result.stats.conversions;
        checked.push(case);
    }
    let harness = started.elapsed();
    let started = Instant::now();
    for case in &checked {
        bare_case(case, engines, limits);
    }
    let bare = started.elapsed();
    BenchReport {
        cases: checked.len() as u64,
        conversions,
        harness,
        bare,
    }
}

struct Bare {
    engine: Box<dyn Engine>,
    module: ModuleId,
    checkpoints: bool,
}

impl Bare {
    fn instance(&mut self, case: &Case, image: Option<&Image>) -> Option<InstanceId> {
        let imports = host::func_imports(&case.module).ok()?;
        let host = match image {
            Some(image) => HostState::from_image(image).ok()?,
            None => HostState::new(),
        };
        let handles = host::link(self.engine.as_mut(), &imports, &host).ok()?;
        match image {
            Some(image) => self.engine.restore(self.module, &handles, image).ok(),
            None => self.engine.instantiate(self.module, &handles).ok(),
        }
    }

    fn invoke(
        &mut self,
        instance: InstanceId,
        case: &Case,
        index: usize,
        options: RunOptions,
    ) -> Option<RunOutcome> {
        let invocation = case.invocations.get(index)?;
        let args: Vec<_> = invocation
            .args
            .iter()
            .filter_map(|a| a.to_value())
            .collect();
        let report = self
            .engine
            .invoke(instance, &invocation.export, &args, options);
        let report = match report {
            Err(baton_engine::EngineError::Unsupported { .. }) => self.engine.invoke(
                instance,
                &invocation.export,
                &args,
                RunOptions {
                    fuel: None,
                    ..options
                },
            ),
            other => other,
        };
        report.ok().map(|r| r.outcome)
    }

    fn rest(&mut self, instance: InstanceId, case: &Case, from: usize, fuel: RunOptions) {
        for index in from..case.invocations.len() {
            let _ = self.invoke(instance, case, index, fuel);
        }
    }

    fn checkpoint(&mut self, case: &Case, stop: StopRequest, fuel: RunOptions) -> Option<Image> {
        let instance = self.instance(case, None)?;
        self.rest_until(instance, case, fuel);
        let options = RunOptions {
            stop: Some(stop),
            ..fuel
        };
        match self.invoke(instance, case, case.schedule.invocation, options)? {
            RunOutcome::Suspended { .. } => self.engine.take_image(instance).ok(),
            _ => None,
        }
    }

    fn rest_until(&mut self, instance: InstanceId, case: &Case, fuel: RunOptions) {
        for index in 0..case.schedule.invocation {
            let _ = self.invoke(instance, case, index, fuel);
        }
    }

    fn finish(
        &mut self,
        case: &Case,
        image: &Image,
        stop: Option<StopRequest>,
        fuel: RunOptions,
    ) -> Option<Image> {
        let instance = self.instance(case, Some(image))?;
        let outcome = self
            .engine
            .resume(instance, RunOptions { stop, ..fuel })
            .ok()?
            .outcome;
        if let RunOutcome::Suspended { .. } = outcome {
            return self.engine.take_image(instance).ok();
        }
        self.rest(instance, case, case.schedule.invocation + 1, fuel);
        None
    }
}

/// The engine runs the harness performs for `case`, without any checking.
fn bare_case(case: &Case, engines: &[EngineSpec], limits: &Limits) {
    let fuel = RunOptions {
        stop: None,
        fuel: Some(limits.fuel),
    };
    let mut sessions: Vec<Bare> = engines
        .iter()
        .filter_map(|spec| {
            let mut engine = (spec.create)(&EngineConfig {
                max_frames: limits.max_frames,
            });
            let module = engine.compile(&case.module).ok()?;
            Some(Bare {
                engine,
                module,
                checkpoints: spec.checkpoints,
            })
        })
        .collect();
    for bare in &mut sessions {
        if let Some(instance) = bare.instance(case, None) {
            bare.rest(instance, case, 0, fuel);
        }
    }
    let stop = StopRequest {
        kinds: case.schedule.kind_set(),
        at: case.schedule.k,
    };
    let images: Vec<Image> = sessions
        .iter_mut()
        .filter(|b| b.checkpoints)
        .filter_map(|b| b.checkpoint(case, stop, fuel))
        .collect();
    for image in &images {
        for bare in sessions.iter_mut().filter(|b| b.checkpoints) {
            bare.finish(case, image, None, fuel);
        }
    }
    let schedule = &case.schedule;
    if let ([a, b, c], [k1, k2]) = (schedule.chain.as_slice(), schedule.chain_stops.as_slice()) {
        let index = |name: &String| {
            engines
                .iter()
                .filter(|e| e.checkpoints)
                .position(|e| e.name == *name)
        };
        let mut checkpointing: Vec<&mut Bare> =
            sessions.iter_mut().filter(|b| b.checkpoints).collect();
        let (Some(a), Some(b), Some(c)) = (index(a), index(b), index(c)) else {
            return;
        };
        let kinds = schedule.kind_set();
        let first = checkpointing
            .get_mut(a)
            .and_then(|bare| bare.checkpoint(case, StopRequest { kinds, at: *k1 }, fuel));
        let Some(first) = first else { return };
        let second = checkpointing
            .get_mut(b)
            .and_then(|bare| bare.finish(case, &first, Some(StopRequest { kinds, at: *k2 }), fuel));
        if let (Some(second), Some(bare)) = (second, checkpointing.get_mut(c)) {
            bare.finish(case, &second, None, fuel);
        }
    }
}
