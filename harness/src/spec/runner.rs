//! Executes one `.wast` file's directives against one engine session.
//!
//! State across directives: named and current instances, `register`ed names (resolved by the
//! import resolver together with `spectest`), module definitions. Every directive yields one
//! [`Verdict`]; nothing is dropped silently: an unsupported directive is a failure, and what the
//! engine declares it cannot do ([`Declared`]) is a skip with its reason: the module, then every
//! directive on its instance (or importing from it once registered).

use std::collections::HashMap;
use std::sync::Arc;

use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, QuoteWatTest, Wast, WastDirective, WastExecute, WastInvoke, WastRet};

use super::checkpoint::CheckpointRun;
use super::declared::{Declared, LimitationKind};
use super::expectation::Expectation;
use super::matching::{arg_value, check_results, describe_expected};
use super::report::{FileReport, Location, Verdict};
use super::{spectest, SpecOptions};
use crate::imports::{read_imports, ImportDecl};
use baton_engine::Value;
use baton_engine::{
    Engine, EngineError, ExternHandle, ExternKind, InstanceId, ModuleId, RunOptions, RunOutcome,
};

/// Everything the runner remembers about an instance it created.
#[derive(Clone, Debug)]
pub struct InstanceRecord {
    /// The engine's instance.
    pub id: InstanceId,
    /// Its compiled module.
    pub module: ModuleId,
    /// The module's binary (shared with checkpoint sessions that compile it again).
    pub wasm: Arc<Vec<u8>>,
    /// The resolved imports, in import order.
    pub imports: Vec<ExternHandle>,
    /// Where each import came from, in import order.
    pub sources: Vec<ImportSource>,
}

/// Where a resolved import came from.
#[derive(Clone, Debug)]
pub enum ImportSource {
    /// The `spectest` host module.
    Spectest,
    /// An export (by name) of another instance.
    Instance(Arc<InstanceRecord>, String),
}

/// A `register`ed instance: its record and its exports.
struct Registered {
    record: Arc<InstanceRecord>,
    exports: Vec<(String, ExternHandle)>,
}

/// Runs the directives of one file.
pub struct FileRunner {
    engine: Box<dyn Engine>,
    spectest: Vec<(String, ExternHandle)>,
    registered: HashMap<String, Registered>,
    named: HashMap<String, InstanceRecord>,
    current: Option<InstanceRecord>,
    definitions: HashMap<String, Vec<u8>>,
    checkpoint: Option<CheckpointRun>,
    declared: Declared,
    /// Why the current module was skipped, when it was.
    skipped_current: Option<String>,
    /// Skipped modules by instance name, and by registered name: why.
    skipped_named: HashMap<String, String>,
    skipped_registered: HashMap<String, String>,
    /// Instances a skipped module imported a table, memory or global from (it would have
    /// changed them, e.g. through its segments): why.
    tainted: HashMap<InstanceId, String>,
}

fn id_name(id: Option<wast::token::Id<'_>>) -> Option<String> {
    id.map(|id| id.name().to_string())
}

impl FileRunner {
    /// A fresh session with `spectest` available.
    pub fn new(options: &SpecOptions) -> Result<Self, EngineError> {
        let mut engine = (options.engine.create)(&options.config);
        let spectest = spectest::instantiate(engine.as_mut())?;
        let checkpoint = options.checkpoint.clone().map(|settings| {
            CheckpointRun::new(
                options.engine.clone(),
                settings,
                &options.config,
                &options.declared,
            )
        });
        Ok(Self {
            engine,
            spectest,
            registered: HashMap::new(),
            named: HashMap::new(),
            current: None,
            definitions: HashMap::new(),
            checkpoint,
            declared: options.declared.clone(),
            skipped_current: None,
            skipped_named: HashMap::new(),
            skipped_registered: HashMap::new(),
            tainted: HashMap::new(),
        })
    }

