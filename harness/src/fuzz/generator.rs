//! Case generation: a seed becomes bytes (SplitMix64), the bytes become a module (wasm-smith,
//! configured to baton's feature set), the module's exports become invocations (half of the
//! arguments special values), and the rest of the bytes a raw schedule that
//! [`materialize`] turns into concrete event numbers once the invocation's event count is known.
//! Where the choices come from (a seed, or one fuzzer-steered `Unstructured`) is
//! [`super::choices`]; this module only states what is chosen.
//!
//! Swarm shares (issue 14): half the cases are [`super::shaped`] (a module built to reach deep
//! checkpoint states), the others wasm-smith's; of those, a quarter are bigger; half may import the host's
//! memory, tables and globals (so imported state is imaged and restored); a quarter keep NaNs
//! uncanonicalised (so NaN payloads move through frames and images, where bit-exact
//! comparison sees a lossy mapping); an eighth of the schedules also stop at `any` events
//! (run only by engines that declare them).
//!
//! Invariants: generation is a pure function of the seed; every generated module validates
//! with baton's features (Wasm 2.0 without SIMD), imports only from the harness host
//! (functions, and its memory, tables and globals), exports everything (so memories, globals
//! and tables are observable) and terminates (`ensure_termination`).

use arbitrary::Unstructured;
use baton_checkpoint::analysis::supported_features;
use baton_checkpoint::EventKind;
use wasm_smith::{Config, Module};
use wasmparser::{Parser, Payload, Validator};

use super::case::{Case, CaseValue, Invocation, Schedule, CASE_VERSION};
use super::choices::{Choices, Seeded, Source, Steered};
use super::exec::{Limits, SCHEDULE_KINDS};
use super::host;
use super::rng::SplitMix64;
use super::shaped;
use baton_engine::{FuncType, ValType};

/// Fuel (loop iterations plus function entries) wasm-smith's termination pass grants a module
/// (ten times as much for the "big" quarter of the cases).
pub const WASM_FUEL: u32 = 300;

/// At most this many invocations per case.
pub const MAX_INVOCATIONS: usize = 6;

/// The wasm-smith configuration: Wasm 2.0 without SIMD, small memories and tables, harness
/// host imports, NaNs canonicalised (generation turns that off for a share), everything
/// exported.
pub fn smith_config() -> Config {
    Config {
        available_imports: Some(host::available_imports(false)),
        allow_start_export: true,
        canonicalize_nans: true,
        export_everything: true,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        custom_descriptors_enabled: false,
        compact_imports_enabled: false,
        memory64_enabled: false,
        multi_value_enabled: true,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        max_memories: 1,
        max_tables: 2,
        max_tags: 0,
        max_memory32_bytes: 2 * 65536,
        memory_max_size_required: true,
        max_table_elements: 16,
        table_max_size_required: true,
        max_funcs: 8,
        max_instructions: 150,
        max_globals: 6,
        max_imports: 5,
        max_exports: 24,
        max_types: 10,
        max_data_segments: 4,
        max_element_segments: 4,
        max_elements: 8,
        max_nesting_depth: 6,
        ..Config::default()
    }
}

/// A generated case whose schedule still holds raw random numbers.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The case; its schedule's event numbers are raw until [`materialize`]d.
    pub case: Case,
    /// Raw draws for `k` and the chain's second stop.
    pub raw_k: (u64, u64),
}

/// Why no case came out of a seed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// wasm-smith could not build a module from the bytes.
    #[error("wasm-smith: {0}")]
    Smith(String),
    /// The module is outside baton's feature set (a generator configuration bug).
    #[error("generated module rejected: {0}")]
    Invalid(String),
}

