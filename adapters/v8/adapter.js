'use strict';
// baton's V8 adapter: `node adapter.js` speaks the adapter protocol (protocol/proto/adapter.proto)
// on stdin/stdout, running modules with Node's WebAssembly (V8). See README.md.
//
// Invariant: nothing the harness sends crashes it: a failing request is answered with `Error`;
// only end of input (exit 0) or broken framing (exit 1) ends it.

const v8 = require('node:v8');
const framing = require('./lib/framing');
const traps = require('./lib/traps');
const { Session, Failure, HostTrap } = require('./lib/session');

const STDIN = 0;
const STDOUT = 1;

class ProtocolError extends Error {}

/**
 * V8 flags the adapter sets before it compiles anything; the handshake's `engine_version` names
 * them. `--experimental-wasm-branch-hinting` makes TurboFan honour a module's
 * `metadata.code.branch_hint` section (standardized; on by default from V8 13.7, behind this
 * flag in Node 20's V8 11.3): a branch hinted unlikely gets its code, and the spills around the
 * calls in it, moved out of the hot path. Modules without that section compile as before. It is
 * meant for `baton instrument`'s rewrite, whose event checks are `if`s whose arms call the host
 * only at a stop, a fuel threshold or a rewind: unhinted, a call in such an arm inside a loop
 * makes TurboFan's code for the loop up to 3x slower. Measured on Node 20.20.2 with the
 * rewrite's checks (`--max-frames 1024`) hinted unlikely by hand, time over the original's:
 * loops 1.0-1.1x instead of 2.9-3.1x, float 1.0x instead of 1.7x, fib 1.5-1.9x instead of
 * 2.1-2.6x, memsum 1.6-2.1x instead of 3.1-3.5x, indirect 1.4-1.5x instead of 1.6-1.8x.
 * (`setFlagsFromString` ignores a flag a future V8 no longer knows, with a line on stderr.)
 */
const V8_FLAGS = ['--experimental-wasm-branch-hinting'];

/** The flags `applyV8Flags` set in this process (the handshake names them). */
const applied = [];

/** Sets `V8_FLAGS` (before any `WebAssembly.Module` is compiled: V8 reads them per compile). */
function applyV8Flags() {
  for (const flag of V8_FLAGS) {
    if (applied.includes(flag)) continue;
    v8.setFlagsFromString(flag);
    applied.push(flag);
  }
}

function main() {
  // Anything printed with console.log would corrupt the protocol: humans get stderr.
  console.log = console.error;
  let pb;
  try {
    pb = require('./lib/proto').load();
  } catch (error) {
    process.stderr.write(`v8 adapter: cannot start (${error.message}); run scripts/setup.sh\n`);
    return 2;
  }
  applyV8Flags();
  const server = new Server(pb);
  try {
    server.run();
    return 0;
  } catch (error) {
    if (error instanceof framing.FramingError || error instanceof ProtocolError) {
      process.stderr.write(`v8 adapter: protocol broken: ${error.message}\n`);
      return 1;
    }
    if (error.code === 'EPIPE') return 0;
    throw error;
  }
}

class Server {
  constructor(pb) {
    this.pb = pb;
    this.session = null;
    this.greeted = false;
  }

  send(message) {
    const error = this.pb.FromAdapter.verify(message);
    if (error) throw new Error(`internal: invalid FromAdapter: ${error}`);
    framing.writeFrame(STDOUT, this.pb.FromAdapter.encode(message).finish());
  }

  receive() {
    const body = framing.readFrame(STDIN);
    if (body === null) return null;
    try {
      return this.pb.ToAdapter.decode(body);
    } catch (error) {
      throw new ProtocolError(`undecodable message: ${error.message}`);
    }
  }

  hostCall(func, args) {
    this.send({ host_call: { func, args } });
    const answer = this.receive();
    if (answer === null) throw new ProtocolError('input ended while waiting for a HostResult');
    if (answer.message !== 'host_result') throw new ProtocolError('expected a HostResult');
    const result = answer.host_result;
    if (result.outcome === 'trap') return new HostTrap(result.trap);
    if (result.outcome !== 'results') return new HostTrap('HostResult.outcome is missing');
    return result.results.values;
  }

  run() {
    for (;;) {
      const message = this.receive();
      if (message === null) return;
      if (message.message !== 'request') throw new ProtocolError('expected a Request');
      let response;
      try {
        response = this.handle(message.request);
      } catch (error) {
        if (error instanceof ProtocolError || error instanceof framing.FramingError) throw error;
        response = { error: errorMessage(error) };
        if (!(error instanceof Failure)) process.stderr.write(`v8 adapter: ${error.stack}\n`);
      }
      this.send({ response });
    }
  }

