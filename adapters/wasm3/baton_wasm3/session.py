"""One protocol session on Wasm3: modules, host objects, instances and their handles.

Each instance gets its own Wasm3 runtime (one memory per runtime); the module bytes are parsed
again for each instance because a parsed Wasm3 module belongs to the runtime that loads it.
What pywasm3 cannot do is answered with `Error.unsupported` naming the limitation (see
README.md): importing tables, memories or globals; reading tables; reference-typed values;
fuel and stop requests; checkpoints.
"""

import wasm3

import adapter_pb2 as pb

from . import traps, values, wasmbin

# Wasm3's value stack per runtime: about 16k frames of a small function (baton's engines stop
# at 1024 by default; the depth at which a run exhausts the stack is engine-specific).
STACK_BYTES = 256 << 10

_VALTYPE_TO_BIN = {
    pb.VAL_TYPE_I32: wasmbin.I32,
    pb.VAL_TYPE_I64: wasmbin.I64,
    pb.VAL_TYPE_F32: wasmbin.F32,
    pb.VAL_TYPE_F64: wasmbin.F64,
    pb.VAL_TYPE_FUNCREF: wasmbin.FUNCREF,
    pb.VAL_TYPE_EXTERNREF: wasmbin.EXTERNREF,
}

_KIND_TO_PB = {
    wasmbin.KIND_FUNC: pb.EXTERN_KIND_FUNC,
    wasmbin.KIND_TABLE: pb.EXTERN_KIND_TABLE,
    wasmbin.KIND_MEMORY: pb.EXTERN_KIND_MEMORY,
    wasmbin.KIND_GLOBAL: pb.EXTERN_KIND_GLOBAL,
}

_TRAP_CODES = {
    traps.UNREACHABLE: pb.TRAP_CODE_UNREACHABLE,
    traps.INTEGER_DIVIDE_BY_ZERO: pb.TRAP_CODE_INTEGER_DIVIDE_BY_ZERO,
    traps.INTEGER_OVERFLOW: pb.TRAP_CODE_INTEGER_OVERFLOW,
    traps.INVALID_CONVERSION: pb.TRAP_CODE_INVALID_CONVERSION_TO_INTEGER,
    traps.MEMORY_OUT_OF_BOUNDS: pb.TRAP_CODE_MEMORY_OUT_OF_BOUNDS,
    traps.UNDEFINED_ELEMENT: pb.TRAP_CODE_UNDEFINED_ELEMENT,
    traps.UNINITIALIZED_ELEMENT: pb.TRAP_CODE_UNINITIALIZED_ELEMENT,
    traps.INDIRECT_CALL_TYPE_MISMATCH: pb.TRAP_CODE_INDIRECT_CALL_TYPE_MISMATCH,
    traps.CALL_STACK_EXHAUSTED: pb.TRAP_CODE_CALL_STACK_EXHAUSTED,
    traps.TABLE_OUT_OF_BOUNDS: pb.TRAP_CODE_TABLE_OUT_OF_BOUNDS,
}


# The export name under which the start function is reachable by `find_function`.
START_EXPORT = "__baton_adapter_start_function__"