/// The exported functions defined by `wasm` (re-exported imports left out: they fire no
/// events) with their signatures, in export order.
pub fn exported_funcs(wasm: &[u8]) -> Result<Vec<(String, FuncType)>, String> {
    let mut types: Vec<Option<FuncType>> = Vec::new();
    let mut funcs: Vec<u32> = Vec::new();
    let mut imported = 0usize;
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty.map_err(|e| e.to_string())?;
                    let convert = |tys: &[wasmparser::ValType]| {
                        tys.iter()
                            .map(|t| ValType::from_wasmparser(*t))
                            .collect::<Option<Vec<_>>>()
                    };
                    types.push(match (convert(ty.params()), convert(ty.results())) {
                        (Some(p), Some(r)) => Some(FuncType::new(p, r)),
                        _ => None,
                    });
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let wasmparser::TypeRef::Func(t) = import.map_err(|e| e.to_string())?.ty {
                        funcs.push(t);
                        imported += 1;
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    funcs.push(t.map_err(|e| e.to_string())?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| e.to_string())?;
                    if export.kind == wasmparser::ExternalKind::Func {
                        exports.push((export.name.to_string(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(exports
        .into_iter()
        .filter(|(_, index)| *index as usize >= imported)
        .filter_map(|(name, index)| {
            let ty = types.get(*funcs.get(index as usize)? as usize)?.clone()?;
            Some((name, ty))
        })
        .collect())
}

/// An argument of type `ty`: half the time a special value.
pub fn argument(rng: &mut impl Choices, ty: ValType) -> CaseValue {
    let special = rng.below(2) == 0;
    let pick = rng.next_u64();
    match ty {
        ValType::I32 => CaseValue::I32(if special {
            [0, 1, -1, i32::MIN, i32::MAX][(pick % 5) as usize]
        } else {
            pick as i32
        }),
        ValType::I64 => CaseValue::I64(if special {
            [0, 1, -1, i64::MIN, i64::MAX][(pick % 5) as usize]
        } else {
            pick as i64
        }),
        ValType::F32 => CaseValue::F32(if special {
            [
                0.0f32,
                1.0,
                -1.0,
                f32::MIN,
                f32::MAX,
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
            ][(pick % 8) as usize]
                .to_bits()
        } else {
            pick as u32
        }),
        ValType::F64 => CaseValue::F64(if special {
            [
                0.0f64,
                1.0,
                -1.0,
                f64::MIN,
                f64::MAX,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ][(pick % 8) as usize]
                .to_bits()
        } else {
            pick
        }),
        ValType::FuncRef => CaseValue::Funcref(false),
        ValType::ExternRef => CaseValue::Externref(if special { None } else { Some(pick % 1000) }),
    }
}

/// Validates `wasm` with baton's feature set.
pub fn validate(wasm: &[u8]) -> Result<(), String> {
    Validator::new_with_features(supported_features())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Generates the case for `seed`, to run on `engines` (names) with chains drawn from
/// `checkpointers`.
pub fn generate(
    seed: u64,
    origin: Option<(u64, u64)>,
    engines: &[String],
    checkpointers: &[String],
) -> Result<Generated, GenerateError> {
    let mut rng = SplitMix64::new(seed);
    let len = 2048 + rng.below(6144) as usize;
    let data = rng.bytes(len);
    build(&mut Seeded::new(&data, rng), origin, engines, checkpointers)
}

/// Generates a case from one `Unstructured` (libFuzzer's bytes) that answers every choice:
/// the entry point for coverage-guided fuzzers.
pub fn generate_steered(
    u: &mut Unstructured<'_>,
    engines: &[String],
    checkpointers: &[String],
) -> Result<Generated, GenerateError> {
    build(&mut Steered::new(u), None, engines, checkpointers)
}

fn build<'a>(
    rng: &mut impl Source<'a>,
    origin: Option<(u64, u64)>,
    engines: &[String],
    checkpointers: &[String],
) -> Result<Generated, GenerateError> {
    // Swarm: half the cases are shaped (built to reach deep states), half are wasm-smith's.
    let max_frames = Limits::default().max_frames;
    let shaped_case = |rng: &mut _| shaped::generate(rng, max_frames).map(|(w, i)| (w, i, false));
    let (wasm, mut invocations, uncanonical_nans) = if rng.below(2) == 0 {
        shaped_case(rng)?
    } else {
        match smith_case(rng)? {
            // A module that defines no function has nothing to checkpoint: shape one instead.
            (_, invocations, _) if invocations.is_empty() => shaped_case(rng)?,
            case => case,
        }
    };
    // Keep a random window so long export lists still vary which functions run.
    if invocations.len() > MAX_INVOCATIONS {
        let start = rng.below((invocations.len() - MAX_INVOCATIONS + 1) as u64) as usize;
        invocations = invocations[start..start + MAX_INVOCATIONS].to_vec();
    }
    let schedule = random_schedule(rng, invocations.len(), checkpointers);
    let raw_k = (rng.next_u64(), rng.next_u64());
    Ok(Generated {
        case: Case {
            version: CASE_VERSION,
            origin,
            engines: engines.to_vec(),
            module: wasm,
            invocations,
            schedule,
            wasi: None,
            fuel: None,
            uncanonical_nans,
        },
        raw_k,
    })
}

/// A wasm-smith module, one invocation per exported function it defines, and whether the module
/// was generated without NaN canonicalisation ([`Case::uncanonical_nans`]).
fn smith_case<'a>(
    rng: &mut impl Source<'a>,
) -> Result<(Vec<u8>, Vec<Invocation>, bool), GenerateError> {
    // Swarm: half the cases keep every access in bounds (so stores land and memory state
    // matters), half may trap anywhere.
    // Swarm on size too: a quarter of the cases are bigger, deeper and run longer.
    let big = rng.below(4) == 0;
    let base = smith_config();
    let disallow_traps = rng.below(2) == 0;
    let config_canonical = rng.below(4) != 0;
    let config = Config {
        disallow_traps,
        canonicalize_nans: config_canonical,
        available_imports: Some(host::available_imports(rng.below(2) == 0)),
        max_funcs: if big { 16 } else { base.max_funcs },
        max_instructions: if big { 400 } else { base.max_instructions },
        max_nesting_depth: if big { 10 } else { base.max_nesting_depth },
        ..base
    };
    let fuel = if big { WASM_FUEL * 10 } else { WASM_FUEL };
    let mut module =
        Module::new(config, rng.module_bytes()).map_err(|e| GenerateError::Smith(e.to_string()))?;
    module
        .ensure_termination(fuel)
        .map_err(|e| GenerateError::Smith(e.to_string()))?;
    let wasm = module.to_bytes();
    validate(&wasm).map_err(GenerateError::Invalid)?;
    host::func_imports(&wasm).map_err(GenerateError::Invalid)?;
    let exports = exported_funcs(&wasm).map_err(GenerateError::Invalid)?;
    let invocations = exports
        .iter()
        .map(|(name, ty)| Invocation {
            export: name.clone(),
            args: ty.params.iter().map(|t| argument(rng, *t)).collect(),
        })
        .collect();
    Ok((wasm, invocations, !config_canonical))
}

fn random_schedule(
    rng: &mut impl Choices,
    invocations: usize,
    checkpointers: &[String],
) -> Schedule {
    // Mostly all main kinds; sometimes a random subset that keeps `return` (every invocation
    // that returns fires one last, so a stop drawn below its event count is still reached).
    let kinds: Vec<_> = if rng.below(4) != 0 {
        SCHEDULE_KINDS.to_vec()
    } else {
        let mask = rng.below(16) | 1 << 3;
        SCHEDULE_KINDS
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, k)| *k)
            .collect()
    };
    // Sometimes `any` stops too (engines that do not declare them sit these cases out).
    let mut kinds = kinds;
    if rng.below(8) == 0 {
        kinds.push(EventKind::Any);
    }
    let length = 1 + rng.below(3) as usize;
    let chain = (0..length)
        .filter_map(|_| {
            checkpointers
                .get(rng.below(checkpointers.len() as u64) as usize)
                .cloned()
        })
        .collect::<Vec<_>>();
    Schedule {
        invocation: rng.below(invocations.max(1) as u64) as usize,
        kinds,
        k: 0,
        chain_stops: vec![0; chain.len().saturating_sub(1)],
        chain,
    }
}

/// Fixes the schedule given how many events each invocation fires (`None` when unknown): the
/// checkpointed invocation moves to the next one that fires events if it fires none, then `k`
/// is drawn in `0..events` and the chain's stops `k < k2 < events`.
pub fn materialize(generated: &Generated, events: &[Option<u64>]) -> Case {
    let mut case = generated.case.clone();
    let schedule = &mut case.schedule;
    let count = events.len();
    if count > 0 && events.get(schedule.invocation).copied().flatten() == Some(0) {
        if let Some(next) = (1..count)
            .map(|step| (schedule.invocation + step) % count)
            .find(|&i| events[i].is_some_and(|n| n > 0))
        {
            schedule.invocation = next;
        }
    }
    let bound = events
        .get(schedule.invocation)
        .copied()
        .flatten()
        .unwrap_or(64)
        .max(1);
    let (raw1, raw2) = generated.raw_k;
    let k = raw1 % bound;
    schedule.k = k;
    let hops = schedule.chain.len().saturating_sub(1);
    let mut stops = Vec::with_capacity(hops);
    if hops >= 1 {
        stops.push(k);
    }
    if hops >= 2 {
        let room = bound.saturating_sub(k + 1).max(1);
        stops.push(k + 1 + raw2 % room);
    }
    schedule.chain_stops = stops;
    case
}
