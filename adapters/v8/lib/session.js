'use strict';
// One protocol session on V8: modules, host objects, instances and their handles.
// Every failure is a `Failure(kind, detail)` whose kind is an `Error` oneof field name.

const traps = require('./traps');
const values = require('./values');
const wasmbin = require('./wasmbin');

class Failure extends Error {
  constructor(kind, detail) { super(`${kind}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`); this.kind = kind; this.detail = detail; }
}

/** Thrown through Wasm frames when the harness answers a host call with a trap. */
class HostTrap extends Error {
  constructor(message) { super(message); this.hostMessage = message; }
}

/** Whether a proto3 `optional` field is present (protobufjs puts defaults on the prototype). */
const has = (message, field) => Object.prototype.hasOwnProperty.call(message, field);

const VAL_TYPES = ['unspecified', 'i32', 'i64', 'f32', 'f64', 'funcref', 'externref'];
const KIND_NAMES = { func: 1, table: 2, memory: 3, global: 4 };

/** The protocol `Trap` for a thrown error, or null when it is not a trap. */
function trapOf(error, trapCodes) {
  if (error instanceof HostTrap) return { code: trapCodes.TRAP_CODE_HOST, message: error.hostMessage };
  const classified = traps.classify(error);
  if (!classified) return null;
  if (classified.unmapped) return { code: trapCodes.TRAP_CODE_HOST, message: classified.unmapped };
  return { code: SPEC_CODES[classified.spec](trapCodes), message: '' };
}

const SPEC_CODES = {
  unreachable: (c) => c.TRAP_CODE_UNREACHABLE,
  'integer divide by zero': (c) => c.TRAP_CODE_INTEGER_DIVIDE_BY_ZERO,
  'integer overflow': (c) => c.TRAP_CODE_INTEGER_OVERFLOW,
  'invalid conversion to integer': (c) => c.TRAP_CODE_INVALID_CONVERSION_TO_INTEGER,
  'out of bounds memory access': (c) => c.TRAP_CODE_MEMORY_OUT_OF_BOUNDS,
  'out of bounds table access': (c) => c.TRAP_CODE_TABLE_OUT_OF_BOUNDS,
  'undefined element': (c) => c.TRAP_CODE_UNDEFINED_ELEMENT,
  'uninitialized element': (c) => c.TRAP_CODE_UNINITIALIZED_ELEMENT,
  'indirect call type mismatch': (c) => c.TRAP_CODE_INDIRECT_CALL_TYPE_MISMATCH,
  'call stack exhausted': (c) => c.TRAP_CODE_CALL_STACK_EXHAUSTED,
};

class Session {
  /** `hostCall(funcId, args: Value[]) -> Value[] | HostTrap` runs a harness host function. */
  constructor(hostCall, trapCodes) {
    this.hostCall = hostCall;
    this.trapCodes = trapCodes;
    this.modules = new Map(); // id -> { module, info }
    this.instances = new Map(); // id -> { instance, info, handles }
    this.entities = new Map(); // handle id -> { kind, object, type }
    // JS function -> funcref id. A function's funcref id is also its handle id (protocol
    // revision 1.2, `funcref_ids_are_handles`): V8 gives the same JS function for the same
    // Wasm function every time (an export, a table slot, a global), so one map serves both.
    this.funcIds = new Map();
    this.funcsById = new Map();
    this.nextId = 1;
    this.funcs = { idOf: (f) => this.funcRefId(f), byId: (id) => this.funcById(id) };
  }

  newId() { return this.nextId++; }

  funcRefId(func) {
    if (!this.funcIds.has(func)) {
      const id = this.newId();
      this.funcIds.set(func, id);
      this.funcsById.set(id, func);
      this.entities.set(id, { kind: KIND_NAMES.func, object: func, type: null });
    }
    return this.funcIds.get(func);
  }

  funcById(id) {
    if (!this.funcsById.has(id)) throw new values.ValueError(`funcref ${id} was not issued by this session`);
    return this.funcsById.get(id);
  }

