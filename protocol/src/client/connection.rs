//! One running adapter process: spawning it, the handshake, and the request/host-call loop with
//! its per-message timeout.
//!
//! Two threads per process feed the caller: one reads frames from the child's stdout into a
//! channel (so a read can time out), one keeps the last [`TAIL_BYTES`] of its stderr.
//!
//! Invariants: every failure of the process or the peer comes back as
//! [`EngineError::Adapter`] (never a panic) and kills the child, so a connection that failed is
//! never used again; `busy` is true from the moment a request is written until its response is
//! read, so a connection abandoned mid-request (e.g. by a panicking host function) is never
//! reused; dropping a connection kills and reaps the child.

use std::collections::VecDeque;
use std::io::Read;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use baton_engine::{AdapterFault, EngineError, Value};
use prost::Message;

use super::AdapterCommand;
use crate::convert::{self as cv, Violation};
use crate::frame::{self, FrameError};
use crate::handshake::AdapterInfo;
use crate::pb::{self, from_adapter, request, response, to_adapter};

/// How much of the adapter's stderr is kept for error messages.
pub const TAIL_BYTES: usize = 4096;

/// How long to wait for a dying adapter's exit status and last stderr lines.
const GRACE: Duration = Duration::from_millis(500);

/// Runs a host function for a `HostCall`: `(function id, arguments)` → results or trap message;
/// `None` when the id names no host function of the session.
pub(crate) type HostDispatch<'a> = &'a dyn Fn(u32, &[Value]) -> Option<Result<Vec<Value>, String>>;

/// A running adapter that completed the handshake.
pub(crate) struct Connection {
    child: Child,
    stdin: ChildStdin,
    frames: Receiver<Result<Vec<u8>, FrameError>>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    stderr_done: Receiver<()>,
    timeout: Duration,
    busy: bool,
    /// What the adapter said in the handshake.
    pub(crate) info: AdapterInfo,
}

