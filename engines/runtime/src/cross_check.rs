//! Cross-engine checks shared by the engines' tests: two [`Driving`] engines run the same
//! program, and everything observable must agree — outcomes and event counts, the image at
//! every event (value and encoded bytes), restores of each engine's image on the other (and on
//! itself), continuing after a stop, walking from event to event, and fuel limits.
//!
//! Each check returns the first disagreement as an error message naming the program, the
//! event and what differed, so a test reports it with `unwrap_or_else(|e| panic!("{e}"))`.
//! The checks take module bytes and call export `f` with the given arguments.

use baton_checkpoint::codec::encode;

use crate::driving::{CompiledModule, Driving};
use crate::externs::Imports;
use crate::stop::{KindSet, RunOutcome, StopRequest};
use crate::value::Val;
use crate::Config;

/// The export every check calls.
pub const EXPORT: &str = "f";

/// A stop request for the first main-kind event numbered `event` or later.
pub fn stop_at(event: u64) -> Option<StopRequest> {
    Some(StopRequest {
        kinds: KindSet::MAIN,
        at: event,
    })
}

/// Compiles `bytes` for engine `E`.
fn module<E: Driving>(bytes: &[u8], what: &str) -> Result<E::Module, String> {
    E::Module::compile(bytes).map_err(|e| format!("{what}: {} does not compile: {e}", E::NAME))
}

/// A fresh instance of `module` with `config` and no imports.
fn instance<E: Driving>(module: &E::Module, config: Config, what: &str) -> Result<E, String> {
    E::instantiate(module, &Imports::new(), config)
        .map_err(|e| format!("{what}: {} does not instantiate: {e}", E::NAME))
}

/// Invokes [`EXPORT`] (`stop`: where to stop).
fn invoke<E: Driving>(
    instance: &mut E,
    args: &[Val],
    stop: Option<StopRequest>,
    what: &str,
) -> Result<RunOutcome, String> {
    instance
        .invoke(EXPORT, args, stop)
        .map_err(|e| format!("{what}: {} invoke: {e}", E::NAME))
}

/// Resumes a stopped instance (`stop`: where to stop next).
fn resume<E: Driving>(
    instance: &mut E,
    stop: Option<StopRequest>,
    what: &str,
) -> Result<RunOutcome, String> {
    instance
        .resume(stop)
        .map_err(|e| format!("{what}: {} resume: {e}", E::NAME))
}

/// Fails with `message` unless `a == b`.
fn same<T: PartialEq + std::fmt::Debug>(
    a: &T,
    b: &T,
    message: impl Fn() -> String,
) -> Result<(), String> {
    if a == b {
        Ok(())
    } else {
        Err(format!("{}: {a:?} != {b:?}", message()))
    }
}

/// Runs the program uninterrupted on `A` and `B`: it must finish, with the same results and
/// the same event count, which is returned (with the outcome).
pub fn uninterrupted<A: Driving, B: Driving>(
    what: &str,
    bytes: &[u8],
    args: &[Val],
) -> Result<(RunOutcome, u64), String> {
    let (a_module, b_module) = (module::<A>(bytes, what)?, module::<B>(bytes, what)?);
    let mut a = instance::<A>(&a_module, Config::default(), what)?;
    let expected = invoke(&mut a, args, None, what)?;
    if !matches!(expected, RunOutcome::Finished(_)) {
        return Err(format!("{what}: {} did not finish: {expected:?}", A::NAME));
    }
    let events = a.events_fired();
    let mut b = instance::<B>(&b_module, Config::default(), what)?;
    same(&invoke(&mut b, args, None, what)?, &expected, || {
        format!("{what}: outcomes")
    })?;
    same(&b.events_fired(), &events, || {
        format!("{what}: event counts")
    })?;
    Ok((expected, events))
}

/// At every event of the program: `A` and `B` stop alike with equal images (also as encoded
/// bytes); each image restored on the other engine, and `B`'s on `A`, finishes with the
/// uninterrupted result; `A`'s restored instance images like `B`'s; and `A` continued after
/// the stop finishes alike. Returns the number of events checked.
pub fn images_at_every_event<A: Driving, B: Driving>(
    what: &str,
    bytes: &[u8],
    args: &[Val],
) -> Result<u64, String> {
    let (expected, events) = uninterrupted::<A, B>(what, bytes, args)?;
    let (a_module, b_module) = (module::<A>(bytes, what)?, module::<B>(bytes, what)?);
    let config = Config::default();
    let imports = Imports::new();
    for k in 0..events {
        let mut a = instance::<A>(&a_module, config, what)?;
        let mut b = instance::<B>(&b_module, config, what)?;
        let a_stop = invoke(&mut a, args, stop_at(k), what)?;
        same(&a_stop, &invoke(&mut b, args, stop_at(k), what)?, || {
            format!("{what}: stop at event {k}")
        })?;
        let image = |e: Result<_, _>, name: &str| {
            e.map_err(|e| format!("{what}: {name} image at {k}: {e}"))
        };
        let a_image = image(a.image(), A::NAME)?;
        let b_image = image(b.image(), B::NAME)?;
        same(&a_image, &b_image, || {
            format!("{what}: images at event {k}")
        })?;
        same(&encode(&a_image), &encode(&b_image), || {
            format!("{what}: image bytes at event {k}")
        })?;

        let mut on_b = B::restore(&b_module, &a_image, &imports, config)
            .map_err(|e| format!("{what}: {} restores {}'s image {k}: {e}", B::NAME, A::NAME))?;
        same(&resume(&mut on_b, None, what)?, &expected, || {
            format!("{what}: {} -> {} at {k}", A::NAME, B::NAME)
        })?;
        let mut on_a = A::restore(&a_module, &b_image, &imports, config)
            .map_err(|e| format!("{what}: {} restores {}'s image {k}: {e}", A::NAME, B::NAME))?;
        same(&image(on_a.image(), A::NAME)?, &b_image, || {
            format!("{what}: image of the restored {} at {k}", A::NAME)
        })?;
        same(&resume(&mut on_a, None, what)?, &expected, || {
            format!("{what}: {} -> {} at {k}", B::NAME, A::NAME)
        })?;
        same(&resume(&mut a, None, what)?, &expected, || {
            format!("{what}: {} continued at {k}", A::NAME)
        })?;
    }
    Ok(events)
}

