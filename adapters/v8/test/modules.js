'use strict';
// Tiny hand-assembled modules for the adapter's tests (no WAT tool needed).

function uleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const vec = (items) => [...uleb(items.length), ...items.flat()];
const name = (text) => { const raw = [...Buffer.from(text)]; return [...uleb(raw.length), ...raw]; };
const section = (id, payload) => [id, ...uleb(payload.length), ...payload];

const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c;

/** types: [[params], [results]]; funcs: [typeIndex, bodyBytes]; imports: [module, name, typeIndex];
 * exports: [name, kind, index]; elements: [offset, [funcIndices]]. */
function buildModule({ types, funcs, imports = [], memory, table, elements = [], exports = [] }) {
  let out = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  out = out.concat(section(1, vec(types.map(([ps, rs]) => [0x60, ...vec(ps.map((p) => [p])), ...vec(rs.map((r) => [r]))]))));
  if (imports.length) out = out.concat(section(2, vec(imports.map(([m, n, t]) => [...name(m), ...name(n), 0, ...uleb(t)]))));
  out = out.concat(section(3, vec(funcs.map(([t]) => uleb(t)))));
  if (table !== undefined) out = out.concat(section(4, vec([[0x70, 0, ...uleb(table)]])));
  if (memory !== undefined) out = out.concat(section(5, vec([[0, ...uleb(memory)]])));
  if (exports.length) out = out.concat(section(7, vec(exports.map(([n, k, i]) => [...name(n), k, ...uleb(i)]))));
  if (elements.length) {
    out = out.concat(section(9, vec(elements.map(([off, fs]) => [0, 0x41, ...uleb(off), 0x0b, ...vec(fs.map((f) => uleb(f)))]))));
  }
  out = out.concat(section(10, vec(funcs.map(([, code]) => { const body = [0, ...code, 0x0b]; return [...uleb(body.length), ...body]; }))));
  return Uint8Array.from(out);
}

const BODIES = {
  unreachable: [0x00],
  divByZero: [0x41, 1, 0x41, 0, 0x6d],
  overflow: [0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x41, 0x7f, 0x6d],
  badConversion: [0x43, 0, 0, 0xc0, 0x7f, 0xa8],
  memoryOob: [0x41, 0x80, 0x80, 0x04, 0x28, 2, 0],
  recurse: [0x10, 0],
  callIndirect: (index) => [0x41, ...uleb(index), 0x11, 0, 0],
};

/** One exported function `run: () -> i32` with `body` (function 1 has another type). */
function trapping(body, extra = {}) {
  return buildModule({ types: [[[], [I32]], [[I64], []]], funcs: [[0, body], [1, []]], exports: [['run', 0, 0]], ...extra });
}

module.exports = { buildModule, trapping, BODIES, I32, I64, F32, F64 };
