"""The request loop: reads `ToAdapter` frames, answers each `Request` with one `Response`,
sending `HostCall`s (and reading their `HostResult`s) while Wasm code runs.

Invariant: nothing a harness sends makes the adapter crash: a request that fails or breaks a
rule is answered with `Error`; only end of input (exit 0) or broken framing (exit 1) ends it.
"""

import sys
import traceback

import adapter_pb2 as pb
import wasm3
from google.protobuf.message import DecodeError

from . import bigstack, framing, values
from .session import Failure, HostTrap, Session

ENGINE_NAME = "wasm3"
# Features pywasm3's Wasm3 0.5.0 runs (the spec suite's proposals it passes); not listed:
# reference-types (no table instructions, no ref values through pywasm3), bulk-memory's table
# operations, SIMD.
WASM_FEATURES = ["mutable-global", "saturating-float-to-int", "sign-extension", "multi-value"]
# What Wasm3 (or pywasm3's API to it) cannot do although the features above would say so
# (protocol revision 1.1, docs/adapter-protocol.md "Declared limitations"); the spec runner
# skips, with these reasons, exactly the directives each one excuses.
LIMITATIONS = [
    (pb.LIMITATION_KIND_NO_VALIDATION,
     "Wasm3 compiles function bodies lazily and does not validate modules, so it accepts many "
     "invalid and malformed ones"),
    (pb.LIMITATION_KIND_FUNCTION_IMPORTS_ONLY,
     "pywasm3 links host functions only (no imported tables, memories or globals)"),
    (pb.LIMITATION_KIND_QUIETS_SIGNALLING_NANS,
     "pywasm3 passes f32/f64 arguments and results as Python floats (C doubles): converting "
     "a signalling NaN quiets it"),
]
OPERATIONS = [
    pb.OPERATION_COMPILE,
    pb.OPERATION_INSTANTIATE,
    pb.OPERATION_HOST_OBJECTS,
    pb.OPERATION_INSPECT,
    pb.OPERATION_INVOKE,
]


class ProtocolError(Exception):
    """The harness broke the conversation (fatal)."""


class Server:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.session = None
        self.greeted = False

    def send(self, message):
        framing.write_frame(self.writer, message.SerializeToString())

    def receive(self):
        body = framing.read_frame(self.reader)
        if body is None:
            return None
        message = pb.ToAdapter()
        try:
            message.ParseFromString(body)
        except DecodeError as error:
            raise ProtocolError(f"undecodable message: {error}") from error
        return message

    def host_call(self, func_id, args):
        """Sends a `HostCall` and returns the results (a list of `Value`) or a `HostTrap`."""
        call = pb.FromAdapter()
        call.host_call.func = func_id
        session = self.session
        for number, valtype in zip(args, _param_types(session, func_id)):
            values.from_python(call.host_call.args.add(), number, valtype)
        self.send(call)
        answer = self.receive()
        if answer is None:
            raise ProtocolError("input ended while waiting for a HostResult")
        if answer.WhichOneof("message") != "host_result":
            raise ProtocolError("expected a HostResult")
        result = answer.host_result
        if result.WhichOneof("outcome") == "trap":
            return HostTrap(result.trap)
        if result.WhichOneof("outcome") != "results":
            return HostTrap("HostResult.outcome is missing")
        return list(result.results.values)

    def run(self):
        while True:
            message = self.receive()
            if message is None:
                return 0
            if message.WhichOneof("message") != "request":
                raise ProtocolError("expected a Request")
            response = pb.FromAdapter()
            try:
                self.handle(message.request, response.response)
            except Failure as failure:
                response.response.Clear()
                _set_error(response.response.error, failure)
            except ProtocolError:
                raise
            except Exception as error:  # noqa: BLE001 - any engine failure is answered, never fatal
                traceback.print_exc(file=sys.stderr)
                response.response.Clear()
                response.response.error.other = f"wasm3 adapter: {type(error).__name__}: {error}"
            self.send(response)

    def handle(self, request, response):
        kind = request.WhichOneof("kind")
        if kind == "hello":
            return self.hello(request.hello, response)
        if not self.greeted:
            raise Failure("state", "the first request must be Hello")
        if kind == "new_session":
            self.session = Session(self.host_call)
            response.done.SetInParent()
            return None
        if self.session is None:
            raise Failure("state", "no session: send NewSession first")
        session = self.session
        if kind == "compile":
            response.module.module = session.compile(request.compile.wasm)
        elif kind == "instantiate":
            r = request.instantiate
            response.instance.instance = session.instantiate(r.module, list(r.imports))
        elif kind == "host_func":
            response.handle.CopyFrom(session.host_func(request.host_func.type))
        elif kind in ("host_global", "host_table", "host_memory"):
            response.handle.CopyFrom(session.host_object(kind.removeprefix("host_"), getattr(request, kind)))
        elif kind == "exports":
            response.exports.SetInParent()
            for name, (handle_kind, handle_id) in session.exports(request.exports.instance):
                export = response.exports.exports.add(name=name)
                export.handle.kind = handle_kind
                export.handle.id = handle_id
        elif kind == "global_value":
            response.value.CopyFrom(session.global_value(request.global_value.__getattribute__("global")))
        elif kind == "memory_data":
            response.memory.data = session.memory_data(request.memory_data.memory)
        elif kind == "table_elements":
            session.table_elements(request.table_elements.table)
        elif kind == "invoke":
            response.report.SetInParent()
            session.invoke(request.invoke, response.report)
        elif kind in ("resume", "take_image", "restore"):
            raise Failure("unsupported", f"{kind} (Wasm3 cannot checkpoint)")
        else:
            raise Failure("other", f"unknown request kind {kind!r}")
        return None

    def hello(self, hello, response):
        if hello.protocol_version != pb.PROTOCOL_VERSION_1:
            raise Failure("other", f"unsupported protocol version {hello.protocol_version}")
        self.greeted = True
        reply = response.hello
        reply.protocol_version = pb.PROTOCOL_VERSION_1
        reply.engine_name = ENGINE_NAME
        reply.engine_version = f"{wasm3.M3_VERSION} (pywasm3)"
        reply.capabilities.operations.extend(OPERATIONS)
        reply.capabilities.wasm_features.extend(WASM_FEATURES)
        for kind, reason in LIMITATIONS:
            reply.capabilities.limitations.add(kind=kind, reason=reason)
        # Wasm3 sizes a table by its element segments, not its declared minimum: a call_indirect
        # through a never-initialised slot past the last segment says "undefined element" where
        # the spec says "uninitialized element".
        alias = reply.trap_aliases.add(spec_message="uninitialized element")
        alias.trap.code = pb.TRAP_CODE_UNDEFINED_ELEMENT


def _param_types(session, func_id):
    entity = session.entities.get(func_id)
    return entity[1][0][0] if entity else ()


def _set_error(error, failure):
    if failure.kind in ("instantiation_trap",):
        error.instantiation_trap.CopyFrom(failure.detail)
    elif failure.kind == "no_such_export":
        error.no_such_export.CopyFrom(failure.detail)
    else:
        setattr(error, failure.kind, str(failure.detail))


def serve(reader, writer):
    try:
        return bigstack.run(Server(reader, writer).run)
    except (framing.FramingError, ProtocolError) as error:
        sys.stderr.write(f"wasm3 adapter: protocol broken: {error}\n")
        return 1
    except BrokenPipeError:
        return 0
