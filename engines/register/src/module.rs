//! [`Module`]: a validated, compiled module. Validation is wasmparser's (via
//! `baton_runtime::parse_module` and each body's function validator); every defined function is
//! compiled once to register code. The shared checkpoint analysis is built lazily, on the first
//! image or restore.
//!
//! Invariant: `funcs[i]` is defined function `imported_funcs + i`.

use std::cell::OnceCell;
use std::rc::Rc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_runtime::{CompiledModule, ImageError, ModuleError, ModuleInfo};
use wasmparser::FuncValidatorAllocations;

use crate::compiler::{self, CompiledFunc};
use crate::values::to_wasmparser;

/// A module's code and description, shared by its instances.
pub struct ModuleCode {
    /// The engine-independent description.
    pub info: Rc<ModuleInfo>,
    /// Number of imported functions.
    pub imported_funcs: u32,
    /// Compiled defined functions.
    pub funcs: Vec<CompiledFunc>,
    /// The binary.
    pub bytes: Rc<[u8]>,
    /// Whether safe-point instructions were compiled in.
    pub polling: bool,
    analysis: OnceCell<Result<Rc<ModuleAnalysis>, String>>,
}

impl ModuleCode {
    /// The compiled function with index `func` (index space), if it is defined.
    #[inline]
    pub fn func(&self, func: u32) -> Option<&CompiledFunc> {
        self.funcs
            .get(func.checked_sub(self.imported_funcs)? as usize)
    }

    /// The shared analysis of the module (built on first use).
    pub fn analysis(&self) -> Result<Rc<ModuleAnalysis>, String> {
        self.analysis
            .get_or_init(|| {
                ModuleAnalysis::new(&self.bytes)
                    .map(Rc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

/// A validated and compiled module.
#[derive(Clone)]
pub struct Module {
    pub(crate) code: Rc<ModuleCode>,
}

impl Module {
    /// Decodes, validates and compiles `bytes`, with safe-point polling (checkpointable).
    pub fn new(bytes: &[u8]) -> Result<Module, ModuleError> {
        Module::with_polling(bytes, true)
    }

    /// Like [`Module::new`]; `polling: false` compiles without safe-point instructions: runs
    /// fire no events (stop requests and fuel are ignored) and cannot be imaged. For measuring
    /// the cost of checkpoint support.
    pub fn with_polling(bytes: &[u8], polling: bool) -> Result<Module, ModuleError> {
        let parsed = baton_runtime::parse_module(bytes)?;
        let info = parsed.info;
        let types = info
            .types
            .iter()
            .map(|ty| {
                wasmparser::FuncType::new(
                    ty.params.iter().map(|t| to_wasmparser(*t)),
                    ty.results.iter().map(|t| to_wasmparser(*t)),
                )
            })
            .collect();
        let compile_info = compiler::ModuleInfo {
            types,
            func_types: info.func_types.clone(),
            imported_funcs: info.num_imported_funcs,
            globals: info
                .globals
                .iter()
                .map(|g| to_wasmparser(g.content))
                .collect(),
            tables: info
                .tables
                .iter()
                .map(|t| to_wasmparser(t.elem.val_type()))
                .collect(),
        };
        let mut allocations = FuncValidatorAllocations::default();
        let mut funcs = Vec::with_capacity(parsed.bodies.len());
        for body in parsed.bodies {
            let mut validator = body.validator.into_validator(allocations);
            validator
                .validate(&body.body)
                .map_err(|e| ModuleError::from_wasmparser(&e))?;
            allocations = validator.into_allocations();
            let compiled = compiler::compile(&compile_info, body.func, &body.body, polling)
                .map_err(|e| ModuleError::Unsupported {
                    offset: body.body.range().start,
                    what: e.to_string(),
                })?;
            funcs.push(compiled);
        }
        Ok(Module {
            code: Rc::new(ModuleCode {
                imported_funcs: info.num_imported_funcs,
                info: Rc::new(info),
                funcs,
                bytes: bytes.into(),
                polling,
                analysis: OnceCell::new(),
            }),
        })
    }

    /// The module's description (imports, exports, types).
    pub fn info(&self) -> &ModuleInfo {
        &self.code.info
    }

    /// The module's binary.
    pub fn bytes(&self) -> &[u8] {
        &self.code.bytes
    }

    /// The compiled code of function `func` (index space), if defined: for inspection and tests.
    pub fn compiled(&self, func: u32) -> Option<&CompiledFunc> {
        self.code.func(func)
    }
}

impl CompiledModule for Module {
    fn compile(bytes: &[u8]) -> Result<Module, ModuleError> {
        Module::new(bytes)
    }

    fn module_info(&self) -> &Rc<ModuleInfo> {
        &self.code.info
    }

    fn checkpoint_analysis(&self) -> Result<Rc<ModuleAnalysis>, ImageError> {
        self.code.analysis().map_err(ImageError::Validation)
    }

    fn check_restorable(&self) -> Result<(), ImageError> {
        if self.code.polling {
            Ok(())
        } else {
            Err(ImageError::Validation(
                "module compiled without safe points cannot be restored into".into(),
            ))
        }
    }
}
