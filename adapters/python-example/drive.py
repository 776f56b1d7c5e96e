#!/usr/bin/env python3
"""Speaks baton's adapter protocol (docs/adapter-protocol.md) from Python, standard library only.

It plays the harness's side against any adapter command line given as arguments, e.g.

    python3 adapters/python-example/drive.py target/release/baton serve --engine stack

and checks, message by message: the handshake; a module whose loop calls a host function
(answered here, in Python); an uninterrupted run; a run stopped at a `loop` safe point, its
image taken, restored into a fresh instance and resumed to the same result (host calls
continuing); a host trap; and a typed error. It prints one line per check and exits 0 only
when all pass. Protobuf is encoded and decoded by hand (a few dozen lines below), which is
the point: nothing about the protocol needs Rust or a protobuf code generator.
"""

import struct
import subprocess
import sys

# (module (import "env" "twice" (func $twice (param i32) (result i32)))
#   (func (export "f") (param $n i32) (result i32) (local $acc i32)
#     (block $done (loop $l
#       (br_if $done (i32.eqz (local.get $n)))
#       (local.set $acc (i32.add (local.get $acc) (call $twice (local.get $n))))
#       (local.set $n (i32.sub (local.get $n) (i32.const 1)))
#       (br $l)))
#     (local.get $acc)))
WASM = bytes.fromhex(
    "0061736d0100000001060160017f017f020d0103656e76057477696365000003020100070501016600010a"
    "25012301017f024003402000450d012001200010006a2101200041016b21000c000b0b20010b"
)

# --- a tiny protobuf encoder/decoder ----------------------------------------------------------


def varint(n):
    n &= (1 << 64) - 1  # negative int32/int64 are sent as 10-byte two's complement
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3 | 0) + varint(value)