impl Connection {
    /// Starts the adapter and performs the handshake.
    pub(crate) fn spawn(command: &AdapterCommand) -> Result<Connection, EngineError> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| EngineError::Adapter {
                fault: AdapterFault::Spawn,
                what: format!("starting {}: {error}", command.display()),
                stderr: String::new(),
            })?;
        let (Some(stdin), Some(mut stdout), Some(mut stderr_pipe)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(EngineError::Adapter {
                fault: AdapterFault::Spawn,
                what: format!("starting {}: pipes missing", command.display()),
                stderr: String::new(),
            });
        };
        let (frame_tx, frames) = mpsc::channel();
        std::thread::spawn(move || loop {
            let frame = frame::read_frame(&mut stdout);
            let end = frame.is_err();
            if frame_tx.send(frame).is_err() || end {
                break;
            }
        });
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let (done_tx, stderr_done) = mpsc::channel::<()>();
        let tail = stderr.clone();
        std::thread::spawn(move || {
            let _done = done_tx; // dropped at the end: signals that stderr is closed
            let mut buffer = [0u8; 1024];
            while let Ok(n @ 1..) = stderr_pipe.read(&mut buffer) {
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                tail.extend(&buffer[..n]);
                let excess = tail.len().saturating_sub(TAIL_BYTES);
                tail.drain(..excess);
            }
        });
        let mut connection = Connection {
            child,
            stdin,
            frames,
            stderr,
            stderr_done,
            timeout: command.timeout,
            busy: false,
            info: placeholder(),
        };
        let hello = request::Kind::Hello(pb::Hello {
            protocol_version: crate::PROTOCOL_VERSION as i32,
        });
        let reply = match connection.call(hello, "hello", &|_, _| None)? {
            response::Kind::Hello(reply) => reply,
            other => return Err(connection.violation("hello", &unexpected(&other))),
        };
        connection.info = AdapterInfo::from_pb(&reply)
            .map_err(|violation| connection.violation("hello", &violation.0))?;
        Ok(connection)
    }

    /// Whether a request is in flight (the connection must not be reused).
    pub(crate) fn busy(&self) -> bool {
        self.busy
    }

    /// Sends one request and returns its response, running the host calls the adapter makes on
    /// the way with `host`. An `Error` response is returned as `Err(EngineError)` of the
    /// engine's kind; adapter failures as [`EngineError::Adapter`] (after which the connection
    /// must be dropped).
    pub(crate) fn call(
        &mut self,
        kind: request::Kind,
        what: &str,
        host: HostDispatch<'_>,
    ) -> Result<response::Kind, EngineError> {
        self.busy = true;
        self.send(
            to_adapter::Message::Request(pb::Request { kind: Some(kind) }),
            what,
        )?;
        loop {
            let bytes = self.receive(what)?;
            let message = match pb::FromAdapter::decode(bytes.as_slice()) {
                Ok(message) => message.message,
                Err(error) => {
                    return Err(self.fail(
                        AdapterFault::Malformed,
                        format!("answer to {what} is not a FromAdapter message: {error}"),
                    ))
                }
            };
            match message {
                Some(from_adapter::Message::Response(pb::Response { kind: Some(kind) })) => {
                    self.busy = false;
                    return match kind {
                        response::Kind::Error(error) => {
                            let error = cv::error_from_pb(&error, &self.info.engine_name)
                                .map_err(|violation| self.violation(what, &violation.0))?;
                            Err(error)
                        }
                        kind => Ok(kind),
                    };
                }
                Some(from_adapter::Message::HostCall(call)) => {
                    let result = self
                        .host_call(&call, host)
                        .map_err(|v| self.violation(what, &v.0))?;
                    self.send(to_adapter::Message::HostResult(result), what)?;
                }
                Some(from_adapter::Message::Response(pb::Response { kind: None })) | None => {
                    return Err(self.violation(what, "empty message"))
                }
            }
        }
    }

    fn host_call(
        &self,
        call: &pb::HostCall,
        host: HostDispatch<'_>,
    ) -> Result<pb::HostResult, Violation> {
        use pb::host_result::Outcome;
        let args = cv::values_from_pb(&call.args)?;
        let outcome = match host(call.func, &args) {
            None => {
                return Err(Violation(format!(
                    "HostCall names function {}, which is not a host function of this session",
                    call.func
                )))
            }
            Some(Ok(results)) => Outcome::Results(pb::ValueList {
                values: cv::values_to_pb(&results),
            }),
            Some(Err(trap)) => Outcome::Trap(trap),
        };
        Ok(pb::HostResult {
            outcome: Some(outcome),
        })
    }

    fn send(&mut self, message: to_adapter::Message, what: &str) -> Result<(), EngineError> {
        let message = pb::ToAdapter {
            message: Some(message),
        };
        frame::write_message(&mut self.stdin, &message).map_err(|error| {
            self.fail(
                AdapterFault::Crash,
                format!("writing {what} to the adapter: {error}"),
            )
        })
    }

    fn receive(&mut self, what: &str) -> Result<Vec<u8>, EngineError> {
        match self.frames.recv_timeout(self.timeout) {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(FrameError::Eof)) | Err(RecvTimeoutError::Disconnected) => Err(self.fail(
                AdapterFault::Crash,
                format!("the adapter closed its output during {what}"),
            )),
            Ok(Err(FrameError::Io(error))) => Err(self.fail(
                AdapterFault::Crash,
                format!("reading the answer to {what}: {error}"),
            )),
            Ok(Err(error)) => Err(self.fail(
                AdapterFault::Malformed,
                format!("answer to {what}: {error}"),
            )),
            Err(RecvTimeoutError::Timeout) => Err(self.fail(
                AdapterFault::Timeout,
                format!("no answer to {what} within {:?}", self.timeout),
            )),
        }
    }

    /// A protocol violation during `what`.
    pub(crate) fn violation(&mut self, what: &str, detail: &str) -> EngineError {
        self.fail(AdapterFault::Violation, format!("during {what}: {detail}"))
    }

    /// Kills the adapter (if still running) and builds the error, with its exit status and
    /// stderr tail.
    pub(crate) fn fail(&mut self, fault: AdapterFault, what: String) -> EngineError {
        self.busy = true;
        let deadline = Instant::now() + GRACE;
        let mut status = None;
        if fault == AdapterFault::Crash {
            while Instant::now() < deadline {
                if let Ok(Some(exit)) = self.child.try_wait() {
                    status = Some(exit);
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let _ = self.child.kill();
        let exit = self.child.wait().ok();
        let _ = self
            .stderr_done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()));
        let what = match status {
            Some(status) => format!("{what} ({status})"),
            None if fault == AdapterFault::Crash => {
                format!("{what} (still running; killed: {exit:?})")
            }
            None => what,
        };
        EngineError::Adapter {
            fault,
            what,
            stderr: self.stderr_tail(),
        }
    }

    /// The adapter's recent stderr, lossily decoded.
    pub(crate) fn stderr_tail(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes: Vec<u8> = tail.iter().copied().collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Describes an answer of the wrong kind.
pub(crate) fn unexpected(kind: &response::Kind) -> String {
    let name = match kind {
        response::Kind::Error(_) => "Error",
        response::Kind::Hello(_) => "HelloReply",
        response::Kind::Done(_) => "Done",
        response::Kind::Module(_) => "ModuleCompiled",
        response::Kind::Instance(_) => "InstanceCreated",
        response::Kind::Handle(_) => "Handle",
        response::Kind::Exports(_) => "ExportList",
        response::Kind::Value(_) => "Value",
        response::Kind::Memory(_) => "MemoryBytes",
        response::Kind::Elements(_) => "ValueList",
        response::Kind::Report(_) => "RunReport",
        response::Kind::Image(_) => "ImageBytes",
    };
    format!("unexpected answer kind {name}")
}

fn placeholder() -> AdapterInfo {
    AdapterInfo {
        engine_name: String::new(),
        engine_version: String::new(),
        operations: Vec::new(),
        safe_point_kinds: baton_engine::KindSet::EMPTY,
        wasm_features: Vec::new(),
        trap_aliases: Vec::new(),
        limitations: Vec::new(),
        funcref_ids_are_handles: false,
        locates_stops: false,
    }
}
