'use strict';
// Linking by position although the JS API links by name: a module importing one
// `module.name` twice gets each import's own entity, in import order.

const test = require('node:test');
const assert = require('node:assert');
const { buildModule, I32 } = require('./modules');
const { Session } = require('../lib/session');
const pb = require('../lib/proto').load();

// run = f0() * 10 + f1() where f0 and f1 are both imported as env.f.
const TWICE = buildModule({
  types: [[[], [I32]]],
  imports: [['env', 'f', 0], ['env', 'f', 0]],
  funcs: [[0, [0x10, 0, 0x41, 10, 0x6c, 0x10, 1, 0x6a]]],
  exports: [['run', 0, 2]],
});

function session() {
  const answers = new Map();
  const s = new Session((id) => [{ kind: 'i32', i32: answers.get(id) }], pb.TrapCode);
  const host = (answer) => {
    const f = s.hostFunc({ params: [], results: [pb.ValType.VAL_TYPE_I32] });
    answers.set(f.id, answer);
    return f;
  };
  return { s, host };
}

test('one name imported twice links each import to its own entity, in order', () => {
  const { s, host } = session();
  const module = s.compile(TWICE);
  const instance = s.instantiate(module, [host(1), host(2)]);
  assert.deepStrictEqual(s.invoke({ instance, export: 'run', args: [] }).returned, { values: [{ i32: 12 }] });
  // A second instantiation of the same module starts the order afresh.
  const again = s.instantiate(module, [host(3), host(4)]);
  assert.deepStrictEqual(s.invoke({ instance: again, export: 'run', args: [] }).returned, { values: [{ i32: 34 }] });
});

test('one name imported twice with one entity still links', () => {
  const { s, host } = session();
  const f = host(5);
  const instance = s.instantiate(s.compile(TWICE), [f, f]);
  assert.deepStrictEqual(s.invoke({ instance, export: 'run', args: [] }).returned, { values: [{ i32: 55 }] });
});