def field_bytes(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def read_varint(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def decode(data):
    """A message as {field number: [values]}: ints for varint/fixed fields, bytes otherwise."""
    fields, pos = {}, 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 1:
            value, pos = struct.unpack_from("<Q", data, pos)[0], pos + 8
        elif wire == 2:
            length, pos = read_varint(data, pos)
            value, pos = bytes(data[pos : pos + length]), pos + length
        elif wire == 5:
            value, pos = struct.unpack_from("<I", data, pos)[0], pos + 4
        else:
            raise ValueError(f"wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def one(fields, number, default=None):
    return fields.get(number, [default])[-1]


# --- the protocol's messages (field numbers from protocol/proto/adapter.proto) -----------------

# Request oneof members
HELLO, NEW_SESSION, COMPILE, INSTANTIATE, HOST_FUNC = 1, 2, 3, 4, 5
INVOKE, RESUME, TAKE_IMAGE, RESTORE = 13, 14, 15, 16
# Response oneof members
R_ERROR, R_HELLO, R_DONE, R_MODULE, R_INSTANCE, R_HANDLE, R_REPORT, R_IMAGE = 1, 2, 3, 4, 5, 6, 11, 12
VAL_I32 = 1  # ValType.VAL_TYPE_I32
KIND_LOOP = 2  # baton.v1.SafePointKind.SAFE_POINT_KIND_LOOP
TRAP_CODE_HOST = 11


def i32(value):
    return field_varint(1, value & 0xFFFFFFFF)  # Value.i32 holds the bits as uint32


def i32_of(value_bytes):
    bits = one(decode(value_bytes), 1, 0)
    return bits - (1 << 32) if bits >= 1 << 31 else bits


class Adapter:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.host_calls = 0

    def send(self, to_adapter):
        self.proc.stdin.write(struct.pack("<I", len(to_adapter)) + to_adapter)
        self.proc.stdin.flush()

    def receive(self):
        header = self.proc.stdout.read(4)
        if len(header) < 4:
            raise EOFError("adapter closed its output")
        (length,) = struct.unpack("<I", header)
        return decode(self.proc.stdout.read(length))

    def request(self, kind, body, host=None):
        """Sends Request{kind: body}, answers HostCalls with `host`, returns (kind, body)."""
        self.send(field_bytes(1, field_bytes(kind, body)))  # ToAdapter.request
        while True:
            message = self.receive()
            if 2 in message:  # FromAdapter.host_call
                call = decode(one(message, 2))
                args = [i32_of(v) for v in call.get(2, [])]
                self.host_calls += 1
                outcome = host(one(call, 1, 0), args)
                if isinstance(outcome, str):
                    result = field_bytes(2, outcome.encode())  # HostResult.trap
                else:
                    values = b"".join(field_bytes(1, i32(v)) for v in outcome)
                    result = field_bytes(1, values)  # HostResult.results
                self.send(field_bytes(2, result))  # ToAdapter.host_result
                continue
            response = decode(one(message, 1))
            ((kind_number, values),) = response.items()
            return kind_number, values[-1]


FAILURES = []


def check(name, condition, detail=""):
    print(f"{'ok  ' if condition else 'FAIL'} {name}{': ' + str(detail) if detail else ''}")
    if not condition:
        FAILURES.append(name)


def report(kind, body):
    """A RunReport as ('returned', [ints]) / ('suspended', kind, event) / ('trapped', code, msg);
    any other answer as ('answer', kind, fields)."""
    if kind != R_REPORT:
        return ("answer", kind, decode(body))
    fields = decode(body)
    if 1 in fields:
        return ("returned", [i32_of(v) for v in decode(one(fields, 1)).get(1, [])])
    if 2 in fields:
        trap = decode(one(fields, 2))
        return ("trapped", one(trap, 1, 0), one(trap, 2, b"").decode())
    if 4 in fields:
        suspended = decode(one(fields, 4))
        return ("suspended", one(suspended, 1, 0), one(suspended, 2, 0))
    return ("out_of_fuel",)


def main(argv):
    adapter = Adapter(argv)
    kind, body = adapter.request(HELLO, field_varint(1, 1))
    hello = decode(body)
    check("handshake", kind == R_HELLO and one(hello, 1) == 1, one(hello, 2, b"").decode())

    kind, _ = adapter.request(NEW_SESSION, b"")
    check("new session", kind == R_DONE)
    kind, body = adapter.request(COMPILE, field_bytes(1, WASM))
    module = one(decode(body), 1, 0)
    check("compile", kind == R_MODULE)

    # HostFunc{type: FuncType{params: [I32], results: [I32]}} (packed repeated enums)
    functype = field_bytes(1, varint(VAL_I32)) + field_bytes(2, varint(VAL_I32))
    kind, handle = adapter.request(HOST_FUNC, field_bytes(1, functype))
    twice_id = one(decode(handle), 2, 0)
    check("host function", kind == R_HANDLE)

    def instantiate():
        kind, body = adapter.request(INSTANTIATE, field_varint(1, module) + field_bytes(2, handle))
        return kind, one(decode(body), 1, 0)

    def twice(func, args):
        assert func == twice_id, func
        return [2 * args[0]]

    kind, instance = instantiate()
    check("instantiate", kind == R_INSTANCE)

    invoke = lambda inst, extra=b"": field_varint(1, inst) + field_bytes(2, b"f") + field_bytes(3, i32(4)) + extra
    kind, body = adapter.request(INVOKE, invoke(instance), host=twice)
    check("uninterrupted run with host calls", report(kind, body) == ("returned", [20]), report(kind, body))
    check("host calls answered in Python", adapter.host_calls == 4, adapter.host_calls)

    # Stop at the first `loop` event numbered >= 3: StopRequest{kinds: [LOOP], at: 3}
    stop = field_bytes(1, varint(KIND_LOOP)) + field_varint(2, 3)
    kind, body = adapter.request(INVOKE, invoke(instance, field_bytes(4, stop)), host=twice)
    stopped = report(kind, body)
    check("stop at a loop safe point", stopped[:2] == ("suspended", KIND_LOOP) and stopped[2] >= 3, stopped)

    kind, body = adapter.request(TAKE_IMAGE, field_varint(1, instance))
    image = one(decode(body), 1, b"")
    check("take image (canonical file format)", kind == R_IMAGE and image[:8] == b"BATONIMG", image[:8])

    restore = field_varint(1, module) + field_bytes(2, handle) + field_bytes(3, image)
    kind, body = adapter.request(RESTORE, restore)
    restored = one(decode(body), 1, 0)
    check("restore into a fresh instance", kind == R_INSTANCE and restored != instance)
    kind, body = adapter.request(RESUME, field_varint(1, restored), host=twice)
    check("resume the restored run", report(kind, body) == ("returned", [20]), report(kind, body))

    # The original instance is still suspended: a new invocation is a typed state error.
    kind, body = adapter.request(INVOKE, invoke(instance), host=twice)
    check("invoke while suspended is a state error", kind == R_ERROR and 10 in decode(body), decode(body))

    kind, body = adapter.request(INVOKE, invoke(restored), host=lambda f, a: "host says no")
    trapped = report(kind, body)
    check("host trap", trapped == ("trapped", TRAP_CODE_HOST, "host says no"), trapped)

    kind, body = adapter.request(RESUME, field_varint(1, 999))
    error_kinds = decode(body)
    check("typed error for a bad instance", kind == R_ERROR and error_kinds, error_kinds)

    adapter.proc.stdin.close()
    status = adapter.proc.wait(timeout=10)
    check("adapter exits cleanly at end of input", status == 0, status)
    print(f"{'FAILED' if FAILURES else 'PASSED'}: {len(FAILURES)} failed checks")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
