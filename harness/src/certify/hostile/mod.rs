//! Check 4, `hostile-images`: truncated, bit-flipped and type-confused images (see
//! [`mutations`]), derived from real images of the battery's modules (the seed corpus,
//! `corpus/seeds/*.wat`), offered to the engine's restore. Each must be refused with an error or
//! run safely (any outcome, any error); a panic or a hang fails the check.
//!
//! Procedure: the real images are taken on the first checkpointing reference (the engine itself
//! without one) at evenly spaced stop points of each seed module's invocations. Damaged
//! encodings go through the harness's codec first (what it refuses never reaches the engine
//! and is counted as such); everything else is restored on a fresh session of the engine and
//! resumed to the end of the case with event fuel. Attempts run one at a time on a worker
//! thread; one that takes longer than the battery's hostile timeout is a hang: the check
//! fails, names it, and stops (the stuck worker is abandoned).
//!
//! Invariants: the attempts and their order are a function of the battery alone; each failing
//! attempt is written under `<out>/hostile/<n>/` (module, case, hostile image, report).

pub mod mutations;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::codec::{decode, encode, DecodeLimits};
use baton_checkpoint::image::Image;
use baton_checkpoint::to_text;

use super::certificate::{write_atomic, CheckResult};
use super::{panic_message, Context};
use crate::fuzz::case::Case;
use crate::fuzz::corpus::{corpus_dir, files, seed_cases};
use crate::fuzz::engines::EngineSpec;
use crate::fuzz::exec::{self, Checkpointed, FailureKind, Limits, ResumePoint};
use crate::fuzz::host;
use crate::fuzz::observation::Outcome;
use baton_engine::StopRequest;
use mutations::{mutants, Family, Mutant, Offer, Sizes};

/// The check's id.
pub const ID: &str = "hostile-images";
/// The check's one-line description.
pub const TITLE: &str = "truncated, bit-flipped and type-confused images offered to restore are refused or run safely: no panic, no hang";

/// A real image and where it was taken.
struct Base {
    case: Case,
    image: Image,
    prefix: Vec<Outcome>,
    analysis: ModuleAnalysis,
}

/// What became of one hostile image.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fate {
    /// The harness refused the image's host section (the engine never saw it).
    RefusedByHarness,
    /// The engine's restore returned an error.
    RefusedByEngine,
    /// Restored; resuming or a later step returned an error.
    RefusedLater,
    /// Restored and ran to the end (any outcome).
    RanSafely,
    /// The engine panicked (message).
    Panicked(String),
    /// An operation ran past the per-operation wall-clock limit (message).
    TooSlow(String),
    /// No answer within the hostile timeout.
    Hung,
}

/// One attempt for the worker.
struct Job {
    case: Case,
    image: Image,
    prefix: Vec<Outcome>,
}

/// The real images of the battery's modules, taken on `imager`.
fn bases(ctx: &Context<'_>, imager: &EngineSpec, limits: &Limits) -> Vec<Base> {
    let mut out = Vec::new();
    for path in files(&corpus_dir().join("seeds"), "wat") {
        let Ok(wasm) = wat::parse_file(&path) else {
            continue;
        };
        let (Ok(analysis), Ok(cases), Ok(imports)) = (
            ModuleAnalysis::new(&wasm),
            seed_cases(
                &wasm,
                std::slice::from_ref(imager),
                ctx.battery.corpus_stops,
            ),
            host::func_imports(&wasm),
        ) else {
            continue;
        };
        let wanted = ctx.battery.hostile_images_per_module.max(1);
        let step = cases.len().div_ceil(wanted).max(1);
        for case in cases.into_iter().step_by(step) {
            let stop = StopRequest {
                kinds: case.schedule.kind_set(),
                at: case.schedule.k,
            };
            let taken = exec::checkpoint(
                imager,
                &case,
                &imports,
                limits,
                case.schedule.invocation,
                stop,
            );
            if let Ok(Checkpointed::Suspended { image, prefix }) = taken {
                out.push(Base {
                    case,
                    image: *image,
                    prefix,
                    analysis: analysis.clone(),
                });
            }
        }
    }
    out
}

