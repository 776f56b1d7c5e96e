//! The adapter side, reference implementation: serves any [`Engine`] over a reader/writer pair
//! (a child's stdin/stdout in `baton serve`).
//!
//! One connection serves any number of sessions one after another: `Hello` first, then
//! `NewSession` creates a fresh engine session from the factory (dropping the previous one), and
//! every other request goes to the current session. Host functions are proxies: when the engine
//! calls one, the server writes a `HostCall` and blocks until the matching `HostResult` arrives.
//!
//! Invariants: the transport is locked only while one frame is read or written, never while the
//! engine runs, so a host call made from inside `invoke` can use it; a request that decodes but
//! breaks the protocol is answered with an `Error` (the connection stays usable); only end of
//! input (a clean exit), a broken stream or an injected [`Fault`] ends [`serve`].

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use baton_checkpoint::DecodeLimits;
use baton_engine::{Engine, EngineConfig, EngineError, HostFunc, InstanceId, ModuleId};
use thiserror::Error;

use crate::convert::{self as cv, Converted};
use crate::frame::{self, FrameError};
use crate::handshake::AdapterInfo;
use crate::pb::{self, request::Kind as Req, response::Kind as Resp};

/// Creates an engine session for a `NewSession` request.
pub type Factory<'a> = &'a dyn Fn(&EngineConfig) -> Box<dyn Engine>;

/// A misbehaviour the server can be told to show, to test how clients cope (`baton serve
/// --fault`). Each fires once `after` requests have been answered normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Stop serving: [`serve`] returns [`ServeError::InjectedCrash`] (the process exits).
    Crash {
        /// Requests answered first.
        after: u64,
    },
    /// Never answer (sleep forever).
    Hang {
        /// Requests answered first.
        after: u64,
    },
    /// Answer with a frame whose bytes are not a `FromAdapter` message.
    Garbage {
        /// Requests answered first.
        after: u64,
    },
    /// Answer with the wrong response kind (`Done` to everything).
    Violation {
        /// Requests answered first.
        after: u64,
    },
}

impl Fault {
    /// Parses `crash@N`, `hang@N`, `garbage@N` or `violation@N`.
    pub fn parse(text: &str) -> Option<Fault> {
        let (kind, after) = text.split_once('@')?;
        let after = after.parse().ok()?;
        Some(match kind {
            "crash" => Fault::Crash { after },
            "hang" => Fault::Hang { after },
            "garbage" => Fault::Garbage { after },
            "violation" => Fault::Violation { after },
            _ => return None,
        })
    }

    fn after(self) -> u64 {
        match self {
            Fault::Crash { after }
            | Fault::Hang { after }
            | Fault::Garbage { after }
            | Fault::Violation { after } => after,
        }
    }
}

/// Why [`serve`] stopped other than at a clean end of input.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The input was cut, oversized or unreadable, or the output could not be written.
    #[error("transport: {0}")]
    Transport(#[from] FrameError),
    /// The client sent a request while a host call was outstanding.
    #[error("protocol violation by the client: {0}")]
    ClientViolation(String),
    /// A [`Fault::Crash`] fired.
    #[error("injected crash after {0} requests")]
    InjectedCrash(u64),
}

/// The two ends of the connection, shared by the request loop and the host-function proxies.
struct Transport {
    reader: Box<dyn Read + Send>,
    writer: Box<dyn Write + Send>,
    /// Set when a host call saw something other than a `HostResult`.
    broken: Option<String>,
}

type Shared = Arc<Mutex<Transport>>;

fn lock(transport: &Shared) -> MutexGuard<'_, Transport> {
    transport.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves `factory`'s engines until the input ends (then `Ok`). `info` is the handshake's
