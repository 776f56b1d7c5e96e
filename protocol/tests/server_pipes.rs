//! The reference server over in-memory pipes, spoken to message by message: the handshake, a
//! session, an invocation whose host call is answered here, and the typed errors for requests
//! that break the protocol.

use std::io::{pipe, PipeReader, PipeWriter};
use std::thread::JoinHandle;

use baton_engine::{Engine, EngineConfig};
use baton_protocol::frame::{read_message, write_message};
use baton_protocol::handshake::AdapterInfo;
use baton_protocol::pb::{self, request::Kind as Req, response::Kind as Resp};
use baton_protocol::server::{serve, ServeError};

fn stack(config: &EngineConfig) -> Box<dyn Engine> {
    baton_runtime::Session::<baton_stack::Instance>::boxed(config)
}

struct Peer {
    to: PipeWriter,
    from: PipeReader,
    server: JoinHandle<Result<(), ServeError>>,
}

fn start() -> Peer {
    let (server_in, to) = pipe().unwrap();
    let (from, server_out) = pipe().unwrap();
    let info = AdapterInfo::for_engine(&*stack(&EngineConfig::default()), "test", true);
    let server = std::thread::spawn(move || serve(&stack, &info, server_in, server_out, None));
    Peer { to, from, server }
}

impl Peer {
    fn send(&mut self, message: pb::to_adapter::Message) {
        let message = pb::ToAdapter {
            message: Some(message),
        };
        write_message(&mut self.to, &message).unwrap();
    }

    fn request(&mut self, kind: Req) -> pb::from_adapter::Message {
        self.send(pb::to_adapter::Message::Request(pb::Request {
            kind: Some(kind),
        }));
        self.receive()
    }

    fn receive(&mut self) -> pb::from_adapter::Message {
        read_message::<pb::FromAdapter>(&mut self.from)
            .unwrap()
            .message
            .expect("a message")
    }
}

fn answer(message: pb::from_adapter::Message) -> Resp {
    match message {
        pb::from_adapter::Message::Response(pb::Response { kind: Some(kind) }) => kind,
        other => panic!("expected a response, got {other:?}"),
    }
}

const WAT: &str = r#"(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (func (export "f") (param i32) (result i32)
    (i32.add (call $twice (local.get 0)) (i32.const 1))))"#;

#[test]
fn a_host_call_round_trip_through_the_server() {
    let mut peer = start();
    let hello = answer(peer.request(Req::Hello(pb::Hello {
        protocol_version: 1,
    })));
    let Resp::Hello(reply) = hello else {
        panic!("{hello:?}")
    };
    let info = AdapterInfo::from_pb(&reply).unwrap();
    assert_eq!(info.engine_name, "stack");
    assert!(info.checkpoints());

    // Before NewSession, operations are refused with a typed state error.
    let early = answer(peer.request(Req::Compile(pb::Compile { wasm: vec![] })));
    assert!(
        matches!(
            &early,
            Resp::Error(pb::Error {
                kind: Some(pb::error::Kind::State(_))
            })
        ),
        "{early:?}"
    );
    assert!(matches!(
        answer(peer.request(Req::NewSession(pb::NewSession { max_frames: 0 }))),
        Resp::Done(_)
    ));
    let wasm = wat::parse_str(WAT).unwrap();
    let Resp::Module(module) = answer(peer.request(Req::Compile(pb::Compile { wasm }))) else {
        panic!("compile")
    };
    let Resp::Handle(twice) = answer(peer.request(Req::HostFunc(pb::HostFunc {
        r#type: Some(pb::FuncType {
            params: vec![pb::ValType::I32 as i32],
            results: vec![pb::ValType::I32 as i32],
        }),
    }))) else {
        panic!("host_func")
    };
    let Resp::Instance(instance) = answer(peer.request(Req::Instantiate(pb::Instantiate {
        module: module.module,
        imports: vec![twice],
    }))) else {
        panic!("instantiate")
    };
    let invoke = Req::Invoke(pb::Invoke {
        instance: instance.instance,
        export: "f".into(),
        args: vec![pb::Value {
            kind: Some(pb::value::Kind::I32(20)),
        }],
        stop: None,
        fuel: None,
    });
    // The engine calls the import: the server asks us.
    let pb::from_adapter::Message::HostCall(call) = peer.request(invoke) else {
        panic!("expected a host call")
    };
    assert_eq!(call.func, twice.id);
    let Some(pb::value::Kind::I32(x)) = call.args[0].kind else {
        panic!("{call:?}")
    };
    peer.send(pb::to_adapter::Message::HostResult(pb::HostResult {
        outcome: Some(pb::host_result::Outcome::Results(pb::ValueList {
            values: vec![pb::Value {
                kind: Some(pb::value::Kind::I32(x * 2)),
            }],
        })),
    }));
    let Resp::Report(report) = answer(peer.receive()) else {
        panic!("report")
    };
    let Some(pb::run_report::Outcome::Returned(values)) = report.outcome else {
        panic!("{report:?}")
    };
    assert_eq!(values.values[0].kind, Some(pb::value::Kind::I32(41)));

    // A HostResult nobody asked for, and an empty request: typed errors, connection alive.
    peer.send(pb::to_adapter::Message::HostResult(
        pb::HostResult::default(),
    ));
    assert!(matches!(answer(peer.receive()), Resp::Error(_)));
    let empty = peer.request_raw_empty();
    assert!(matches!(answer(empty), Resp::Error(_)));

    // End of input ends the server cleanly.
    drop(peer.to);
    assert!(peer.server.join().unwrap().is_ok());
}

impl Peer {
    fn request_raw_empty(&mut self) -> pb::from_adapter::Message {
        self.send(pb::to_adapter::Message::Request(pb::Request { kind: None }));
        self.receive()
    }
}