  compile(wasm) {
    let info;
    try { info = wasmbin.parse(wasm); } catch (error) { throw new Failure('rejected', error.message); }
    let module;
    try { module = new WebAssembly.Module(wasm); } catch (error) { throw new Failure('rejected', `${error.name}: ${traps.baseMessage(error.message)}`); }
    const id = this.newId();
    this.modules.set(id, { module, info });
    return id;
  }

  instantiate(moduleId, imports) {
    const entry = this.modules.get(moduleId);
    if (!entry) throw new Failure('bad_handle', `module ${moduleId}`);
    const { module, info } = entry;
    if (imports.length !== info.imports.length) throw new Failure('link', `${imports.length} imports given, the module has ${info.imports.length}`);
    // The JS API links by name, but baton links by position: one module may import the same
    // `module.name` twice with different entities. The JS API's "read the imports" step gets
    // each import's `importObject[module][name]` exactly once, in the module's import order,
    // so a name imported more than once is a getter handing out its entities in that order.
    const byName = new Map();
    info.imports.forEach((imp, i) => {
      const entity = this.entities.get(imports[i].id);
      if (!entity || entity.kind !== KIND_NAMES[imp.kind] || imports[i].kind !== entity.kind) {
        throw new Failure('link', `import ${imp.module}.${imp.name}: handle ${imports[i].id} is not a ${imp.kind} of this session`);
      }
      const key = JSON.stringify([imp.module, imp.name]);
      if (!byName.has(key)) byName.set(key, { module: imp.module, name: imp.name, objects: [] });
      byName.get(key).objects.push(entity.object);
    });
    const importObject = {};
    for (const { module: moduleName, name, objects } of byName.values()) {
      const space = (importObject[moduleName] ??= {});
      if (objects.every((object) => object === objects[0])) {
        space[name] = objects[0];
      } else {
        let next = 0;
        Object.defineProperty(space, name, { enumerable: true, get: () => objects[next++ % objects.length] });
      }
    }
    let instance;
    try {
      instance = new WebAssembly.Instance(module, importObject);
    } catch (error) {
      const trap = trapOf(error, this.trapCodes);
      if (trap) throw new Failure('instantiation_trap', trap);
      throw new Failure('link', `${error.name}: ${traps.baseMessage(error.message)}`);
    }
    const id = this.newId();
    this.instances.set(id, { instance, info, handles: null });
    return id;
  }

  hostFunc(type) {
    const params = type.params.map((t) => VAL_TYPES[t]);
    const results = type.results.map((t) => VAL_TYPES[t]);
    const id = this.newId();
    const session = this;
    const func = function host(...args) {
      const outcome = session.hostCall(id, args.map((a, i) => values.fromJs(a, params[i], session.funcs)));
      if (outcome instanceof HostTrap) throw outcome;
      if (outcome.length !== results.length) throw new HostTrap(`host function returned ${outcome.length} values, expected ${results.length}`);
      let converted;
      try { converted = outcome.map((v, i) => values.toJs(v, results[i], session.funcs)); } catch (error) { throw new HostTrap(`host function result: ${error.message}`); }
      return results.length === 1 ? converted[0] : results.length === 0 ? undefined : converted;
    };
    this.entities.set(id, { kind: KIND_NAMES.func, object: func, type: { params, results } });
    this.funcIds.set(func, id);
    this.funcsById.set(id, func);
    return { kind: KIND_NAMES.func, id };
  }

  hostGlobal(type, init) {
    const content = VAL_TYPES[type.content];
    let global;
    try {
      global = new WebAssembly.Global({ value: values.apiType(content), mutable: type.mutable }, values.toJs(init, content, this.funcs));
    } catch (error) { throw new Failure('bad_arguments', `host global: ${error.message}`); }
    return this.register(KIND_NAMES.global, global, content);
  }

