"""Tiny hand-assembled modules for the adapter's tests (no WAT tool needed)."""


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def vec(items):
    return uleb(len(items)) + b"".join(items)


def name(text):
    raw = text.encode()
    return uleb(len(raw)) + raw


def section(section_id, payload):
    return bytes([section_id]) + uleb(len(payload)) + payload


I32, I64, F32, F64 = 0x7F, 0x7E, 0x7D, 0x7C


def module(types, funcs, *, imports=(), memory=None, table=None, elements=(), exports=(), globals_=()):
    """`types`: [(params, results)]; `funcs`: [(type index, locals bytes, body bytes)];
    `imports`: [(module, name, type index)]; `exports`: [(name, kind, index)];
    `globals_`: [(valtype, mutable, init expr bytes)]; `elements`: [(offset, [func indices])]."""
    out = b"\0asm\x01\0\0\0"
    out += section(1, vec([b"\x60" + vec([bytes([p]) for p in ps]) + vec([bytes([r]) for r in rs]) for ps, rs in types]))
    if imports:
        out += section(2, vec([name(m) + name(n) + b"\x00" + uleb(t) for m, n, t in imports]))
    out += section(3, vec([uleb(t) for t, _, _ in funcs]))
    if table is not None:
        out += section(4, vec([b"\x70\x00" + uleb(table)]))
    if memory is not None:
        out += section(5, vec([b"\x00" + uleb(memory)]))
    if globals_:
        out += section(6, vec([bytes([t, int(m)]) + init + b"\x0b" for t, m, init in globals_]))
    if exports:
        out += section(7, vec([name(n) + bytes([k]) + uleb(i) for n, k, i in exports]))
    if elements:
        out += section(9, vec([b"\x00\x41" + uleb(off) + b"\x0b" + vec([uleb(f) for f in fs]) for off, fs in elements]))
    out += section(10, vec([uleb(len(body := locals_ + code + b"\x0b")) + body for _, locals_, code in funcs]))
    return out


NO_LOCALS = b"\x00"

# Bodies of `() -> i32` functions that trap.
UNREACHABLE = b"\x00"
DIV_BY_ZERO = b"\x41\x01\x41\x00\x6d"  # i32.const 1; i32.const 0; i32.div_s
OVERFLOW = b"\x41\x80\x80\x80\x80\x78\x41\x7f\x6d"  # INT32_MIN / -1
BAD_CONVERSION = b"\x43\x00\x00\xc0\x7f\xa8"  # f32.const nan; i32.trunc_f32_s
MEMORY_OOB = b"\x41\x80\x80\x04\x28\x02\x00"  # i32.load at 65536 (memory of 1 page)
CALL_INDIRECT = b"\x41" + b"%s" + b"\x11\x00\x00"  # i32.const N; call_indirect (type 0)
RECURSE = b"\x10\x00"  # call 0 (itself)


def trapping(body, *, memory=None, table=None, elements=()):
    """One exported function `run: () -> i32` with `body`."""
    return module(
        [((), (I32,)), ((I64,), ())],
        [(0, NO_LOCALS, body), (1, NO_LOCALS, b"")],
        memory=memory,
        table=table,
        elements=elements,
        exports=[("run", 0, 0)],
    )


def call_indirect(index):
    return b"\x41" + uleb(index) + b"\x11\x00\x00"
