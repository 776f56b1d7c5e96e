//! The harness side: [`ProcessEngine`] drives an adapter child process as an [`Engine`].
//!
//! Each `ProcessEngine` is one session. It takes an idle adapter process for its command from
//! the [`pool`] (or starts one: spawn + `Hello`), sends `NewSession`, and forwards every
//! [`Engine`] call as one request. Host functions stay here: the adapter's `HostCall`s run the
//! [`HostFunc`]s registered with [`Engine::host_func`], on the calling thread, exactly as
//! in-process. When the session ends, a healthy process goes back to the pool.
//!
//! Invariants: an adapter that crashes, hangs past [`AdapterCommand::timeout`], sends malformed
//! bytes or breaks the protocol yields [`EngineError::Adapter`] (with its stderr tail) for that
//! call and every later call of the session — the process is killed and never reused, and the
//! next session starts a fresh one; no bytes from the adapter make this side panic.

mod connection;
mod funcs;
pub mod pool;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use baton_checkpoint::image::Image;
use baton_checkpoint::DecodeLimits;
use baton_engine::{
    AdapterFault, Engine, EngineConfig, EngineError, ExternHandle, FuncIdentity, FuncType,
    GlobalType, HostFunc, InstanceId, KindSet, MemoryType, ModuleId, RunOptions, RunReport,
    TableType, Trap, Value,
};

use crate::convert as cv;
use crate::handshake::AdapterInfo;
use crate::pb::{self, request::Kind as Req, response::Kind as Resp};
use connection::{unexpected, Connection};
use funcs::FuncIds;

/// The default per-message timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start an adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterCommand {
    /// The program.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// How long to wait for each message from the adapter (a response or a host call) before
    /// declaring it hung.
    pub timeout: Duration,
}

impl AdapterCommand {
    /// A command from its words (program first) with the default timeout; `None` when empty.
    pub fn from_words(words: Vec<String>) -> Option<AdapterCommand> {
        let mut words = words.into_iter();
        Some(AdapterCommand {
            program: words.next()?,
            args: words.collect(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The command line, for messages.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One engine session served by an adapter process. See the module docs.
pub struct ProcessEngine {
    name: String,
    command: AdapterCommand,
    connection: RefCell<Result<Connection, EngineError>>,
    host_funcs: RefCell<HashMap<u32, HostFunc>>,
    aliases: &'static [(Trap, &'static str)],
    funcs: FuncIds,
}

impl ProcessEngine {
    /// Starts a session named `name` on an adapter running `command`. Never fails: when the
    /// adapter cannot be started, every call of the session reports why.
    pub fn new(name: &str, command: &AdapterCommand, config: &EngineConfig) -> ProcessEngine {
        let connection = open(command, config);
        let (aliases, funcref_ids_are_handles) = match &connection {
            Ok(connection) => (
                intern_aliases(&connection.info.trap_aliases),
                connection.info.funcref_ids_are_handles,
            ),
            Err(_) => (&[][..], false),
        };
        ProcessEngine {
            name: name.to_string(),
            command: command.clone(),
            connection: RefCell::new(connection),
            host_funcs: RefCell::new(HashMap::new()),
            aliases,
            funcs: FuncIds::new(funcref_ids_are_handles),
        }
    }

    /// What the adapter said in the handshake, or why the session has no adapter.
    pub fn info(&self) -> Result<AdapterInfo, EngineError> {
        match &*self.connection.borrow() {
            Ok(connection) => Ok(connection.info.clone()),
            Err(error) => Err(error.clone()),
        }
    }

    /// Sends one request and returns its answer. After an adapter failure the session is dead.
    fn request(&self, kind: Req, what: &str) -> Result<Resp, EngineError> {
        let mut slot = self.connection.borrow_mut();
        let connection = slot.as_mut().map_err(|error| error.clone())?;
        let host_funcs = self.host_funcs.borrow();
        let dispatch = |func: u32, args: &[Value]| host_funcs.get(&func).map(|f| f(args));
        let result = connection.call(kind, what, &dispatch);
        if let Err(error @ EngineError::Adapter { .. }) = &result {
            *slot = Err(error.clone());
        }
        result
    }

    /// The error for an answer of the wrong kind (the session dies).
    fn wrong_answer(&self, what: &str, answer: &Resp) -> EngineError {
        let mut slot = self.connection.borrow_mut();
        let error = match slot.as_mut() {
            Ok(connection) => connection.violation(what, &unexpected(answer)),
            Err(error) => error.clone(),
        };
        *slot = Err(error.clone());
        error
    }

    /// The error for an answer whose content breaks the protocol (the session dies).
    fn bad_answer(&self, what: &str, violation: cv::Violation) -> EngineError {
        let mut slot = self.connection.borrow_mut();
        let error = match slot.as_mut() {
            Ok(connection) => connection.violation(what, &violation.0),
            Err(error) => error.clone(),
        };
        *slot = Err(error.clone());
        error
    }

    fn handle_answer(&self, what: &str, answer: Resp) -> Result<ExternHandle, EngineError> {
        match answer {
            Resp::Handle(handle) => {
                cv::handle_from_pb(&handle).map_err(|violation| self.bad_answer(what, violation))
            }
            other => Err(self.wrong_answer(what, &other)),
        }
    }

    fn instance_answer(&self, what: &str, answer: Resp) -> Result<InstanceId, EngineError> {
        match answer {
            Resp::Instance(created) => Ok(InstanceId(created.instance)),
            other => Err(self.wrong_answer(what, &other)),
        }
    }

    fn report_answer(&self, what: &str, answer: Resp) -> Result<RunReport, EngineError> {
        match answer {
            Resp::Report(report) => {
                cv::report_from_pb(&report).map_err(|violation| self.bad_answer(what, violation))
            }
            other => Err(self.wrong_answer(what, &other)),
        }
    }
}

/// An adapter process in a fresh session: a pooled one if it accepts `NewSession`, else a new
/// one.
fn open(command: &AdapterCommand, config: &EngineConfig) -> Result<Connection, EngineError> {
    let new_session = || {
        Req::NewSession(pb::NewSession {
            max_frames: config.max_frames,
        })
    };
    while let Some(mut connection) = pool::take(command) {
        if let Ok(Resp::Done(_)) = connection.call(new_session(), "new_session", &|_, _| None) {
            return Ok(connection);
        }
    }
    let mut connection = Connection::spawn(command)?;
    match connection.call(new_session(), "new_session", &|_, _| None)? {
        Resp::Done(_) => Ok(connection),
        other => Err(connection.violation("new_session", &unexpected(&other))),
    }
}

/// A `'static` copy of an alias list (as [`Engine::trap_aliases`] requires): each distinct list
/// is leaked once per process.
fn intern_aliases(aliases: &[(Trap, String)]) -> &'static [(Trap, &'static str)] {
    static INTERNED: Mutex<Vec<&'static [(Trap, &'static str)]>> = Mutex::new(Vec::new());
    if aliases.is_empty() {
        return &[];
    }
    let mut interned = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
    let same = |list: &&&'static [(Trap, &'static str)]| {
        list.len() == aliases.len()
            && list
                .iter()
                .zip(aliases)
                .all(|((a, b), (c, d))| a == c && *b == d.as_str())
    };
    if let Some(list) = interned.iter().find(same) {
        return list;
    }
    let list: Vec<(Trap, &'static str)> = aliases
        .iter()
        .map(|(trap, spec)| (trap.clone(), &*Box::leak(spec.clone().into_boxed_str())))
        .collect();
    let list: &'static [(Trap, &'static str)] = Box::leak(list.into_boxed_slice());
    interned.push(list);
    list
}