  handle(request) {
    const kind = request.kind;
    if (kind === 'hello') return this.hello(request.hello);
    if (!this.greeted) throw new Failure('state', 'the first request must be Hello');
    if (kind === 'new_session') {
      this.session = new Session((func, args) => this.hostCall(func, args), this.pb.TrapCode);
      return { done: {} };
    }
    const s = this.session;
    if (!s) throw new Failure('state', 'no session: send NewSession first');
    const r = request[kind];
    switch (kind) {
      case 'compile': return { module: { module: s.compile(r.wasm) } };
      case 'instantiate': return { instance: { instance: s.instantiate(r.module, r.imports) } };
      case 'host_func': return { handle: s.hostFunc(r.type || { params: [], results: [] }) };
      case 'host_global': return { handle: s.hostGlobal(r.type || {}, r.init) };
      case 'host_table': return { handle: s.hostTable(r.type || {}) };
      case 'host_memory': return { handle: s.hostMemory(r.type || {}) };
      case 'exports': return { exports: { exports: s.exports(r.instance) } };
      case 'global_value': return { value: s.globalValue(r.global || {}) };
      case 'memory_data': return { memory: { data: s.memoryData(r.memory || {}) } };
      case 'table_elements': return { elements: { values: s.tableElements(r.table || {}) } };
      case 'invoke': return { report: s.invoke(r) };
      case 'resume': case 'take_image': case 'restore':
        throw new Failure('unsupported', `${kind} (V8 cannot checkpoint)`);
      default: throw new Failure('other', `unknown request kind ${kind}`);
    }
  }

  hello(hello) {
    if (hello.protocol_version !== this.pb.ProtocolVersion.PROTOCOL_VERSION_1) {
      throw new Failure('other', `unsupported protocol version ${hello.protocol_version}`);
    }
    this.greeted = true;
    const op = this.pb.Operation;
    const codes = this.pb.TrapCode;
    const code = {
      'out of bounds table access': codes.TRAP_CODE_TABLE_OUT_OF_BOUNDS,
      'indirect call type mismatch': codes.TRAP_CODE_INDIRECT_CALL_TYPE_MISMATCH,
      'invalid conversion to integer': codes.TRAP_CODE_INVALID_CONVERSION_TO_INTEGER,
    };
    return {
      hello: {
        protocol_version: this.pb.ProtocolVersion.PROTOCOL_VERSION_1,
        engine_name: 'v8',
        engine_version: `${process.versions.v8} (Node.js ${process.versions.node}${applied.map((flag) => ` ${flag}`).join('')})`,
        capabilities: {
          operations: [op.OPERATION_COMPILE, op.OPERATION_INSTANTIATE, op.OPERATION_HOST_OBJECTS, op.OPERATION_INSPECT, op.OPERATION_INVOKE],
          safe_point_kinds: [],
          wasm_features: ['mutable-global', 'saturating-float-to-int', 'sign-extension', 'multi-value', 'bulk-memory', 'reference-types'],
          // Protocol revision 1.1 (docs/adapter-protocol.md, "Declared limitations").
          limitations: [{
            kind: this.pb.LimitationKind.LIMITATION_KIND_QUIETS_SIGNALLING_NANS,
            reason: 'arguments and results cross the JS API as JS numbers, and V8 quiets signalling NaNs on the way',
          }, {
            // Revision 1.4. Measured on skip-stack-guard-page.wast's function with 1056 i64
            // locals, rewritten by `baton instrument`: 117 of its frames fit in Liftoff code,
            // 29 in TurboFan code (node --no-liftoff).
            kind: this.pb.LimitationKind.LIMITATION_KIND_NATIVE_STACK,
            reason: "V8's call stack is the thread's native stack (about 1 MB): how many frames fit depends on their size in bytes, which changes when V8 recompiles a hot function with TurboFan, so where a deep recursion exhausts it varies from run to run",
          }],
          // Protocol revision 1.2: a function's funcref id is its handle id (lib/session.js).
          funcref_ids_are_handles: true,
        },
        trap_aliases: traps.TRAP_ALIASES.map(([given, spec]) => ({ trap: { code: code[given], message: '' }, spec_message: spec })),
      },
    };
  }
}

function errorMessage(error) {
  if (error instanceof Failure) {
    return { [error.kind]: error.detail };
  }
  return { other: `v8 adapter: ${error.name}: ${error.message}` };
}

if (require.main === module) process.exitCode = main();

module.exports = { Server, V8_FLAGS, applyV8Flags };