/// content; `fault`, if any, is injected once.
pub fn serve(
    factory: Factory<'_>,
    info: &AdapterInfo,
    reader: impl Read + Send + 'static,
    writer: impl Write + Send + 'static,
    fault: Option<Fault>,
) -> Result<(), ServeError> {
    let transport: Shared = Arc::new(Mutex::new(Transport {
        reader: Box::new(reader),
        writer: Box::new(writer),
        broken: None,
    }));
    let mut session: Option<Box<dyn Engine>> = None;
    let mut answered = 0u64;
    loop {
        let bytes = match frame::read_frame(&mut lock(&transport).reader) {
            Ok(bytes) => bytes,
            Err(FrameError::Eof) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        if let Some(fault) = fault.filter(|fault| fault.after() == answered) {
            inject(fault, &transport, answered)?;
            answered += 1;
            continue;
        }
        let response = match <pb::ToAdapter as prost::Message>::decode(bytes.as_slice()) {
            Err(error) => error_response(format!("undecodable ToAdapter message: {error}")),
            Ok(pb::ToAdapter { message: None }) => error_response("empty ToAdapter message".into()),
            Ok(pb::ToAdapter {
                message: Some(pb::to_adapter::Message::HostResult(_)),
            }) => error_response("HostResult while no host call is outstanding".into()),
            Ok(pb::ToAdapter {
                message: Some(pb::to_adapter::Message::Request(request)),
            }) => handle(factory, info, &transport, &mut session, request),
        };
        if let Some(violation) = lock(&transport).broken.take() {
            return Err(ServeError::ClientViolation(violation));
        }
        write(&transport, pb::from_adapter::Message::Response(response))?;
        answered += 1;
    }
}

fn inject(fault: Fault, transport: &Shared, answered: u64) -> Result<(), ServeError> {
    match fault {
        Fault::Crash { .. } => Err(ServeError::InjectedCrash(answered)),
        Fault::Hang { .. } => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        Fault::Garbage { .. } => {
            let mut transport = lock(transport);
            let garbage = [5u8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff];
            transport
                .writer
                .write_all(&garbage)
                .and_then(|()| transport.writer.flush())
                .map_err(|error| ServeError::Transport(error.into()))
        }
        Fault::Violation { .. } => write(
            transport,
            pb::from_adapter::Message::Response(pb::Response {
                kind: Some(Resp::Done(pb::Done {})),
            }),
        ),
    }
}

fn write(transport: &Shared, message: pb::from_adapter::Message) -> Result<(), ServeError> {
    let message = pb::FromAdapter {
        message: Some(message),
    };
    frame::write_message(&mut lock(transport).writer, &message)
        .map_err(|error| ServeError::Transport(error.into()))
}

fn error_response(message: String) -> pb::Response {
    response(Resp::Error(cv::error_to_pb(&EngineError::Other(message))))
}

fn response(kind: Resp) -> pb::Response {
    pb::Response { kind: Some(kind) }
}

/// What handling a request can fail with: the engine's error, or a request that breaks the
/// protocol.
enum Failed {
    Engine(EngineError),
    Request(String),
}

impl From<EngineError> for Failed {
    fn from(error: EngineError) -> Self {
        Failed::Engine(error)
    }
}

impl From<cv::Violation> for Failed {
    fn from(violation: cv::Violation) -> Self {
        Failed::Request(violation.0)
    }
}

fn handle(
    factory: Factory<'_>,
    info: &AdapterInfo,
    transport: &Shared,
    session: &mut Option<Box<dyn Engine>>,
    request: pb::Request,
) -> pb::Response {
    let result = match request.kind {
        None => Err(Failed::Request("Request.kind is missing".into())),
        Some(Req::Hello(_)) => Ok(Resp::Hello(info.to_pb())),
        Some(Req::NewSession(new)) => {
            *session = None; // drop the old store before building the new one
            let max_frames = if new.max_frames == 0 {
                EngineConfig::default().max_frames
            } else {
                new.max_frames
            };
            *session = Some(factory(&EngineConfig { max_frames }));
            Ok(Resp::Done(pb::Done {}))
        }
        Some(kind) => match session.as_deref_mut() {
            None => Err(Failed::Engine(EngineError::State(
                "no session: send NewSession first".into(),
            ))),
            Some(engine) => operate(engine, transport, kind),
        },
    };
    response(match result {
        Ok(kind) => kind,
        Err(Failed::Engine(error)) => Resp::Error(cv::error_to_pb(&error)),
        Err(Failed::Request(message)) => Resp::Error(cv::error_to_pb(&EngineError::Other(
            format!("protocol violation in the request: {message}"),
        ))),
    })
}

fn operate(engine: &mut dyn Engine, transport: &Shared, kind: Req) -> Result<Resp, Failed> {
    Ok(match kind {
        Req::Hello(_) | Req::NewSession(_) => unreachable_request()?,
        Req::Compile(compile) => Resp::Module(pb::ModuleCompiled {
            module: engine.compile(&compile.wasm)?.0,
        }),
        Req::Instantiate(request) => {
            let imports = cv::handles_from_pb(&request.imports)?;
            let instance = engine.instantiate(ModuleId(request.module), &imports)?;
            Resp::Instance(pb::InstanceCreated {
                instance: instance.0,
            })
        }
        Req::HostFunc(request) => {
            let ty = cv::functype_from_pb(cv::required(request.r#type.as_ref(), "HostFunc.type")?)?;
            let id = Arc::new(OnceLock::new());
            let handle = engine.host_func(&ty, proxy(transport.clone(), id.clone()))?;
            let _ = id.set(handle.id);
            Resp::Handle(cv::handle_to_pb(handle))
        }
        Req::HostGlobal(request) => {
            let ty =
                cv::globaltype_from_pb(cv::required(request.r#type.as_ref(), "HostGlobal.type")?)?;
            let init = cv::value_from_pb(cv::required(request.init.as_ref(), "HostGlobal.init")?)?;
            Resp::Handle(cv::handle_to_pb(engine.host_global(ty, init)?))
        }
        Req::HostTable(request) => {
            let ty =
                cv::tabletype_from_pb(cv::required(request.r#type.as_ref(), "HostTable.type")?)?;
            Resp::Handle(cv::handle_to_pb(engine.host_table(ty)?))
        }
        Req::HostMemory(request) => {
            let ty =
                cv::memorytype_from_pb(cv::required(request.r#type.as_ref(), "HostMemory.type")?);
            Resp::Handle(cv::handle_to_pb(engine.host_memory(ty)?))
        }
        Req::Exports(request) => Resp::Exports(pb::ExportList {
            exports: engine
                .exports(InstanceId(request.instance))?
                .into_iter()
                .map(|(name, handle)| pb::Export {
                    name,
                    handle: Some(cv::handle_to_pb(handle)),
                })
                .collect(),
        }),
        Req::GlobalValue(request) => {
            let global = handle_field(request.global.as_ref(), "GlobalValue.global")?;
            Resp::Value(cv::value_to_pb(&engine.global_value(global)?))
        }
        Req::MemoryData(request) => {
            let memory = handle_field(request.memory.as_ref(), "MemoryData.memory")?;
            Resp::Memory(pb::MemoryBytes {
                data: engine.memory_data(memory)?,
            })
        }
        Req::TableElements(request) => {
            let table = handle_field(request.table.as_ref(), "TableElements.table")?;
            Resp::Elements(pb::ValueList {
                values: cv::values_to_pb(&engine.table_elements(table)?),
            })
        }
        Req::Invoke(request) => {
            let args = cv::values_from_pb(&request.args)?;
            let options = cv::options_from_pb(request.stop.as_ref(), request.fuel)?;
            let instance = InstanceId(request.instance);
            let report = engine.invoke(instance, &request.export, &args, options)?;
            Resp::Report(cv::report_to_pb(&report))
        }
        Req::Resume(request) => {
            let options = cv::options_from_pb(request.stop.as_ref(), request.fuel)?;
            let report = engine.resume(InstanceId(request.instance), options)?;
            Resp::Report(cv::report_to_pb(&report))
        }
        Req::TakeImage(request) => {
            let image = engine.take_image(InstanceId(request.instance))?;
            Resp::Image(pb::ImageBytes {
                image: baton_checkpoint::encode(&image),
            })
        }
        Req::Restore(request) => {
            let imports = cv::handles_from_pb(&request.imports)?;
            let image = baton_checkpoint::decode(&request.image, &DecodeLimits::default())
                .map_err(|error| EngineError::Restore(format!("image does not decode: {error}")))?;
            let instance = engine.restore(ModuleId(request.module), &imports, &image)?;
            Resp::Instance(pb::InstanceCreated {
                instance: instance.0,
            })
        }
    })
}

fn unreachable_request() -> Result<Resp, Failed> {
    Err(Failed::Request("handled before the session".into()))
}

fn handle_field(field: Option<&pb::Handle>, name: &str) -> Converted<baton_engine::ExternHandle> {
    cv::handle_from_pb(cv::required(field, name)?)
}

/// A host function that forwards its calls to the client: writes a `HostCall` naming `id` and
/// waits for the `HostResult`. Transport failures become host traps (and mark the transport
/// broken, so the request loop stops after the engine returns).
fn proxy(transport: Shared, id: Arc<OnceLock<u32>>) -> HostFunc {
    Arc::new(move |args| {
        let func = *id
            .get()
            .ok_or("host function called before it was created")?;
        let mut guard = lock(&transport);
        let call = pb::FromAdapter {
            message: Some(pb::from_adapter::Message::HostCall(pb::HostCall {
                func,
                args: cv::values_to_pb(args),
            })),
        };
        let outcome = frame::write_message(&mut guard.writer, &call)
            .map_err(|error| format!("host call: writing: {error}"))
            .and_then(|()| {
                frame::read_message::<pb::ToAdapter>(&mut guard.reader)
                    .map_err(|error| format!("host call: reading the result: {error}"))
            })
            .and_then(|message| host_result(message).map_err(|v| v.0));
        match outcome {
            Ok(result) => result,
            Err(message) => {
                guard.broken = Some(message.clone());
                Err(message)
            }
        }
    })
}

/// The results (or trap) in a `HostResult`; anything else is a violation by the client.
fn host_result(message: pb::ToAdapter) -> Converted<Result<Vec<baton_engine::Value>, String>> {
    use pb::host_result::Outcome;
    let Some(pb::to_adapter::Message::HostResult(result)) = message.message else {
        return Err(cv::Violation(
            "expected a HostResult while a host call is outstanding".into(),
        ));
    };
    Ok(match cv::required(result.outcome, "HostResult.outcome")? {
        Outcome::Results(list) => Ok(cv::values_from_pb(&list.values)?),
        Outcome::Trap(message) => Err(message),
    })
}
