"""A minimal reader of a module binary's declarations: what pywasm3 cannot tell the adapter
(function types, imports in order, exports in order, global types, the start function).

It reads only the sections it needs and checks only what it reads; any malformed input raises
`BinaryError`, never anything else.
"""

from dataclasses import dataclass, field

I32, I64, F32, F64, V128, FUNCREF, EXTERNREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F
VALTYPES = {I32, I64, F32, F64, V128, FUNCREF, EXTERNREF}
KIND_FUNC, KIND_TABLE, KIND_MEMORY, KIND_GLOBAL = 0, 1, 2, 3


class BinaryError(Exception):
    """The bytes are not a module this reader understands."""


@dataclass
class Import:
    module: str
    name: str
    kind: int
    # KIND_FUNC: the type index; KIND_GLOBAL: (valtype, mutable); others: None.
    desc: object = None


@dataclass
class ModuleInfo:
    types: list = field(default_factory=list)  # (params, results) tuples of valtype bytes
    imports: list = field(default_factory=list)  # Import, in order
    func_types: list = field(default_factory=list)  # type index per function index
    global_types: list = field(default_factory=list)  # (valtype, mutable) per global index
    exports: list = field(default_factory=list)  # (name, kind, index), in order
    start: object = None  # function index or None

    def func_type(self, index):
        return self.types[self.func_types[index]]

    def is_imported_func(self, index):
        return index < sum(1 for i in self.imports if i.kind == KIND_FUNC)


