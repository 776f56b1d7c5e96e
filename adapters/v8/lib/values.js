'use strict';
// Protocol values (exact bit patterns) <-> JS values as the JS API passes them: i32 as a
// Number, i64 as a BigInt, f32/f64 as Numbers, funcref as a function or null, externref as any
// JS value (here: the harness's u64 handle as a BigInt, or null).
//
// f64 bit patterns survive the JS boundary; an f32 goes through float->double->float, which
// keeps values and NaN payloads except that a signalling NaN comes back quiet (the harness
// compares NaNs of one type as equal, see harness/src/fuzz/observation.rs).

const Long = require('long');

const scratch = new DataView(new ArrayBuffer(8));

const has = (message, field) => Object.prototype.hasOwnProperty.call(message, field);

class ValueError extends Error {}

function u64(long) { return BigInt.asUintN(64, BigInt(Long.fromValue(long).toUnsigned().toString())); }
function toLong(big) { return Long.fromString(BigInt.asUintN(64, big).toString(), true); }

/** A protocol Value (decoded message) as the JS value for `type`; `funcs` resolves funcref ids. */
function toJs(value, type, funcs) {
  const kind = value && value.kind;
  if (kind !== type) throw new ValueError(`expected ${type}, got ${kind || 'no value'}`);
  switch (kind) {
    case 'i32': return value.i32 | 0;
    case 'i64': return BigInt.asIntN(64, u64(value.i64));
    case 'f32': scratch.setUint32(0, value.f32 >>> 0, true); return scratch.getFloat32(0, true);
    case 'f64': scratch.setBigUint64(0, u64(value.f64), true); return scratch.getFloat64(0, true);
    case 'funcref': return !has(value.funcref, 'id') ? null : funcs.byId(value.funcref.id);
    case 'externref': return !has(value.externref, 'handle') ? null : u64(value.externref.handle);
    default: throw new ValueError(`unsupported value kind ${kind}`);
  }
}

/** A JS value of `type` as a protocol Value object; `funcs` assigns funcref ids. */
function fromJs(js, type, funcs) {
  switch (type) {
    case 'i32': return { i32: js >>> 0 };
    case 'i64': return { i64: toLong(BigInt(js)) };
    case 'f32': scratch.setFloat32(0, js, true); return { f32: scratch.getUint32(0, true) };
    case 'f64': scratch.setFloat64(0, js, true); return { f64: toLong(scratch.getBigUint64(0, true)) };
    case 'funcref': return { funcref: js === null ? {} : { id: funcs.idOf(js) } };
    case 'externref':
      if (js === null) return { externref: {} };
      if (typeof js !== 'bigint') throw new ValueError('externref that is not a harness handle');
      return { externref: { handle: toLong(js) } };
    default: throw new ValueError(`${type} values are not supported`);
  }
}

/** The JS API's name for a value type (WebAssembly.Global/Table descriptors). */
function apiType(type) { return type === 'funcref' ? 'anyfunc' : type; }

module.exports = { toJs, fromJs, apiType, ValueError };