/// Restores `job`'s image on `engine` and runs the case's rest.
fn attempt(engine: &EngineSpec, job: &Job, limits: &Limits) -> Fate {
    let imports = match host::func_imports(&job.case.module) {
        Ok(imports) => imports,
        Err(_) => return Fate::RefusedByHarness,
    };
    let point = ResumePoint {
        image: &job.image,
        invocation: job.case.schedule.invocation,
        prefix: &job.prefix,
        fuel: None,
    };
    match exec::resume_from(engine, &job.case, &imports, limits, point, None) {
        Ok(_) => Fate::RanSafely,
        Err(failure) => match failure.kind {
            // An out-of-process adapter that crashed, hung or broke the protocol on a hostile
            // image failed as badly as an in-process panic.
            FailureKind::Panic | FailureKind::Adapter => Fate::Panicked(failure.message),
            FailureKind::Timeout => Fate::TooSlow(failure.message),
            FailureKind::Error | FailureKind::Unsupported => match failure.step.as_str() {
                "read host section" => Fate::RefusedByHarness,
                "restore" => Fate::RefusedByEngine,
                _ => Fate::RefusedLater,
            },
        },
    }
}

/// A worker thread running attempts one at a time.
struct Worker {
    jobs: mpsc::Sender<Job>,
    fates: mpsc::Receiver<Fate>,
}

impl Worker {
    fn start(engine: EngineSpec, limits: Limits) -> Worker {
        let (jobs, job_queue) = mpsc::channel::<Job>();
        let (fate_sender, fates) = mpsc::channel();
        std::thread::spawn(move || {
            for job in job_queue {
                let fate = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    attempt(&engine, &job, &limits)
                }))
                .unwrap_or_else(|payload| Fate::Panicked(panic_message(payload)));
                if fate_sender.send(fate).is_err() {
                    break;
                }
            }
        });
        Worker { jobs, fates }
    }

    /// The job's fate, or [`Fate::Hung`] past `timeout`.
    fn run(&self, job: Job, timeout: std::time::Duration) -> Fate {
        if self.jobs.send(job).is_err() {
            return Fate::Panicked("the hostile-image worker ended".into());
        }
        self.fates.recv_timeout(timeout).unwrap_or(Fate::Hung)
    }
}

/// Counters per fate and family.
#[derive(Default)]
struct Tally {
    images: u64,
    offered: [u64; 3],
    codec: u64,
    harness: u64,
    engine: u64,
    later: u64,
    safe: u64,
    panicked: u64,
    slow: u64,
    hung: u64,
}

