'use strict';
// Each V8 trap message the adapter maps, produced by real V8 code and checked against the
// table in lib/traps.js; plus the unmapped path and the declared aliases.

const test = require('node:test');
const assert = require('node:assert');
const { trapping, buildModule, BODIES, I32 } = require('./modules');
const traps = require('../lib/traps');
const { Session, HostTrap, trapOf } = require('../lib/session');
const pb = require('../lib/proto').load();

const C = pb.TrapCode;

function run(wasm, hostCall = () => []) {
  const s = new Session(hostCall, C);
  const instance = s.instantiate(s.compile(wasm), []);
  return s.invoke({ instance, export: 'run', args: [] });
}

function assertTrap(wasm, code) {
  const report = run(wasm);
  assert.ok(report.trapped, `expected a trap, got ${JSON.stringify(report)}`);
  assert.strictEqual(report.trapped.code, code);
  assert.strictEqual(report.trapped.message, '');
}

test('unreachable', () => assertTrap(trapping(BODIES.unreachable), C.TRAP_CODE_UNREACHABLE));
test('divide by zero', () => assertTrap(trapping(BODIES.divByZero), C.TRAP_CODE_INTEGER_DIVIDE_BY_ZERO));
test('remainder by zero', () => assertTrap(trapping([0x41, 1, 0x41, 0, 0x6f]), C.TRAP_CODE_INTEGER_DIVIDE_BY_ZERO));
test('divide result unrepresentable', () => assertTrap(trapping(BODIES.overflow), C.TRAP_CODE_INTEGER_OVERFLOW));
test('float unrepresentable in integer range', () => assertTrap(trapping(BODIES.badConversion), C.TRAP_CODE_INVALID_CONVERSION_TO_INTEGER));
test('memory access out of bounds', () => assertTrap(trapping(BODIES.memoryOob, { memory: 1 }), C.TRAP_CODE_MEMORY_OUT_OF_BOUNDS));
test('table index is out of bounds (call_indirect)', () => assertTrap(trapping(BODIES.callIndirect(5), { table: 2 }), C.TRAP_CODE_TABLE_OUT_OF_BOUNDS));
test('null function (call_indirect)', () => assertTrap(trapping(BODIES.callIndirect(1), { table: 3, elements: [[0, [0]]] }), C.TRAP_CODE_INDIRECT_CALL_TYPE_MISMATCH));
test('signature mismatch (call_indirect)', () => assertTrap(trapping(BODIES.callIndirect(0), { table: 2, elements: [[0, [1]]] }), C.TRAP_CODE_INDIRECT_CALL_TYPE_MISMATCH));
test('maximum call stack size exceeded', () => assertTrap(trapping(BODIES.recurse), C.TRAP_CODE_CALL_STACK_EXHAUSTED));

test('data segment is out of bounds (instantiation)', () => {
  const wasm = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 0, 11, 7, 1, 0, 0x41, 0, 0x0b, 1, 0x2a]);
  const s = new Session(() => [], C);
  assert.throws(() => s.instantiate(s.compile(wasm), []), (e) => e.kind === 'instantiation_trap' && e.detail.code === C.TRAP_CODE_MEMORY_OUT_OF_BOUNDS);
});

test('element segment out of bounds (instantiation)', () => {
  const wasm = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 4, 4, 1, 0x70, 0, 0, 9, 7, 1, 0, 0x41, 0, 0x0b, 1, 0, 10, 4, 1, 2, 0, 0x0b]);
  const s = new Session(() => [], C);
  assert.throws(() => s.instantiate(s.compile(wasm), []), (e) => e.kind === 'instantiation_trap' && e.detail.code === C.TRAP_CODE_TABLE_OUT_OF_BOUNDS);
});

test('a host trap keeps its message', () => {
  const wasm = buildModule({ types: [[[], [I32]]], funcs: [[0, [0x10, 0]]], imports: [['env', 'f', 0]], exports: [['run', 0, 1]] });
  const s = new Session(() => new HostTrap('host said no'), C);
  const f = s.hostFunc({ params: [], results: [pb.ValType.VAL_TYPE_I32] });
  const instance = s.instantiate(s.compile(wasm), [f]);
  assert.deepStrictEqual(s.invoke({ instance, export: 'run', args: [] }).trapped, { code: C.TRAP_CODE_HOST, message: 'host said no' });
});

test('an unknown RuntimeError is reported as unmapped, not guessed', () => {
  const trap = trapOf(new WebAssembly.RuntimeError('something new'), C);
  assert.deepStrictEqual(trap, { code: C.TRAP_CODE_HOST, message: `${traps.UNMAPPED_PREFIX}RuntimeError: something new` });
  assert.strictEqual(trapOf(new RangeError('Invalid array length'), C), null);
  assert.strictEqual(trapOf(new TypeError('x'), C), null);
});

test('every mapping names a spec trap; aliases name mapped traps', () => {
  const spec = new Set(['unreachable', 'integer divide by zero', 'integer overflow', 'invalid conversion to integer', 'out of bounds memory access', 'out of bounds table access', 'undefined element', 'uninitialized element', 'indirect call type mismatch', 'call stack exhausted']);
  for (const target of traps.RUNTIME_ERRORS.values()) assert.ok(spec.has(target), target);
  for (const [given, stands] of traps.TRAP_ALIASES) { assert.ok(spec.has(given)); assert.ok(spec.has(stands)); }
});

test('export names keep a leading byte-order mark', () => {
  const wasmbin = require('../lib/wasmbin');
  // (module (func) (export "\u{feff}" (func 0))): the name is the three bytes EF BB BF.
  const bytes = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x07, 0x01, 0x03, 0xef, 0xbb, 0xbf, 0x00, 0x00,
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b];
  assert.deepStrictEqual(wasmbin.parse(bytes).exports.map((e) => e.name), ['\u{feff}']);
});
