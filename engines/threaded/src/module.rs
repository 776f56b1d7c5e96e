//! [`Module`]: a validated, compiled module. Validation is wasmparser's (module level through
//! `baton_runtime::parse_module`, then each body's function validator); every defined function
//! is compiled once ([`crate::compiler`]) and lowered to handler addresses
//! ([`crate::executor::lower`]). The shared checkpoint analysis is built lazily.
//!
//! Invariant: `funcs[i]` is defined function `imported_funcs + i`.

use std::cell::OnceCell;
use std::rc::Rc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_runtime::{CompiledModule, ImageError, ModuleError, ModuleInfo};
use wasmparser::FuncValidatorAllocations;

use crate::compiler::{self, CompiledFunc};
use crate::executor::{self, Cell};

/// One defined function: its compiled form and its lowered threaded code.
pub struct FuncCode {
    /// The compiler's output (code words, frame layout, safe-point maps).
    pub compiled: CompiledFunc,
    /// The code with handler addresses, position for position.
    pub cells: Vec<Cell>,
    /// What a call writes to slots `params..` of a new frame: zeros for the declared locals,
    /// then the constants.
    pub init: Vec<u64>,
    /// Number of parameters (the first slot `init` goes to).
    pub params: usize,
    /// Slots the frame needs.
    pub frame_size: usize,
    /// The events of a call of this function that a call op can count before entering it, as
    /// one budget decrement: 3 (call, entry and return) when the body has no loop or call op
    /// (nothing fires between entry and return), 2 (call and entry) otherwise.
    pub call_events: u64,
    /// The events the call op counts after such a call returned: `3 - call_events` (the return
    /// event, unless it was counted in advance).
    pub return_events: u64,
}

impl FuncCode {
    /// Lowers `compiled` (with safe points if `polling`), after checking that every slot its
    /// handlers access unchecked lies in its frame ([`executor::check_slots`]; an error is a
    /// compiler bug). `call_events`: [`FuncCode::call_events`] of the module's functions by
    /// function index (`None` for imports), see [`executor::lower`].
    pub fn new(
        compiled: CompiledFunc,
        polling: bool,
        call_events: impl Fn(u32) -> Option<u64>,
    ) -> Result<FuncCode, String> {
        executor::check_slots(&compiled.code, compiled.frame_size as usize)?;
        let cells = executor::lower(&compiled.code, polling, call_events);
        let params = compiled.ty.params.len();
        let zeros = compiled.locals.len().saturating_sub(params);
        let init = std::iter::repeat_n(0, zeros)
            .chain(compiled.consts.iter().copied())
            .collect();
        let call_events = call_events_of(&compiled);
        Ok(FuncCode {
            call_events,
            return_events: 3 - call_events,
            frame_size: compiled.frame_size as usize,
            compiled,
            cells,
            init,
            params,
        })
    }
}

/// [`FuncCode::call_events`] of a compiled function.
fn call_events_of(compiled: &CompiledFunc) -> u64 {
    if executor::fires_no_events(&compiled.code) {
        3
    } else {
        2
    }
}

/// A module's code and description, shared by its instances.
pub struct ModuleCode {
    /// The engine-independent description.
    pub info: Rc<ModuleInfo>,
    /// Compiled defined functions.
    pub funcs: Vec<FuncCode>,
    /// The binary.
    pub bytes: Rc<[u8]>,
    /// Whether safe points were compiled in.
    pub polling: bool,
    analysis: OnceCell<Result<Rc<ModuleAnalysis>, String>>,
}

impl ModuleCode {
    /// The code of function `func` (index space), if it is defined.
    #[inline]
    pub fn func(&self, func: u32) -> Option<&FuncCode> {
        self.funcs
            .get(func.checked_sub(self.info.num_imported_funcs)? as usize)
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
    /// Decodes, validates and compiles `bytes`, with safe points (checkpointable).
    pub fn new(bytes: &[u8]) -> Result<Module, ModuleError> {
        Module::with_polling(bytes, true)
    }

    /// Like [`Module::new`]; `polling: false` compiles without safe points: runs fire no
    /// events (stop requests and fuel are ignored) and cannot be imaged. For measuring the
    /// cost of checkpoint support.
    pub fn with_polling(bytes: &[u8], polling: bool) -> Result<Module, ModuleError> {
        let parsed = baton_runtime::parse_module(bytes)?;
        let info = parsed.info;
        let mut allocations = FuncValidatorAllocations::default();
        let mut compiled_funcs = Vec::with_capacity(parsed.bodies.len());
        for body in parsed.bodies {
            let mut validator = body.validator.into_validator(allocations);
            validator
                .validate(&body.body)
                .map_err(|e| ModuleError::from_wasmparser(&e))?;
            allocations = validator.into_allocations();
            let compiled =
                compiler::compile(&info, body.func, &body.body, polling).map_err(|e| {
                    ModuleError::Unsupported {
                        offset: body.body.range().start,
                        what: e.to_string(),
                    }
                })?;
            compiled_funcs.push((compiled, body.body.range().start));
        }
        // Every function's event count first: lowering specialises direct calls for their
        // callee's.
        let events: Vec<u64> = compiled_funcs
            .iter()
            .map(|(compiled, _)| call_events_of(compiled))
            .collect();
        let imported = info.num_imported_funcs;
        let callee_events = |func: u32| {
            let defined = func.checked_sub(imported)?;
            events.get(defined as usize).copied()
        };
        let mut funcs = Vec::with_capacity(compiled_funcs.len());
        for (compiled, offset) in compiled_funcs {
            let code = FuncCode::new(compiled, polling, callee_events).map_err(|e| {
                ModuleError::Unsupported {
                    offset,
                    what: format!("internal compiler error: {e}"),
                }
            })?;
            funcs.push(code);
        }
        Ok(Module {
            code: Rc::new(ModuleCode {
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

    /// The compiled form of function `func` (index space), if defined: for inspection and tests.
    pub fn compiled(&self, func: u32) -> Option<&CompiledFunc> {
        self.code.func(func).map(|f| &f.compiled)
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
