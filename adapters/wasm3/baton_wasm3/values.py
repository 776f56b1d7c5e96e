"""Conversions between protocol values (exact bit patterns) and pywasm3's Python numbers.

pywasm3 passes i32/i64 as signed Python ints and f32/f64 as Python floats (C doubles). f64 bit
patterns survive; an f32 goes through a C float->double->float round trip, which keeps every
value and NaN payload except that a signalling NaN comes back quieted (Wasm3 limitation, noted
in the adapter's README).
"""

import struct

from . import wasmbin

_NUMERIC = {
    wasmbin.I32: "i32",
    wasmbin.I64: "i64",
    wasmbin.F32: "f32",
    wasmbin.F64: "f64",
}


class ValueError_(Exception):
    """A value does not fit its type (a bad argument or a bad host result)."""


def is_numeric(valtype):
    return valtype in _NUMERIC


def type_name(valtype):
    return {
        wasmbin.I32: "i32",
        wasmbin.I64: "i64",
        wasmbin.F32: "f32",
        wasmbin.F64: "f64",
        wasmbin.V128: "v128",
        wasmbin.FUNCREF: "funcref",
        wasmbin.EXTERNREF: "externref",
    }.get(valtype, hex(valtype))


def to_python(pb_value, valtype):
    """A protocol `Value` as the Python number pywasm3 expects for `valtype`."""
    kind = pb_value.WhichOneof("kind")
    expected = _NUMERIC.get(valtype)
    if kind != expected:
        raise ValueError_(f"expected {type_name(valtype)}, got {kind}")
    bits = getattr(pb_value, kind)
    if kind == "i32":
        return bits - (1 << 32) if bits >= 1 << 31 else bits
    if kind == "i64":
        return bits - (1 << 64) if bits >= 1 << 63 else bits
    if kind == "f32":
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def from_python(pb_value, number, valtype):
    """Fills a protocol `Value` from pywasm3's Python number of type `valtype`."""
    if valtype == wasmbin.I32:
        pb_value.i32 = int(number) & 0xFFFFFFFF
    elif valtype == wasmbin.I64:
        pb_value.i64 = int(number) & 0xFFFFFFFFFFFFFFFF
    elif valtype == wasmbin.F32:
        pb_value.f32 = struct.unpack("<I", struct.pack("<f", float(number)))[0]
    elif valtype == wasmbin.F64:
        pb_value.f64 = struct.unpack("<Q", struct.pack("<d", float(number)))[0]
    else:
        raise ValueError_(f"{type_name(valtype)} values are not supported by pywasm3")