  hostTable(type) {
    const descriptor = { element: values.apiType(VAL_TYPES[type.element]), initial: type.min };
    if (has(type, 'max')) descriptor.maximum = type.max;
    try { return this.register(KIND_NAMES.table, new WebAssembly.Table(descriptor, null), VAL_TYPES[type.element]); } catch (error) { throw new Failure('other', `host table: ${error.message}`); }
  }

  hostMemory(type) {
    const descriptor = { initial: type.min };
    if (has(type, 'max')) descriptor.maximum = type.max;
    try { return this.register(KIND_NAMES.memory, new WebAssembly.Memory(descriptor), null); } catch (error) { throw new Failure('other', `host memory: ${error.message}`); }
  }

  register(kind, object, type) {
    const id = this.newId();
    this.entities.set(id, { kind, object, type });
    return { kind, id };
  }

  instance(id) {
    const entry = this.instances.get(id);
    if (!entry) throw new Failure('bad_handle', `instance ${id}`);
    return entry;
  }

  exports(instanceId) {
    const entry = this.instance(instanceId);
    if (!entry.handles) {
      entry.handles = entry.info.exports.map((exp) => {
        const object = entry.instance.exports[exp.name];
        let type = null;
        if (exp.kind === 'global') type = entry.info.globalTypes[exp.index].type;
        if (exp.kind === 'func') type = wasmbin.funcType(entry.info, exp.index);
        if (exp.kind === 'table') type = entry.info.tableTypes[exp.index];
        if (exp.kind === 'func') {
          const id = this.funcRefId(object);
          this.entities.set(id, { kind: KIND_NAMES.func, object, type });
          return { name: exp.name, handle: { kind: KIND_NAMES.func, id } };
        }
        return { name: exp.name, handle: this.register(KIND_NAMES[exp.kind], object, type) };
      });
    }
    return entry.handles;
  }

  entity(handle, kind) {
    const entity = this.entities.get(handle.id);
    if (!entity || entity.kind !== kind || handle.kind !== kind) throw new Failure('bad_handle', `handle ${handle.id} of kind ${handle.kind}`);
    return entity;
  }

  globalValue(handle) {
    const entity = this.entity(handle, KIND_NAMES.global);
    return values.fromJs(entity.object.value, entity.type, this.funcs);
  }

  memoryData(handle) {
    return new Uint8Array(this.entity(handle, KIND_NAMES.memory).object.buffer.slice(0));
  }

  tableElements(handle) {
    const { object: table, type } = this.entity(handle, KIND_NAMES.table);
    const out = [];
    for (let i = 0; i < table.length; i++) out.push(values.fromJs(table.get(i), type, this.funcs));
    return out;
  }

  invoke(request) {
    if (request.stop) throw new Failure('unsupported', 'stop (V8 cannot checkpoint)');
    if (has(request, 'fuel')) throw new Failure('unsupported', 'fuel (V8 counts no events)');
    const entry = this.instance(request.instance);
    const exp = entry.info.exports.find((e) => e.name === request.export && e.kind === 'func');
    if (!exp) throw new Failure('no_such_export', { kind: 'function', name: request.export });
    const type = wasmbin.funcType(entry.info, exp.index);
    if (request.args.length !== type.params.length) throw new Failure('bad_arguments', `${request.args.length} arguments for ${type.params.length} parameters`);
    let args;
    try { args = request.args.map((v, i) => values.toJs(v, type.params[i], this.funcs)); } catch (error) { throw new Failure('bad_arguments', error.message); }
    let result;
    try {
      result = entry.instance.exports[request.export](...args);
    } catch (error) {
      const trap = trapOf(error, this.trapCodes);
      if (trap) return { trapped: trap };
      throw error;
    }
    const list = type.results.length === 1 ? [result] : type.results.length === 0 ? [] : Array.from(result);
    return { returned: { values: list.map((v, i) => values.fromJs(v, type.results[i], this.funcs)) } };
  }
}

module.exports = { Session, Failure, HostTrap, trapOf };