/// Walks the program from event to event (stop at the next event, resume, ...) on `A` and
/// `B`: the same stops and equal encoded images at every one.
pub fn walk<A: Driving, B: Driving>(what: &str, bytes: &[u8], args: &[Val]) -> Result<(), String> {
    let (a_module, b_module) = (module::<A>(bytes, what)?, module::<B>(bytes, what)?);
    let mut a = instance::<A>(&a_module, Config::default(), what)?;
    let mut b = instance::<B>(&b_module, Config::default(), what)?;
    let mut ours = invoke(&mut a, args, stop_at(0), what)?;
    let mut theirs = invoke(&mut b, args, stop_at(0), what)?;
    loop {
        same(&ours, &theirs, || format!("{what}: walk"))?;
        if !matches!(ours, RunOutcome::Stopped(_)) {
            return Ok(());
        }
        let a_image = a.image().map_err(|e| format!("{what}: {}: {e}", A::NAME))?;
        let b_image = b.image().map_err(|e| format!("{what}: {}: {e}", B::NAME))?;
        same(&encode(&a_image), &encode(&b_image), || {
            format!("{what}: images at {ours:?}")
        })?;
        ours = resume(&mut a, stop_at(0), what)?;
        theirs = resume(&mut b, stop_at(0), what)?;
    }
}

/// With every fuel limit from 0 to the program's event count, `A` and `B` end alike (out of
/// fuel below the count, finished at it) after the same number of events.
pub fn fuel<A: Driving, B: Driving>(what: &str, bytes: &[u8], args: &[Val]) -> Result<(), String> {
    let (finished, events) = uninterrupted::<A, B>(what, bytes, args)?;
    let (a_module, b_module) = (module::<A>(bytes, what)?, module::<B>(bytes, what)?);
    for fuel in 0..=events {
        let config = Config {
            fuel: Some(fuel),
            ..Config::default()
        };
        let mut a = instance::<A>(&a_module, config, what)?;
        let mut b = instance::<B>(&b_module, config, what)?;
        let outcome = invoke(&mut a, args, None, what)?;
        let expected = if fuel < events {
            RunOutcome::OutOfFuel
        } else {
            finished.clone()
        };
        same(&outcome, &expected, || format!("{what}: fuel {fuel}"))?;
        same(&invoke(&mut b, args, None, what)?, &outcome, || {
            format!("{what}: fuel {fuel}")
        })?;
        same(&a.events_fired(), &b.events_fired(), || {
            format!("{what}: events with fuel {fuel}")
        })?;
    }
    Ok(())
}

/// Defines an engine's cross-engine tests against a reference engine: for every program of
/// `$programs` (a slice of `(description, WAT text, arguments)`, each exporting `f`)
/// [`images_at_every_event`] (at least 4 events each) and [`walk`], and [`fuel`] on the
/// programs numbered `$fuel_program` (one index or more). The calling crate needs `wat` (as a
/// dev-dependency).
#[macro_export]
macro_rules! cross_engine_tests {
    ($engine:ty, $reference:ty, $programs:expr, $($fuel_program:expr),+) => {
        fn cross_check_bytes(what: &str, wat: &str) -> Vec<u8> {
            wat::parse_str(wat).unwrap_or_else(|e| panic!("{what}: {e}"))
        }

        #[test]
        fn images_are_byte_identical_and_restore_across_engines() {
            for (what, wat, args) in $programs {
                let bytes = cross_check_bytes(what, wat);
                match $crate::cross_check::images_at_every_event::<$engine, $reference>(
                    what, &bytes, args,
                ) {
                    Ok(events) => assert!(events >= 4, "{what}: too few events to test"),
                    Err(message) => panic!("{message}"),
                }
            }
        }

        #[test]
        fn walking_every_event_matches_the_reference() {
            for (what, wat, args) in $programs {
                let bytes = cross_check_bytes(what, wat);
                if let Err(message) =
                    $crate::cross_check::walk::<$engine, $reference>(what, &bytes, args)
                {
                    panic!("{message}");
                }
            }
        }

        #[test]
        fn fuel_ends_runs_at_the_same_event_as_the_reference() {
            for index in [$($fuel_program),+] {
                let (what, wat, args) = $programs[index];
                let bytes = cross_check_bytes(what, wat);
                if let Err(message) =
                    $crate::cross_check::fuel::<$engine, $reference>(what, &bytes, args)
                {
                    panic!("{message}");
                }
            }
        }
    };
}