class _Reader:
    def __init__(self, data, pos=0, end=None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise BinaryError("unexpected end of section")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def bytes(self, count):
        if count > self.end - self.pos:
            raise BinaryError("unexpected end of section")
        value = self.data[self.pos : self.pos + count]
        self.pos += count
        return value

    def uleb(self, bits=32):
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift >= bits + 7:
                raise BinaryError("integer representation too long")
        if result >> bits:
            raise BinaryError("integer too large")
        return result

    def sleb(self, bits):
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift >= bits + 7:
                raise BinaryError("integer representation too long")
        if b & 0x40:
            result -= 1 << shift
        return result

    def name(self):
        raw = self.bytes(self.uleb())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BinaryError("malformed UTF-8 encoding") from error

    def valtype(self):
        value = self.byte()
        if value not in VALTYPES:
            raise BinaryError(f"unknown value type 0x{value:02x}")
        return value

    def limits(self):
        flag = self.byte()
        if flag not in (0, 1):
            raise BinaryError(f"unsupported limits flag 0x{flag:02x}")
        self.uleb()
        if flag == 1:
            self.uleb()

    def const_expr(self):
        while True:
            op = self.byte()
            if op == 0x0B:
                return
            if op == 0x41:
                self.sleb(32)
            elif op == 0x42:
                self.sleb(64)
            elif op == 0x43:
                self.bytes(4)
            elif op == 0x44:
                self.bytes(8)
            elif op in (0x23, 0xD2):
                self.uleb()
            elif op == 0xD0:
                self.byte()
            else:
                raise BinaryError(f"unsupported constant expression opcode 0x{op:02x}")


def parse(data):
    """Reads a module's declarations."""
    data = bytes(data)
    if data[:4] != b"\0asm":
        raise BinaryError("magic header not detected")
    if data[4:8] != b"\x01\0\0\0":
        raise BinaryError("unknown binary version")
    info = ModuleInfo()
    top = _Reader(data, 8)
    while top.pos < top.end:
        section_id = top.byte()
        size = top.uleb()
        if size > top.end - top.pos:
            raise BinaryError("section size mismatch")
        section = _Reader(data, top.pos, top.pos + size)
        top.pos += size
        _SECTIONS.get(section_id, _skip)(section, info)
    for _, kind, index in info.exports:
        if kind == KIND_FUNC and index >= len(info.func_types):
            raise BinaryError("unknown function")
        if kind == KIND_GLOBAL and index >= len(info.global_types):
            raise BinaryError("unknown global")
    return info


def _skip(section, info):
    del section, info


def _types(r, info):
    for _ in range(r.uleb()):
        if r.byte() != 0x60:
            raise BinaryError("malformed function type")
        params = tuple(r.valtype() for _ in range(r.uleb()))
        results = tuple(r.valtype() for _ in range(r.uleb()))
        info.types.append((params, results))


def _imports(r, info):
    for _ in range(r.uleb()):
        module, name, kind = r.name(), r.name(), r.byte()
        desc = None
        if kind == KIND_FUNC:
            desc = r.uleb()
            if desc >= len(info.types):
                raise BinaryError("unknown type")
            info.func_types.append(desc)
        elif kind == KIND_TABLE:
            r.valtype()
            r.limits()
        elif kind == KIND_MEMORY:
            r.limits()
        elif kind == KIND_GLOBAL:
            desc = (r.valtype(), r.byte() == 1)
            info.global_types.append(desc)
        else:
            raise BinaryError(f"malformed import kind {kind}")
        info.imports.append(Import(module, name, kind, desc))


def _functions(r, info):
    for _ in range(r.uleb()):
        index = r.uleb()
        if index >= len(info.types):
            raise BinaryError("unknown type")
        info.func_types.append(index)


def _globals(r, info):
    for _ in range(r.uleb()):
        info.global_types.append((r.valtype(), r.byte() == 1))
        r.const_expr()


def _exports(r, info):
    for _ in range(r.uleb()):
        name, kind, index = r.name(), r.byte(), r.uleb()
        if kind > KIND_GLOBAL:
            raise BinaryError(f"malformed export kind {kind}")
        info.exports.append((name, kind, index))


def _start(r, info):
    info.start = r.uleb()


# Export positions are checked after every section is read (functions may come later).
_SECTIONS = {1: _types, 2: _imports, 3: _functions, 6: _globals, 7: _exports, 8: _start}


def _uleb_bytes(value):
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _mvp_segments(data, start, end, payload):
    """A segment section's bytes with every `flags 2, index 0` segment in the MVP form
    (`flags 0`), or None when a segment has another form (left as it is). `payload(r, explicit)`
    reads what follows a segment's offset and returns where its MVP part starts (None: keep the
    section as it is)."""
    r = _Reader(data, start, end)
    out = bytearray()
    count = r.uleb()
    out += _uleb_bytes(count)
    for _ in range(count):
        flags = r.uleb()
        if flags == 2:
            if r.uleb() != 0:
                return None
        elif flags != 0:
            return None
        begin = r.pos
        r.const_expr()
        offset = data[begin : r.pos]
        begin = payload(r, flags == 2)
        if begin is None:
            return None
        out += b"\x00" + offset + data[begin : r.pos]
    return bytes(out) if r.pos == r.end else None


def _element_payload(r, explicit):
    """Function indices (after element kind `funcref` when the table index was explicit)."""
    if explicit and r.byte() != 0x00:
        return None
    begin = r.pos
    for _ in range(r.uleb()):
        r.uleb()
    return begin


def _data_payload(r, explicit):
    """The segment's bytes."""
    del explicit
    begin = r.pos
    r.bytes(r.uleb())
    return begin


_MVP_FORMS = {9: _element_payload, 11: _data_payload}


def mvp_element_segments(data):
    """`data` with active element and data segments re-encoded in the MVP form where that
    means the same.

    Encoders write an active segment of function indices for table 0 either as `flags 0` (the
    MVP form) or as `flags 2` with an explicit table index 0 and element kind `funcref` (the
    form WebAssembly 2.0 added); both mean the same segment, and likewise a data segment for
    memory 0. Wasm3 accepts only the first ("element table index must be zero for MVP",
    "restricted opcode"), so the second is rewritten. Anything else, including malformed bytes,
    is returned unchanged for Wasm3 to judge.
    """
    data = bytes(data)
    if data[:8] != b"\0asm\x01\0\0\0":
        return data
    out = bytearray(data[:8])
    top = _Reader(data, 8)
    try:
        while top.pos < top.end:
            section_id = top.byte()
            size = top.uleb()
            if size > top.end - top.pos:
                return data
            body = data[top.pos : top.pos + size]
            if section_id in _MVP_FORMS:
                rewritten = _mvp_segments(data, top.pos, top.pos + size, _MVP_FORMS[section_id])
                body = body if rewritten is None else rewritten
            top.pos += size
            out += bytes([section_id]) + _uleb_bytes(len(body)) + body
    except BinaryError:
        return data
    return bytes(out)


def export_start(data, info, name):
    """`data` without its start section and, when the start function is defined in the module,
    with one more export, `name`, for it: the adapter then runs the start function itself,
    exactly once (Wasm3 runs it only on some `find_function` calls, and the module may export no
    function at all). Without a start function `data` is returned as it is."""
    data = bytes(data)
    if info.start is None:
        return data
    if info.is_imported_func(info.start):
        return _without_section(data, 8)
    entry = _uleb_bytes(len(name.encode())) + name.encode() + bytes([KIND_FUNC]) + _uleb_bytes(info.start)
    out = bytearray(data[:8])
    top = _Reader(data, 8)
    done = False
    while top.pos < top.end:
        section_id = top.byte()
        size = top.uleb()
        body = data[top.pos : top.pos + size]
        top.pos += size
        if section_id == 8:
            continue
        if section_id == 7:
            r = _Reader(body)
            count = r.uleb()
            body = _uleb_bytes(count + 1) + body[r.pos :] + entry
            done = True
        elif not done and section_id in (8, 9, 12, 10, 11):
            # The export section (7) comes before start (8), element (9), data count (12),
            # code (10) and data (11).
            out += bytes([7]) + _uleb_bytes(len(entry) + 1) + b"\x01" + entry
            done = True
        out += bytes([section_id]) + _uleb_bytes(len(body)) + body
    if not done:
        out += bytes([7]) + _uleb_bytes(len(entry) + 1) + b"\x01" + entry
    return bytes(out)


def _without_section(data, section_id):
    """`data` without its section `section_id`."""
    out = bytearray(data[:8])
    top = _Reader(data, 8)
    while top.pos < top.end:
        start = top.pos
        current = top.byte()
        size = top.uleb()
        top.pos += size
        if current != section_id:
            out += data[start : top.pos]
    return bytes(out)