/// Runs the check.
pub fn run(ctx: &Context<'_>) -> CheckResult {
    let mut check = CheckResult::new(ID, TITLE, true);
    let limits = Limits::default();
    let imager = ctx
        .references
        .iter()
        .find(|r| r.checkpoints)
        .unwrap_or(&ctx.subject.engine);
    let bases = bases(ctx, imager, &limits);
    let mut tally = Tally {
        images: bases.len() as u64,
        ..Tally::default()
    };
    if bases.is_empty() {
        check.fail(format!("no real image could be taken on {}", imager.name));
    }
    let sizes = Sizes {
        truncations: ctx.battery.hostile_truncations,
        bit_flips: ctx.battery.hostile_bit_flips,
    };
    let mut worker = Worker::start(ctx.subject.engine.clone(), limits);
    let mut attempt_number = 0u64;
    'bases: for (index, base) in bases.iter().enumerate() {
        let seed = ctx.battery.hostile_seed ^ (index as u64).wrapping_mul(0x9E37_79B9);
        for mutant in mutants(&base.image, &base.analysis, sizes, seed) {
            attempt_number += 1;
            tally.offered[mutant.family as usize] += 1;
            let image = match &mutant.offer {
                Offer::Image(image) => (**image).clone(),
                Offer::Bytes(bytes) => match decode(bytes, &DecodeLimits::default()) {
                    Ok(image) => image,
                    Err(_) => {
                        tally.codec += 1;
                        continue;
                    }
                },
            };
            let job = Job {
                case: base.case.clone(),
                image,
                prefix: base.prefix.clone(),
            };
            let fate = worker.run(job, ctx.battery.hostile_timeout);
            let problem = match &fate {
                Fate::RefusedByHarness => {
                    tally.harness += 1;
                    None
                }
                Fate::RefusedByEngine => {
                    tally.engine += 1;
                    None
                }
                Fate::RefusedLater => {
                    tally.later += 1;
                    None
                }
                Fate::RanSafely => {
                    tally.safe += 1;
                    None
                }
                Fate::Panicked(message) => {
                    tally.panicked += 1;
                    Some(format!("the engine panicked: {message}"))
                }
                Fate::TooSlow(message) => {
                    tally.slow += 1;
                    Some(format!("too slow: {message}"))
                }
                Fate::Hung => {
                    tally.hung += 1;
                    Some(format!(
                        "no answer within {:?} (hang); the remaining hostile images were not offered",
                        ctx.battery.hostile_timeout
                    ))
                }
            };
            if let Some(problem) = problem {
                let what = format!(
                    "attempt {attempt_number} ({} image: {}, from seed module invocation {} at event {})",
                    mutant.family.name(),
                    mutant.label,
                    base.case.schedule.invocation,
                    base.case.schedule.k
                );
                let dir = ctx.out.join("hostile").join(attempt_number.to_string());
                match write_case(&dir, base, &mutant, &what, &problem) {
                    Ok(()) => check.reproduce_with(format!("{} (see report.md)", dir.display())),
                    Err(error) => check.reproduce_with(format!("(not written: {error})")),
                }
                check.fail(format!("{what}: {problem}"));
                if fate == Fate::Hung {
                    break 'bases;
                }
                // A panicking session is dropped by the harness; a fresh worker keeps the
                // remaining attempts independent of the failed one.
                worker = Worker::start(ctx.subject.engine.clone(), limits);
            }
        }
    }
    check.count("real images", tally.images);
    for family in Family::ALL {
        check.count(
            &format!("{} images offered", family.name()),
            tally.offered[family as usize],
        );
    }
    for (name, value) in [
        (
            "refused by the harness's codec (never reached the engine)",
            tally.codec,
        ),
        ("refused by the harness (host section)", tally.harness),
        ("refused by the engine's restore", tally.engine),
        ("restored, then refused (resume or later)", tally.later),
        ("restored and ran safely to the end", tally.safe),
        ("panics", tally.panicked),
        ("operations past the wall-clock limit", tally.slow),
        ("hangs", tally.hung),
    ] {
        check.count(name, value);
    }
    check
}

/// Writes one failing attempt: the case (its module and invocations), the hostile image, and a
/// report saying how to replay it.
fn write_case(
    dir: &Path,
    base: &Base,
    mutant: &Mutant,
    what: &str,
    problem: &str,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = match &mutant.offer {
        Offer::Bytes(bytes) => bytes.clone(),
        Offer::Image(image) => encode(image),
    };
    let text = decode(&bytes, &DecodeLimits::default())
        .map(|image| to_text(&image))
        .unwrap_or_else(|error| format!("(does not decode: {error})\n"));
    let files: [(PathBuf, Vec<u8>); 5] = [
        (dir.join("case.json"), base.case.to_json().into_bytes()),
        (dir.join("module.wasm"), base.case.module.clone()),
        (dir.join("hostile.img"), bytes),
        (dir.join("hostile.txt"), text.into_bytes()),
        (dir.join("original.txt"), to_text(&base.image).into_bytes()),
    ];
    for (path, contents) in files {
        let temp = path.with_extension("tmp");
        std::fs::write(&temp, contents)?;
        std::fs::rename(&temp, &path)?;
    }
    let report = format!(
        "# hostile image: {problem}\n\n{what}\n\nReplay: run invocations 0..{} of `case.json` on the engine, then restore `hostile.img` (decode it with `baton_checkpoint::codec::decode`) into a fresh instance of `module.wasm` and resume it; `original.txt` is the real image it was derived from, `hostile.txt` the damaged one.\n",
        base.case.schedule.invocation
    );
    write_atomic(&dir.join("report.md"), &report)
}