    /// Parses and runs `text`, naming failures by `file:line:col`.
    pub fn run(mut self, file: &str, text: &str) -> FileReport {
        let mut report = FileReport::new(file);
        let mut lexer = Lexer::new(text);
        // The suite deliberately uses bidi and other confusing characters in names.
        lexer.allow_confusing_unicode(true);
        let buffer = match ParseBuffer::new_with_lexer(lexer) {
            Ok(buffer) => buffer,
            Err(error) => {
                report.record_parse_failure(error.to_string());
                return report;
            }
        };
        let wast = match parser::parse::<Wast<'_>>(&buffer) {
            Ok(wast) => wast,
            Err(error) => {
                report.record_parse_failure(error.to_string());
                return report;
            }
        };
        for directive in wast.directives {
            let (line, col) = directive.span().linecol_in(text);
            let kind = directive_kind(&directive);
            let verdict = self.directive(directive);
            report.record(
                Location {
                    line: line + 1,
                    col: col + 1,
                    directive: kind,
                },
                verdict,
            );
        }
        if let Some(checkpoint) = self.checkpoint {
            report.checkpoint = checkpoint.into_stats();
        }
        report
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Verdict {
        match directive {
            WastDirective::Module(mut module) => {
                let name = id_name(module.name());
                self.current = None;
                self.skipped_current = None;
                match self.define_and_instantiate(&mut module) {
                    Ok(record) => {
                        if let Some(name) = name {
                            self.named.insert(name, record.clone());
                        }
                        self.current = Some(record);
                        Verdict::Pass
                    }
                    Err(Verdict::Skip(reason)) => {
                        if let Some(name) = name {
                            self.skipped_named.insert(name, reason.clone());
                        }
                        self.skipped_current = Some(reason.clone());
                        Verdict::Skip(reason)
                    }
                    Err(verdict) => verdict,
                }
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = id_name(module.name());
                match module.encode() {
                    Ok(wasm) => {
                        if let Some(reason) = self.declared.module_skip(&wasm) {
                            return Verdict::Skip(reason);
                        }
                        if let Err(error) = self.engine.compile(&wasm) {
                            return Verdict::Fail(format!("module definition rejected: {error}"));
                        }
                        if let Some(name) = name {
                            self.definitions.insert(name, wasm);
                        }
                        Verdict::Pass
                    }
                    Err(error) => Verdict::Fail(format!("module definition: {error}")),
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let Some(wasm) = id_name(module).and_then(|m| self.definitions.get(&m).cloned())
                else {
                    return Verdict::Fail("module instance of an unknown definition".into());
                };
                match self.instantiate_bytes(wasm) {
                    Ok(record) => {
                        if let Some(name) = id_name(instance) {
                            self.named.insert(name, record.clone());
                        }
                        self.current = Some(record);
                        Verdict::Pass
                    }
                    Err(verdict) => verdict,
                }
            }
            WastDirective::Register { name, module, .. } => {
                let record = match self.instance(module) {
                    Ok(record) => record,
                    Err(Verdict::Skip(reason)) => {
                        self.skipped_registered
                            .insert(name.to_string(), reason.clone());
                        return Verdict::Skip(reason);
                    }
                    Err(verdict) => return verdict,
                };
                match self.engine.exports(record.id) {
                    Ok(exports) => {
                        let record = Arc::new(record);
                        self.registered
                            .insert(name.to_string(), Registered { record, exports });
                        Verdict::Pass
                    }
                    Err(error) => Verdict::Fail(error.to_string()),
                }
            }
            WastDirective::Invoke(invoke) => self.invoke_checked(&invoke, &Expectation::Anything),
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => match exec {
                WastExecute::Invoke(invoke) => {
                    self.invoke_checked(&invoke, &Expectation::Trap(message))
                }
                WastExecute::Wat(wat) => {
                    self.assert_instantiation_trap(QuoteWat::Wat(wat), message)
                }
                WastExecute::Get { .. } => Verdict::Fail("assert_trap on a global get".into()),
            },
            WastDirective::AssertExhaustion { call, message, .. } => {
                self.invoke_checked(&call, &Expectation::Trap(message))
            }
            WastDirective::AssertInvalid { module, .. } => self.assert_rejected(module, false),
            WastDirective::AssertMalformed { module, .. } => self.assert_rejected(module, true),
            WastDirective::AssertUnlinkable { module, .. } => {
                self.assert_unlinkable(QuoteWat::Wat(module))
            }
            other => Verdict::Fail(format!(
                "directive {} is outside Wasm 2.0",
                directive_kind(&other)
            )),
        }
    }

    /// The named instance, or the current one; a skip when its module was skipped, or when a
    /// skipped module would have changed its state.
    fn instance(&self, id: Option<wast::token::Id<'_>>) -> Result<InstanceRecord, Verdict> {
        let record = self.instance_record(id)?;
        match self.tainted.get(&record.id) {
            Some(reason) => Err(Verdict::Skip(format!(
                "a skipped module imported state from this instance: {reason}"
            ))),
            None => Ok(record),
        }
    }

    fn instance_record(&self, id: Option<wast::token::Id<'_>>) -> Result<InstanceRecord, Verdict> {
        let skipped = |reason: &String| Verdict::Skip(format!("its module was skipped: {reason}"));
        match id_name(id) {
            Some(name) => self.named.get(&name).cloned().ok_or_else(|| {
                self.skipped_named.get(&name).map_or_else(
                    || Verdict::Fail(format!("no instance named ${name}")),
                    skipped,
                )
            }),
            None => self.current.clone().ok_or_else(|| {
                self.skipped_current.as_ref().map_or_else(
                    || Verdict::Fail("no current instance (its module failed)".into()),
                    skipped,
                )
            }),
        }
    }

    /// Marks the registered instances a skipped `wasm` imports a table, memory or global from.
    fn taint_exporters(&mut self, wasm: &[u8], reason: &str) {
        for import in read_imports(wasm).unwrap_or_default() {
            if import.kind == ExternKind::Func {
                continue;
            }
            if let Some(registered) = self.registered.get(&import.module) {
                self.tainted
                    .insert(registered.record.id, reason.to_string());
            }
        }
    }

    /// Why `wasm` is not run: a declared limitation, or an import from a skipped module.
    fn module_skip(&self, wasm: &[u8]) -> Option<String> {
        if let Some(reason) = self.declared.module_skip(wasm) {
            return Some(reason);
        }
        let imports = read_imports(wasm).unwrap_or_default();
        imports.iter().find_map(|import| {
            self.skipped_registered
                .get(&import.module)
                .map(|reason| format!("imports from a skipped module: {reason}"))
        })
    }

    fn define_and_instantiate(
        &mut self,
        module: &mut QuoteWat<'_>,
    ) -> Result<InstanceRecord, Verdict> {
        let wasm = module
            .encode()
            .map_err(|error| Verdict::Fail(format!("module does not encode: {error}")))?;
        self.instantiate_bytes(wasm)
    }

    /// Compiles and instantiates `wasm`: a skip when the engine declares it cannot run it.
    fn instantiate_bytes(&mut self, wasm: Vec<u8>) -> Result<InstanceRecord, Verdict> {
        if let Some(reason) = self.module_skip(&wasm) {
            self.taint_exporters(&wasm, &reason);
            return Err(Verdict::Skip(reason));
        }
        let module = self
            .engine
            .compile(&wasm)
            .map_err(|error| Verdict::Fail(format!("module rejected: {error}")))?;
        let (imports, sources) = self.resolve(&wasm).map_err(Verdict::Fail)?;
        let id = self
            .engine
            .instantiate(module, &imports)
            .map_err(|error| Verdict::Fail(format!("instantiation failed: {error}")))?;
        Ok(InstanceRecord {
            id,
            module,
            wasm: Arc::new(wasm),
            imports,
            sources,
        })
    }

    /// Resolves a module's imports from `spectest` and registered instances, with where each
    /// came from.
    fn resolve(&self, wasm: &[u8]) -> Result<(Vec<ExternHandle>, Vec<ImportSource>), String> {
        let decls = read_imports(wasm)?;
        let mut handles = Vec::with_capacity(decls.len());
        let mut sources = Vec::with_capacity(decls.len());
        for decl in &decls {
            let (handle, source) = self.lookup(decl)?;
            handles.push(handle);
            sources.push(source);
        }
        Ok((handles, sources))
    }

    fn lookup(&self, decl: &ImportDecl) -> Result<(ExternHandle, ImportSource), String> {
        let unknown = || format!("unknown import {}.{}", decl.module, decl.name);
        let find = |exports: &[(String, ExternHandle)]| {
            exports
                .iter()
                .find(|(name, _)| *name == decl.name)
                .map(|(_, handle)| *handle)
        };
        if decl.module == spectest::MODULE {
            let handle = find(&self.spectest).ok_or_else(unknown)?;
            return Ok((handle, ImportSource::Spectest));
        }
        let registered = self
            .registered
            .get(&decl.module)
            .ok_or_else(|| format!("unknown import module {:?}", decl.module))?;
        let handle = find(&registered.exports).ok_or_else(unknown)?;
        let source = ImportSource::Instance(registered.record.clone(), decl.name.clone());
        Ok((handle, source))
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, results: &[WastRet<'_>]) -> Verdict {
        match exec {
            WastExecute::Invoke(invoke) => {
                self.invoke_checked(&invoke, &Expectation::Values(results))
            }
            WastExecute::Get { module, global, .. } => {
                let value = match self.get_global(module, global) {
                    Ok(value) => value,
                    Err(verdict) => return verdict,
                };
                match check_results(results, &[value]) {
                    Ok(()) => Verdict::Pass,
                    Err(message) => Verdict::Fail(message),
                }
            }
            WastExecute::Wat(wat) => match self.define_and_instantiate(&mut QuoteWat::Wat(wat)) {
                Ok(_) if results.is_empty() => Verdict::Pass,
                Ok(_) => Verdict::Fail(format!(
                    "module instantiation returns nothing, expected {}",
                    describe_expected(results)
                )),
                Err(verdict) => verdict,
            },
        }
    }

    fn get_global(
        &self,
        module: Option<wast::token::Id<'_>>,
        name: &str,
    ) -> Result<Value, Verdict> {
        let record = self.instance(module)?;
        let fail = |message: String| Verdict::Fail(message);
        let handle = baton_engine::find_export(self.engine.as_ref(), record.id, name)
            .map_err(|error| fail(error.to_string()))?
            .filter(|handle| handle.kind == ExternKind::Global)
            .ok_or_else(|| fail(format!("no exported global {name:?}")))?;
        self.engine
            .global_value(handle)
            .map_err(|error| fail(error.to_string()))
    }

    /// Runs an invocation on the live instance and checks it (and, in checkpoint mode, every
    /// restored copy of it) against `expectation`.
    fn invoke_checked(&mut self, invoke: &WastInvoke<'_>, expectation: &Expectation) -> Verdict {
        let record = match self.instance(invoke.module) {
            Ok(record) => record,
            Err(verdict) => return verdict,
        };
        let args = match invoke
            .args
            .iter()
            .map(arg_value)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(args) => args,
            Err(message) => return Verdict::Fail(message),
        };
        if let Some(checkpoint) = self.checkpoint.as_mut() {
            let verdict = checkpoint.check_invocation(
                self.engine.as_mut(),
                &record,
                invoke.name,
                &args,
                expectation,
            );
            return self.excuse_quieted_nans(verdict, invoke, expectation);
        }
        let report = match self
            .engine
            .invoke(record.id, invoke.name, &args, RunOptions::default())
        {
            Ok(report) => report,
            Err(error) => return Verdict::Fail(format!("invoke {}: {error}", invoke.name)),
        };
        let verdict = expectation.verdict(&report.outcome, self.engine.trap_aliases());
        self.excuse_quieted_nans(verdict, invoke, expectation)
    }

    /// A failing directive with a signalling NaN among its arguments or expected results is a
    /// skip on an engine declaring `quiets-signalling-nans`.
    fn excuse_quieted_nans(
        &self,
        verdict: Verdict,
        invoke: &WastInvoke<'_>,
        expectation: &Expectation,
    ) -> Verdict {
        let Verdict::Fail(message) = verdict else {
            return verdict;
        };
        let reason = self
            .declared
            .limitation(LimitationKind::QuietsSignallingNans);
        let signalling =
            invoke.args.iter().any(arg_is_signalling_nan) || expectation.expects_signalling_nan();
        match reason {
            Some(reason) if signalling => Verdict::Skip(format!(
                "a signalling NaN crosses the boundary ({message}): {reason}"
            )),
            _ => Verdict::Fail(message),
        }
    }

    fn assert_instantiation_trap(&mut self, mut module: QuoteWat<'_>, message: &str) -> Verdict {
        let wasm = match module.encode() {
            Ok(wasm) => wasm,
            Err(error) => return Verdict::Fail(format!("module does not encode: {error}")),
        };
        if let Some(reason) = self.module_skip(&wasm) {
            return Verdict::Skip(reason);
        }
        let compiled = match self.engine.compile(&wasm) {
            Ok(compiled) => compiled,
            Err(error) => return Verdict::Fail(format!("module rejected: {error}")),
        };
        let imports = match self.resolve(&wasm) {
            Ok((imports, _)) => imports,
            Err(error) => return Verdict::Fail(format!("unresolved import: {error}")),
        };
        match self.engine.instantiate(compiled, &imports) {
            Ok(_) => Verdict::Fail(format!("instantiated, expected trap {message:?}")),
            Err(EngineError::InstantiationTrap(trap)) => Expectation::Trap(message)
                .verdict(&RunOutcome::Trapped(trap), self.engine.trap_aliases()),
            Err(error) => Verdict::Fail(format!("expected trap {message:?}, got {error}")),
        }
    }

    /// `assert_invalid` (`malformed == false`) and `assert_malformed`.
    fn assert_rejected(&mut self, mut module: QuoteWat<'_>, malformed: bool) -> Verdict {
        let wasm = match module.to_test() {
            Ok(QuoteWatTest::Binary(wasm)) => wasm,
            Ok(QuoteWatTest::Text(text)) => match encode_text(&text) {
                Ok(wasm) => wasm,
                // The text parser rejecting a quoted module is what `malformed` asks for.
                Err(_) if malformed => return Verdict::Pass,
                Err(error) => return Verdict::Fail(format!("module does not encode: {error}")),
            },
            Err(error) => return Verdict::Fail(format!("module does not encode: {error}")),
        };
        match self.engine.compile(&wasm) {
            Ok(_) => {
                let expected = if malformed { "malformed" } else { "invalid" };
                match self.declared.limitation(LimitationKind::NoValidation) {
                    Some(reason) => {
                        Verdict::Skip(format!("accepted a module expected {expected}: {reason}"))
                    }
                    None => Verdict::Fail(format!("module accepted, expected it to be {expected}")),
                }
            }
            Err(EngineError::Rejected(_)) => Verdict::Pass,
            Err(error) => Verdict::Fail(format!("expected rejection, got {error}")),
        }
    }

    fn assert_unlinkable(&mut self, mut module: QuoteWat<'_>) -> Verdict {
        let wasm = match module.encode() {
            Ok(wasm) => wasm,
            Err(error) => return Verdict::Fail(format!("module does not encode: {error}")),
        };
        if let Some(reason) = self.module_skip(&wasm) {
            return Verdict::Skip(reason);
        }
        let compiled = match self.engine.compile(&wasm) {
            Ok(compiled) => compiled,
            Err(error) => return Verdict::Fail(format!("module rejected: {error}")),
        };
        let imports = match self.resolve(&wasm) {
            Ok((imports, _)) => imports,
            // An unknown import is one way to be unlinkable.
            Err(_) => return Verdict::Pass,
        };
        match self.engine.instantiate(compiled, &imports) {
            Ok(_) => Verdict::Fail("module linked, expected a link error".into()),
            Err(EngineError::Link(_)) => Verdict::Pass,
            Err(error) => Verdict::Fail(format!("expected a link error, got {error}")),
        }
    }
}

/// Whether an argument is a signalling NaN (quiet bit clear).
fn arg_is_signalling_nan(arg: &wast::WastArg<'_>) -> bool {
    match arg_value(arg) {
        Ok(Value::F32(bits)) => is_signalling_f32(bits),
        Ok(Value::F64(bits)) => is_signalling_f64(bits),
        _ => false,
    }
}

/// Whether `bits` is an f32 signalling NaN.
pub fn is_signalling_f32(bits: u32) -> bool {
    bits & 0x7f80_0000 == 0x7f80_0000 && bits & 0x007f_ffff != 0 && bits & 0x0040_0000 == 0
}

/// Whether `bits` is an f64 signalling NaN.
pub fn is_signalling_f64(bits: u64) -> bool {
    let exponent = 0x7ff0_0000_0000_0000;
    bits & exponent == exponent && bits & 0x000f_ffff_ffff_ffff != 0 && bits & (1 << 51) == 0
}

/// Parses and encodes a quoted text module.
fn encode_text(text: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(text).map_err(|_| "malformed UTF-8 encoding".to_string())?;
    let buffer = ParseBuffer::new(text).map_err(|error| error.to_string())?;
    let mut wat = parser::parse::<wast::Wat<'_>>(&buffer).map_err(|error| error.to_string())?;
    wat.encode().map_err(|error| error.to_string())
}

/// The directive's keyword, for reports.
fn directive_kind(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
    }
}
