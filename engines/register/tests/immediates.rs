//! Fused immediates are exact: `op x (const c)` gives the same result as the unfused operator for
//! constants at the edges of the `i32` immediate range (and `i64` constants that do not fit,
//! which must not be fused).

use baton_register::code::Instr;
use baton_register::{Instance, Module};
use baton_runtime::Driving;
use baton_runtime::{Config, Imports, RunOutcome, Val};

type I64Op = (&'static str, fn(i64, i64) -> i64);

const I64_OPS: &[I64Op] = &[
    ("add", |a, b| a.wrapping_add(b)),
    ("sub", |a, b| a.wrapping_sub(b)),
    ("mul", |a, b| a.wrapping_mul(b)),
    ("and", |a, b| a & b),
    ("or", |a, b| a | b),
    ("xor", |a, b| a ^ b),
    ("shl", |a, b| a.wrapping_shl(b as u32)),
    ("shr_s", |a, b| a.wrapping_shr(b as u32)),
    ("shr_u", |a, b| (a as u64).wrapping_shr(b as u32) as i64),
    ("rotl", |a, b| a.rotate_left((b & 63) as u32)),
];

const CONSTANTS: &[i64] = &[
    0,
    1,
    -1,
    63,
    64,
    i32::MAX as i64,
    i32::MIN as i64,
    i32::MAX as i64 + 1,
    i32::MIN as i64 - 1,
    u32::MAX as i64,
    i64::MIN,
];

const INPUTS: &[i64] = &[0, 5, -7, 0x1234_5678_9abc_def0, i64::MAX, i64::MIN];

#[test]
fn i64_immediates_match_unfused_semantics() {
    let mut funcs = String::new();
    for (op, _) in I64_OPS {
        for (c, constant) in CONSTANTS.iter().enumerate() {
            funcs.push_str(&format!(
                "(func (export \"{op}_{c}\") (param i64) (result i64) \
                 (i64.{op} (local.get 0) (i64.const {constant})))\n"
            ));
        }
    }
    let wasm = wat::parse_str(format!("(module {funcs})")).expect("parses");
    let module = Module::new(&wasm).expect("compiles");
    let fused = (0..(I64_OPS.len() * CONSTANTS.len()) as u32)
        .filter(|&f| {
            module.compiled(f).unwrap().code.iter().any(|i| {
                matches!(
                    i,
                    Instr::I64AddImm(..) | Instr::I64SubImm(..) | Instr::I64ShlImm(..)
                )
            })
        })
        .count();
    assert!(fused > 0, "some immediates are fused");
    let mut instance =
        Instance::instantiate(&module, &Imports::new(), Config::default()).expect("instantiates");
    for (op, semantics) in I64_OPS {
        for (c, constant) in CONSTANTS.iter().enumerate() {
            for input in INPUTS {
                let outcome = instance
                    .invoke(&format!("{op}_{c}"), &[Val::I64(*input)], None)
                    .unwrap();
                assert_eq!(
                    outcome,
                    RunOutcome::Finished(vec![Val::I64(semantics(*input, *constant))]),
                    "i64.{op} {input} {constant}"
                );
            }
        }
    }
}
