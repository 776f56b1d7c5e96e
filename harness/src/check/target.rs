//! The case a user's module makes: one invocation (an export with arguments parsed by its
//! signature, or a WASI command's `_start`), every requested engine, and the WASI inputs.
//!
//! Invariant: a module that cannot be run this way (unparsable, no such export, bad argument)
//! is a typed [`TargetError`] naming the module and what is wrong.

use std::path::{Path, PathBuf};

use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

use crate::fuzz::case::{Case, CaseValue, Invocation, Schedule, CASE_VERSION};
use crate::fuzz::exec::SCHEDULE_KINDS;
use crate::wasi::WasiConfig;
use baton_engine::ValType;

/// Why a module cannot be checked as asked.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The module file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The module is not what the command needs.
    #[error("{path}: {message}")]
    Module {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// What to run.
#[derive(Clone, Debug)]
pub enum Entry {
    /// An export with textual arguments (typed by its signature).
    Invoke {
        /// The export.
        export: String,
        /// Its arguments as written.
        args: Vec<String>,
    },
    /// A WASI command (`_start`).
    Wasi(WasiConfig),
}

/// The parameter types of the exported function `name`.
fn export_params(wasm: &[u8], name: &str) -> Result<Vec<ValType>, String> {
    let mut types: Vec<Vec<ValType>> = Vec::new();
    let mut funcs: Vec<u32> = Vec::new();
    let mut export = None;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| format!("not a valid module: {e}"))? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty.map_err(|e| format!("types: {e}"))?;
                    let params = ty.params().iter().map(|t| ValType::from_wasmparser(*t));
                    types.push(params.collect::<Option<_>>().unwrap_or_default());
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let TypeRef::Func(ty) = import.map_err(|e| format!("imports: {e}"))?.ty {
                        funcs.push(ty);
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    funcs.push(ty.map_err(|e| format!("functions: {e}"))?);
                }
            }
            Payload::ExportSection(reader) => {
                for item in reader {
                    let item = item.map_err(|e| format!("exports: {e}"))?;
                    if item.name == name && item.kind == ExternalKind::Func {
                        export = Some(item.index);
                    }
                }
            }
            _ => {}
        }
    }
    let index = export.ok_or_else(|| format!("no exported function {name:?}"))?;
    funcs
        .get(index as usize)
        .and_then(|ty| types.get(*ty as usize))
        .cloned()
        .ok_or_else(|| format!("export {name:?}: bad function index {index}"))
}

/// Parses one argument of type `ty` (`i32`/`i64` decimal or `0x` hex, floats as decimals).
fn parse_arg(text: &str, ty: ValType) -> Result<CaseValue, String> {
    let bad = |_| format!("argument {text:?} is not a {ty:?}");
    let int = |t: &str| -> Result<i128, String> {
        match t.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(hex, 16).map_err(|_| format!("bad hex {t:?}")),
            None => t
                .parse::<i128>()
                .map_err(|_| format!("argument {t:?} is not an integer")),
        }
    };
    Ok(match ty {
        ValType::I32 => CaseValue::I32(int(text)? as i32),
        ValType::I64 => CaseValue::I64(int(text)? as i64),
        ValType::F32 => CaseValue::F32(text.parse::<f32>().map_err(bad)?.to_bits()),
        ValType::F64 => CaseValue::F64(text.parse::<f64>().map_err(bad)?.to_bits()),
        ValType::FuncRef | ValType::ExternRef => {
            return Err(format!("reference parameters cannot be given ({ty:?})"))
        }
    })
}

/// Reads the module at `path` (binary, or WAT text).
pub fn read_module(path: &Path) -> Result<Vec<u8>, TargetError> {
    let bytes = std::fs::read(path).map_err(|source| TargetError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    wat::parse_bytes(&bytes)
        .map(|wasm| wasm.into_owned())
        .map_err(|error| TargetError::Module {
            path: path.to_path_buf(),
            message: format!("neither a binary module nor WAT: {error}"),
        })
}

/// The case running `entry` of `wasm` on `engines` (schedule at event 0, to be set per sample).
pub fn build_case(
    path: &Path,
    wasm: Vec<u8>,
    entry: &Entry,
    engines: &[String],
    fuel: u64,
) -> Result<Case, TargetError> {
    let module_error = |message: String| TargetError::Module {
        path: path.to_path_buf(),
        message,
    };
    let (invocation, wasi) = match entry {
        Entry::Invoke { export, args } => {
            let params = export_params(&wasm, export).map_err(module_error)?;
            if params.len() != args.len() {
                return Err(module_error(format!(
                    "export {export:?} takes {} arguments, {} given",
                    params.len(),
                    args.len()
                )));
            }
            let args = args
                .iter()
                .zip(params)
                .map(|(arg, ty)| parse_arg(arg, ty))
                .collect::<Result<Vec<_>, _>>()
                .map_err(module_error)?;
            let invocation = Invocation {
                export: export.clone(),
                args,
            };
            (invocation, None)
        }
        Entry::Wasi(config) => {
            let params = export_params(&wasm, "_start").map_err(module_error)?;
            if !params.is_empty() {
                return Err(module_error("_start takes parameters".into()));
            }
            let invocation = Invocation {
                export: "_start".into(),
                args: Vec::new(),
            };
            (invocation, Some(config.clone()))
        }
    };
    Ok(Case {
        version: CASE_VERSION,
        origin: None,
        engines: engines.to_vec(),
        module: wasm,
        invocations: vec![invocation],
        schedule: Schedule {
            invocation: 0,
            kinds: SCHEDULE_KINDS.to_vec(),
            k: 0,
            chain: Vec::new(),
            chain_stops: Vec::new(),
        },
        wasi,
        fuel: Some(fuel),
        uncanonical_nans: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_the_export_signature() {
        let wasm = wat::parse_str(
            r#"(module (func (export "f") (param i32 f64) (result i32) local.get 0))"#,
        )
        .expect("wat");
        let entry = Entry::Invoke {
            export: "f".into(),
            args: vec!["0x10".into(), "2.5".into()],
        };
        let case = build_case(
            Path::new("m.wasm"),
            wasm.clone(),
            &entry,
            &["stack".into()],
            9,
        )
        .expect("builds");
        assert_eq!(
            case.invocations[0].args,
            vec![CaseValue::I32(16), CaseValue::F64(2.5f64.to_bits())]
        );
        let wrong = Entry::Invoke {
            export: "f".into(),
            args: vec!["1".into()],
        };
        let error = build_case(Path::new("m.wasm"), wasm.clone(), &wrong, &[], 9).unwrap_err();
        assert!(error.to_string().contains("takes 2 arguments"), "{error}");
        let missing = Entry::Wasi(WasiConfig::default());
        let error = build_case(Path::new("m.wasm"), wasm, &missing, &[], 9).unwrap_err();
        assert!(error.to_string().contains("_start"), "{error}");
    }
}