class Failure(Exception):
    """An operation failed: `kind` is the `Error` oneof field, `detail` its value."""

    def __init__(self, kind, detail):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class HostTrap(Exception):
    """Raised inside a host function when the harness answers with a trap."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def trap_message(trap, text):
    """Fills `trap` (a `Trap`) from a Wasm3 trap message."""
    spec, unmapped = traps.classify(text)
    if spec is not None:
        trap.code = _TRAP_CODES[spec]
    else:
        trap.code = pb.TRAP_CODE_HOST
        trap.message = unmapped


class HostObject:
    """A host global, table or memory request, kept as created."""

    def __init__(self, request):
        self.request = request


class Instance:
    def __init__(self, runtime, module, info, imported=()):
        self.runtime = runtime
        self.module = module
        self.info = info
        self.handles = None  # export name -> (pb kind, id), filled on first use
        # The callables linked for the imported functions, by function index.
        self.imported = list(imported)

    def function(self, name, index):
        """The callable behind exported function `index` (`name`): pywasm3 finds only functions
        the module defines, so a re-exported import is called through what it was linked to."""
        if self.info.is_imported_func(index):
            return self.imported[index]
        return self.runtime.find_function(name)


class Session:
    """The state of one `NewSession`. `host_call(func_id, args)` runs a harness host function."""

    def __init__(self, host_call):
        self.env = wasm3.Environment()
        self.host_call = host_call
        self.modules = {}  # id -> (bytes, ModuleInfo)
        self.instances = {}  # id -> Instance
        self.entities = {}  # handle id -> (pb kind, payload)
        self.next_id = 1
        self.pending_trap = None  # a host trap raised inside a Wasm3 call

    def _new_id(self):
        self.next_id += 1
        return self.next_id - 1

    # -- compile and instantiate -------------------------------------------------------------

    def compile(self, wasm):
        wasm = wasmbin.mvp_element_segments(wasm)
        try:
            info = wasmbin.parse(wasm)
            self.env.parse_module(bytes(wasm))
        except wasmbin.BinaryError as error:
            raise Failure("rejected", str(error)) from error
        except RuntimeError as error:
            raise Failure("rejected", f"wasm3: {error}") from error
        for valtype in (t for params, results in info.types for t in params + results):
            if not values.is_numeric(valtype):
                raise Failure(
                    "unsupported",
                    f"{values.type_name(valtype)} in a function type (pywasm3 passes numbers only)",
                )
        module_id = self._new_id()
        self.modules[module_id] = (bytes(wasm), info)
        return module_id

    def instantiate(self, module_id, imports):
        if module_id not in self.modules:
            raise Failure("bad_handle", f"module {module_id}")
        wasm, info = self.modules[module_id]
        if len(imports) != len(info.imports):
            raise Failure("link", f"{len(imports)} imports given, the module has {len(info.imports)}")
        linked = [self._import_callable(info, imp, handle) for imp, handle in zip(info.imports, imports)]
        runtime = self.env.new_runtime(STACK_BYTES)
        try:
            module = self.env.parse_module(wasmbin.export_start(wasm, info, START_EXPORT))
            runtime.load(module)
        except RuntimeError as error:
            raise self._load_failure(str(error)) from error
        for imp, callable_ in zip(info.imports, linked):
            try:
                module.link_function(imp.module, imp.name, callable_)
            except RuntimeError as error:
                raise Failure("link", f"{imp.module}.{imp.name}: wasm3: {error}") from error
        imported = [c for imp, c in zip(info.imports, linked) if imp.kind == wasmbin.KIND_FUNC]
        instance = Instance(runtime, module, info, imported)
        if info.start is not None:
            self._run_start(instance)
        instance_id = self._new_id()
        self.instances[instance_id] = instance
        return instance_id

    def _load_failure(self, text):
        load_trap = traps.load_trap(text)
        if load_trap is not None:
            failure = Failure("instantiation_trap", pb.Trap(code=_TRAP_CODES[load_trap]))
            return failure
        if traps.is_trap(text):
            failure = Failure("instantiation_trap", pb.Trap())
            trap_message(failure.detail, text)
            return failure
        return Failure("link", f"wasm3: {text}")

    def _import_callable(self, info, imp, handle):
        name = f"{imp.module}.{imp.name}"
        if imp.kind != wasmbin.KIND_FUNC:
            raise Failure(
                "unsupported",
                f"import {name}: pywasm3 can import functions only (no tables, memories, globals)",
            )
        entity = self.entities.get(handle.id)
        if handle.kind != pb.EXTERN_KIND_FUNC or entity is None or entity[0] != pb.EXTERN_KIND_FUNC:
            raise Failure("link", f"import {name}: handle {handle.id} is not a function of this session")
        expected = info.types[imp.desc]
        signature, target = entity[1]
        if signature != expected:
            raise Failure("link", f"import {name}: incompatible import type")
        return target

    def _run_start(self, instance):
        """pywasm3 never runs the start function itself: run it now, through the export
        `START_EXPORT` added for the purpose (the module's own exports, read from the original
        bytes, do not list it), or through what an imported start function was linked to."""
        start = instance.info.start
        try:
            if instance.info.is_imported_func(start):
                function = instance.imported[start]
            else:
                function = self._call_wasm3(lambda: instance.runtime.find_function(START_EXPORT))
            self._call_wasm3(function)
        except _Trapped as trapped:
            raise Failure("instantiation_trap", trapped.trap) from None

    # -- host objects --------------------------------------------------------------------------

    def host_func(self, func_type):
        params = tuple(_VALTYPE_TO_BIN.get(t, 0) for t in func_type.params)
        results = tuple(_VALTYPE_TO_BIN.get(t, 0) for t in func_type.results)
        if not all(values.is_numeric(t) for t in params + results):
            raise Failure("unsupported", "host function with reference-typed values (pywasm3 passes numbers only)")
        func_id = self._new_id()
        self.entities[func_id] = (pb.EXTERN_KIND_FUNC, ((params, results), self._host_callable(func_id, results)))
        return pb.Handle(kind=pb.EXTERN_KIND_FUNC, id=func_id)

    def _host_callable(self, func_id, results):
        def call(*args):
            outcome = self.host_call(func_id, args)
            if isinstance(outcome, HostTrap):
                self.pending_trap = outcome
                raise outcome
            if len(outcome) != len(results):
                self.pending_trap = HostTrap(f"host function returned {len(outcome)} values, expected {len(results)}")
                raise self.pending_trap
            try:
                numbers = tuple(values.to_python(v, t) for v, t in zip(outcome, results))
            except values.ValueError_ as error:
                self.pending_trap = HostTrap(f"host function result: {error}")
                raise self.pending_trap from error
            if len(numbers) == 1:
                return numbers[0]
            return numbers if numbers else None

        return call

    def host_object(self, what, request):
        """A host global, table or memory: created (and readable) so that a harness can set up
        its usual imports, but no module can import it (pywasm3 links functions only)."""
        kind = {"global": pb.EXTERN_KIND_GLOBAL, "table": pb.EXTERN_KIND_TABLE, "memory": pb.EXTERN_KIND_MEMORY}[what]
        entity_id = self._new_id()
        self.entities[entity_id] = (kind, HostObject(request))
        return pb.Handle(kind=kind, id=entity_id)

    # -- inspection ----------------------------------------------------------------------------

    def _instance(self, instance_id):
        instance = self.instances.get(instance_id)
        if instance is None:
            raise Failure("bad_handle", f"instance {instance_id}")
        return instance

    def exports(self, instance_id):
        instance = self._instance(instance_id)
        if instance.handles is None:
            instance.handles = {}
            for name, kind, index in instance.info.exports:
                entity_id = self._new_id()
                payload = self._export_payload(instance, name, kind, index)
                self.entities[entity_id] = (_KIND_TO_PB[kind], payload)
                instance.handles[name] = (_KIND_TO_PB[kind], entity_id)
        return [(name, instance.handles[name]) for name, _, _ in instance.info.exports]

    def _export_payload(self, instance, name, kind, index):
        info = instance.info
        if kind == wasmbin.KIND_FUNC:
            signature = info.func_type(index)
            return (signature, lambda *args: self._call_export(instance, name, index, args))
        if kind == wasmbin.KIND_GLOBAL:
            return (instance, name, info.global_types[index][0])
        return (instance, index)

    def _call_export(self, instance, name, index, args):
        """An exported function called from another instance (it was imported there)."""
        return instance.function(name, index)(*args)

    def _entity(self, handle, kind):
        entity = self.entities.get(handle.id)
        if entity is None or entity[0] != kind or handle.kind != kind:
            raise Failure("bad_handle", f"handle {handle.id} of kind {handle.kind}")
        return entity[1]

    def global_value(self, handle):
        entity = self._entity(handle, pb.EXTERN_KIND_GLOBAL)
        if isinstance(entity, HostObject):
            return entity.request.init
        instance, name, valtype = entity
        if not values.is_numeric(valtype):
            raise Failure("unsupported", f"{values.type_name(valtype)} global (pywasm3 reads numbers only)")
        try:
            number = instance.module.get_global(name)
        except RuntimeError as error:
            raise Failure("other", f"wasm3: {error}") from error
        value = pb.Value()
        values.from_python(value, number, valtype)
        return value

    def memory_data(self, handle):
        entity = self._entity(handle, pb.EXTERN_KIND_MEMORY)
        if isinstance(entity, HostObject):
            return bytes(entity.request.type.min * 65536)
        instance, _ = entity
        memory = instance.runtime.get_memory(0)
        return b"" if memory is None else bytes(memory)

    def table_elements(self, handle):
        self._entity(handle, pb.EXTERN_KIND_TABLE)
        raise Failure("unsupported", "table_elements (pywasm3 exposes no tables)")

    # -- running -------------------------------------------------------------------------------

    def invoke(self, request, report):
        if request.HasField("stop"):
            raise Failure("unsupported", "stop (Wasm3 cannot checkpoint)")
        if request.HasField("fuel"):
            raise Failure("unsupported", "fuel (Wasm3 counts no events)")
        instance = self._instance(request.instance)
        index = next(
            (i for n, k, i in instance.info.exports if n == request.export and k == wasmbin.KIND_FUNC),
            None,
        )
        if index is None:
            raise Failure("no_such_export", pb.NoSuchExport(kind="function", name=request.export))
        params, results = instance.info.func_type(index)
        if len(request.args) != len(params):
            raise Failure("bad_arguments", f"{len(request.args)} arguments for {len(params)} parameters")
        try:
            args = [values.to_python(v, t) for v, t in zip(request.args, params)]
        except values.ValueError_ as error:
            raise Failure("bad_arguments", str(error)) from error
        try:
            function = self._call_wasm3(lambda: instance.function(request.export, index))
            returned = self._call_wasm3(lambda: function(*args))
        except _Trapped as trapped:
            report.trapped.CopyFrom(trapped.trap)
            return
        if len(results) == 1:
            returned = (returned,)
        elif not results:
            returned = ()
        report.returned.SetInParent()
        for number, valtype in zip(returned, results):
            values.from_python(report.returned.values.add(), number, valtype)

    def _call_wasm3(self, action):
        """Runs a pywasm3 call; a trap raises `_Trapped`, any other Wasm3 error `Failure`."""
        self.pending_trap = None
        try:
            return action()
        except HostTrap as trap:
            raise _Trapped(pb.Trap(code=pb.TRAP_CODE_HOST, message=trap.message)) from None
        except RuntimeError as error:
            text = str(error)
            if self.pending_trap is not None and "function raised exception" in text:
                raise _Trapped(pb.Trap(code=pb.TRAP_CODE_HOST, message=self.pending_trap.message)) from None
            if traps.is_trap(text):
                trap = pb.Trap()
                trap_message(trap, text)
                raise _Trapped(trap) from None
            raise Failure("other", f"wasm3: {text}") from error


class _Trapped(Exception):
    def __init__(self, trap):
        super().__init__(str(trap))
        self.trap = trap
