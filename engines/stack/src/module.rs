//! A validated, translated module: the binary, its [`ModuleInfo`], every defined function's
//! [`FuncCode`], and (on first use) the shared checkpoint analysis.
//!
//! Invariant: `code[i]` is the translation of function `num_imported_funcs + i`.

use std::cell::OnceCell;
use std::rc::Rc;

use baton_checkpoint::analysis::{AnalysisError, ModuleAnalysis};
use baton_runtime::module::parse_module;
use baton_runtime::{CompiledModule, ImageError, ModuleError, ModuleInfo};
use wasmparser::FuncValidatorAllocations;

use crate::translate::{translate, FuncCode};

/// A compiled module; cheap to clone (shared).
#[derive(Clone)]
pub struct Module {
    bytes: Rc<[u8]>,
    info: Rc<ModuleInfo>,
    code: Rc<[FuncCode]>,
    analysis: Rc<OnceCell<Result<Rc<ModuleAnalysis>, AnalysisError>>>,
}

impl Module {
    /// Decodes, validates (WebAssembly 2.0 without SIMD) and translates `bytes`.
    pub fn new(bytes: &[u8]) -> Result<Module, ModuleError> {
        let parsed = parse_module(bytes)?;
        let mut allocs = FuncValidatorAllocations::default();
        let mut code = Vec::with_capacity(parsed.bodies.len());
        for body in parsed.bodies {
            let (func, reused) = translate(&parsed.info, body, allocs)?;
            allocs = reused;
            code.push(func);
        }
        Ok(Module {
            bytes: Rc::from(bytes),
            info: Rc::new(parsed.info),
            code: Rc::from(code),
            analysis: Rc::new(OnceCell::new()),
        })
    }

    /// The module binary.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The module's static description (imports, exports, types, segments).
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// The translated code of function `func` (index space), `None` for imports.
    pub(crate) fn code(&self, func: u32) -> Option<&FuncCode> {
        let index = func.checked_sub(self.info.num_imported_funcs)?;
        self.code.get(index as usize)
    }

    /// The shared checkpoint analysis of this module (computed once, on first use).
    pub fn analysis(&self) -> Result<Rc<ModuleAnalysis>, AnalysisError> {
        self.analysis
            .get_or_init(|| ModuleAnalysis::new(&self.bytes).map(Rc::new))
            .clone()
    }
}

impl CompiledModule for Module {
    fn compile(bytes: &[u8]) -> Result<Module, ModuleError> {
        Module::new(bytes)
    }

    fn module_info(&self) -> &Rc<ModuleInfo> {
        &self.info
    }

    fn checkpoint_analysis(&self) -> Result<Rc<ModuleAnalysis>, ImageError> {
        self.analysis()
            .map_err(|error| ImageError::Validation(format!("module analysis: {error}")))
    }
}
