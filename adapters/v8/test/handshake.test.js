'use strict';
// The handshake's declared limitations, and the native-stack behaviour the `native-stack` one
// stands for: V8 runs out of stack after a number of bytes, wherever a host call sits.

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { buildModule, I32 } = require('./modules');
const { Server, V8_FLAGS } = require('../adapter');
const { Session } = require('../lib/session');
const pb = require('../lib/proto').load();

function hello() {
  const server = new Server(pb);
  const answer = server.hello({ protocol_version: pb.ProtocolVersion.PROTOCOL_VERSION_1 });
  assert.strictEqual(pb.FromAdapter.verify({ response: answer }), null);
  return answer.hello.capabilities;
}

test('the handshake declares the native stack and quieted NaNs, each with a reason', () => {
  const kinds = pb.LimitationKind;
  const declared = hello().limitations;
  assert.deepStrictEqual(declared.map((l) => l.kind), [kinds.LIMITATION_KIND_QUIETS_SIGNALLING_NANS, kinds.LIMITATION_KIND_NATIVE_STACK]);
  for (const { reason } of declared) assert.ok(reason.length > 20, reason);
  assert.match(declared[1].reason, /native stack/);
});

test('the stack running out inside a host call is call stack exhaustion', () => {
  // run() calls the host, which calls run() again: V8's stack runs out in JS or in Wasm,
  // depending on where the bytes end; either way the trap is "call stack exhausted".
  const wasm = buildModule({ types: [[[], [I32]]], imports: [['env', 'f', 0]], funcs: [[0, [0x10, 0]]], exports: [['run', 0, 1]] });
  let s = null;
  let instance = 0;
  s = new Session(() => [{ kind: 'i32', i32: s.instances.get(instance).instance.exports.run() }], pb.TrapCode);
  const f = s.hostFunc({ params: [], results: [pb.ValType.VAL_TYPE_I32] });
  instance = s.instantiate(s.compile(wasm), [f]);
  const report = s.invoke({ instance, export: 'run', args: [] });
  assert.deepStrictEqual(report.trapped, { code: pb.TrapCode.TRAP_CODE_CALL_STACK_EXHAUSTED, message: '' });
});

test('the adapter process sets its V8 flags (branch hints honoured) and names them', () => {
  // Spawned as the harness does: the flags must be set by the process's own start-up.
  const hello = pb.ToAdapter.encode({ request: { hello: { protocol_version: pb.ProtocolVersion.PROTOCOL_VERSION_1 } } }).finish();
  const frame = Buffer.alloc(4 + hello.length);
  frame.writeUInt32LE(hello.length, 0);
  Buffer.from(hello).copy(frame, 4);
  const child = spawnSync(process.execPath, [path.join(__dirname, '..', 'adapter.js')], { input: frame });
  assert.strictEqual(child.status, 0, child.stderr.toString());
  const length = child.stdout.readUInt32LE(0);
  const answer = pb.FromAdapter.decode(child.stdout.subarray(4, 4 + length));
  const version = answer.response.hello.engine_version;
  assert.ok(V8_FLAGS.includes('--experimental-wasm-branch-hinting'), V8_FLAGS.join(' '));
  for (const flag of V8_FLAGS) assert.ok(version.includes(` ${flag}`), `${flag} missing from ${version}`);
  assert.strictEqual(child.stderr.toString(), '', 'a flag this V8 does not know');
});