impl Drop for ProcessEngine {
    fn drop(&mut self) {
        let slot = std::mem::replace(
            self.connection.get_mut(),
            Err(EngineError::Other("session ended".into())),
        );
        if let Ok(connection) = slot {
            pool::put(&self.command, connection);
        }
    }
}

impl Engine for ProcessEngine {
    fn name(&self) -> &str {
        &self.name
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, EngineError> {
        let request = Req::Compile(pb::Compile {
            wasm: wasm.to_vec(),
        });
        match self.request(request, "compile")? {
            Resp::Module(compiled) => {
                let module = ModuleId(compiled.module);
                self.funcs.compiled(module, wasm);
                Ok(module)
            }
            other => Err(self.wrong_answer("compile", &other)),
        }
    }

    fn instantiate(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
    ) -> Result<InstanceId, EngineError> {
        let request = Req::Instantiate(pb::Instantiate {
            module: module.0,
            imports: imports.iter().copied().map(cv::handle_to_pb).collect(),
        });
        let answer = self.request(request, "instantiate")?;
        let instance = self.instance_answer("instantiate", answer)?;
        self.funcs.instantiated(instance, module, imports);
        Ok(instance)
    }

    fn host_func(&mut self, ty: &FuncType, func: HostFunc) -> Result<ExternHandle, EngineError> {
        let request = Req::HostFunc(pb::HostFunc {
            r#type: Some(cv::functype_to_pb(ty)),
        });
        let answer = self.request(request, "host_func")?;
        let handle = self.handle_answer("host_func", answer)?;
        self.host_funcs.borrow_mut().insert(handle.id, func);
        Ok(handle)
    }

    fn host_global(&mut self, ty: GlobalType, init: Value) -> Result<ExternHandle, EngineError> {
        let request = Req::HostGlobal(pb::HostGlobal {
            r#type: Some(cv::globaltype_to_pb(ty)),
            init: Some(cv::value_to_pb(&init)),
        });
        let answer = self.request(request, "host_global")?;
        self.handle_answer("host_global", answer)
    }

    fn host_table(&mut self, ty: TableType) -> Result<ExternHandle, EngineError> {
        let request = Req::HostTable(pb::HostTable {
            r#type: Some(cv::tabletype_to_pb(ty)),
        });
        let answer = self.request(request, "host_table")?;
        self.handle_answer("host_table", answer)
    }

    fn host_memory(&mut self, ty: MemoryType) -> Result<ExternHandle, EngineError> {
        let request = Req::HostMemory(pb::HostMemory {
            r#type: Some(cv::memorytype_to_pb(ty)),
        });
        let answer = self.request(request, "host_memory")?;
        self.handle_answer("host_memory", answer)
    }

    fn exports(&self, instance: InstanceId) -> Result<Vec<(String, ExternHandle)>, EngineError> {
        let request = Req::Exports(pb::Exports {
            instance: instance.0,
        });
        match self.request(request, "exports")? {
            Resp::Exports(list) => list
                .exports
                .into_iter()
                .map(|export| {
                    let handle = cv::required(export.handle.as_ref(), "Export.handle")
                        .and_then(cv::handle_from_pb)?;
                    Ok((export.name, handle))
                })
                .collect::<Result<_, cv::Violation>>()
                .map_err(|violation| self.bad_answer("exports", violation)),
            other => Err(self.wrong_answer("exports", &other)),
        }
    }

    fn global_value(&self, global: ExternHandle) -> Result<Value, EngineError> {
        let request = Req::GlobalValue(pb::GlobalValue {
            global: Some(cv::handle_to_pb(global)),
        });
        match self.request(request, "global_value")? {
            Resp::Value(value) => {
                cv::value_from_pb(&value).map_err(|v| self.bad_answer("global_value", v))
            }
            other => Err(self.wrong_answer("global_value", &other)),
        }
    }

    fn memory_data(&self, memory: ExternHandle) -> Result<Vec<u8>, EngineError> {
        let request = Req::MemoryData(pb::MemoryData {
            memory: Some(cv::handle_to_pb(memory)),
        });
        match self.request(request, "memory_data")? {
            Resp::Memory(bytes) => Ok(bytes.data),
            other => Err(self.wrong_answer("memory_data", &other)),
        }
    }

    fn table_elements(&self, table: ExternHandle) -> Result<Vec<Value>, EngineError> {
        let request = Req::TableElements(pb::TableElements {
            table: Some(cv::handle_to_pb(table)),
        });
        match self.request(request, "table_elements")? {
            Resp::Elements(list) => {
                cv::values_from_pb(&list.values).map_err(|v| self.bad_answer("table_elements", v))
            }
            other => Err(self.wrong_answer("table_elements", &other)),
        }
    }

    fn invoke(
        &mut self,
        instance: InstanceId,
        export: &str,
        args: &[Value],
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let request = Req::Invoke(pb::Invoke {
            instance: instance.0,
            export: export.to_string(),
            args: cv::values_to_pb(args),
            stop: cv::stop_to_pb(options.stop),
            fuel: options.fuel,
        });
        let answer = self.request(request, "invoke")?;
        self.report_answer("invoke", answer)
    }

    fn resume(
        &mut self,
        instance: InstanceId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let request = Req::Resume(pb::Resume {
            instance: instance.0,
            stop: cv::stop_to_pb(options.stop),
            fuel: options.fuel,
        });
        let answer = self.request(request, "resume")?;
        self.report_answer("resume", answer)
    }

    fn take_image(&mut self, instance: InstanceId) -> Result<Image, EngineError> {
        let request = Req::TakeImage(pb::TakeImage {
            instance: instance.0,
        });
        match self.request(request, "take_image")? {
            Resp::Image(bytes) => baton_checkpoint::decode(&bytes.image, &DecodeLimits::default())
                .map_err(|error| {
                    self.bad_answer(
                        "take_image",
                        cv::Violation(format!("the image does not decode: {error}")),
                    )
                }),
            other => Err(self.wrong_answer("take_image", &other)),
        }
    }

    fn restore(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
        image: &Image,
    ) -> Result<InstanceId, EngineError> {
        let request = Req::Restore(pb::Restore {
            module: module.0,
            imports: imports.iter().copied().map(cv::handle_to_pb).collect(),
            image: baton_checkpoint::encode(image),
        });
        let answer = self.request(request, "restore")?;
        let instance = self.instance_answer("restore", answer)?;
        self.funcs.instantiated(instance, module, imports);
        Ok(instance)
    }

    fn trap_aliases(&self) -> &'static [(Trap, &'static str)] {
        self.aliases
    }

    /// Only for adapters whose funcref ids are their functions' handle ids (revision 1.2): by
    /// comparison with the instance's imported and exported functions.
    fn func_identity(&self, instance: InstanceId, value: &Value) -> Option<FuncIdentity> {
        self.funcs
            .identify(instance, value, || self.exports(instance))
    }

    /// The kinds the adapter declared in its handshake (the main kinds when it cannot start:
    /// its failure then shows in the first real request).
    fn safe_point_kinds(&self) -> KindSet {
        self.info()
            .map_or(KindSet::MAIN, |info| info.safe_point_kinds)
    }

    /// What the adapter declared in its handshake (revision 1.3).
    fn locates_stops(&self) -> bool {
        self.info().is_ok_and(|info| info.locates_stops)
    }
}

/// Whether `error` is an adapter failure of this fault kind (for tests and classifiers).
pub fn is_fault(error: &EngineError, fault: AdapterFault) -> bool {
    matches!(error, EngineError::Adapter { fault: f, .. } if *f == fault)
}
