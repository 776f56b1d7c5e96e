'use strict';
// A minimal reader of a module binary's declarations that the JS API does not expose (Node 20
// has no type reflection): function types, global types, imports and exports with indices.
// It checks only what it reads; malformed input throws BinaryError, nothing else.

const VALTYPES = new Map([[0x7f, 'i32'], [0x7e, 'i64'], [0x7d, 'f32'], [0x7c, 'f64'], [0x7b, 'v128'], [0x70, 'funcref'], [0x6f, 'externref']]);
const KINDS = ['func', 'table', 'memory', 'global'];

class BinaryError extends Error {}

class Reader {
  constructor(bytes, pos, end) { this.bytes = bytes; this.pos = pos; this.end = end; }
  byte() {
    if (this.pos >= this.end) throw new BinaryError('unexpected end of section');
    return this.bytes[this.pos++];
  }
  skip(count) {
    if (count > this.end - this.pos) throw new BinaryError('unexpected end of section');
    this.pos += count;
  }
  uleb() {
    let result = 0n, shift = 0n, b;
    do {
      b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (shift > 70n) throw new BinaryError('integer representation too long');
    } while (b & 0x80);
    if (result > 0xffffffffn) throw new BinaryError('integer too large');
    return Number(result);
  }
  sleb() {
    let b;
    let count = 0;
    do { b = this.byte(); count += 1; if (count > 10) throw new BinaryError('integer representation too long'); } while (b & 0x80);
  }
  name() {
    const length = this.uleb();
    const start = this.pos;
    this.skip(length);
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(this.bytes.subarray(start, start + length));
  }
  valtype() {
    const code = this.byte();
    const type = VALTYPES.get(code);
    if (!type) throw new BinaryError(`unknown value type 0x${code.toString(16)}`);
    return type;
  }
  limits() {
    const flag = this.byte();
    if (flag > 1) throw new BinaryError(`unsupported limits flag 0x${flag.toString(16)}`);
    this.uleb();
    if (flag === 1) this.uleb();
  }
  constExpr() {
    for (;;) {
      const op = this.byte();
      if (op === 0x0b) return;
      if (op === 0x41 || op === 0x42) this.sleb();
      else if (op === 0x43) this.skip(4);
      else if (op === 0x44) this.skip(8);
      else if (op === 0x23 || op === 0xd2) this.uleb();
      else if (op === 0xd0) this.byte();
      else throw new BinaryError(`unsupported constant expression opcode 0x${op.toString(16)}`);
    }
  }
}

/** { types: [{params, results}], imports: [{module, name, kind, type?, global?}],
 * funcTypes: [typeIndex], globalTypes: [{type, mutable}], tableTypes: [valtype], exports: [{name, kind, index}],
 * funcImports } */
function parse(input) {
  const bytes = input instanceof Uint8Array ? input : Uint8Array.from(input);
  const header = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  if (bytes.length < 8 || header.some((b, i) => bytes[i] !== b)) throw new BinaryError('magic header or version not detected');
  const info = { types: [], imports: [], funcTypes: [], globalTypes: [], tableTypes: [], exports: [], funcImports: 0 };
  const top = new Reader(bytes, 8, bytes.length);
  while (top.pos < top.end) {
    const id = top.byte();
    const size = top.uleb();
    if (size > top.end - top.pos) throw new BinaryError('section size mismatch');
    const r = new Reader(bytes, top.pos, top.pos + size);
    top.pos += size;
    if (id === 1) {
      for (let n = r.uleb(); n > 0; n--) {
        if (r.byte() !== 0x60) throw new BinaryError('malformed function type');
        const params = []; for (let k = r.uleb(); k > 0; k--) params.push(r.valtype());
        const results = []; for (let k = r.uleb(); k > 0; k--) results.push(r.valtype());
        info.types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.uleb(); n > 0; n--) {
        const imp = { module: r.name(), name: r.name(), kind: KINDS[r.byte()] };
        if (imp.kind === 'func') {
          imp.type = r.uleb();
          if (imp.type >= info.types.length) throw new BinaryError('unknown type');
          info.funcTypes.push(imp.type);
          info.funcImports += 1;
        } else if (imp.kind === 'table') { info.tableTypes.push(r.valtype()); r.limits(); }
        else if (imp.kind === 'memory') r.limits();
        else if (imp.kind === 'global') { imp.global = { type: r.valtype(), mutable: r.byte() === 1 }; info.globalTypes.push(imp.global); }
        else throw new BinaryError('malformed import kind');
        info.imports.push(imp);
      }
    } else if (id === 3) {
      for (let n = r.uleb(); n > 0; n--) {
        const t = r.uleb();
        if (t >= info.types.length) throw new BinaryError('unknown type');
        info.funcTypes.push(t);
      }
    } else if (id === 4) {
      for (let n = r.uleb(); n > 0; n--) { info.tableTypes.push(r.valtype()); r.limits(); }
    } else if (id === 6) {
      for (let n = r.uleb(); n > 0; n--) { info.globalTypes.push({ type: r.valtype(), mutable: r.byte() === 1 }); r.constExpr(); }
    } else if (id === 7) {
      for (let n = r.uleb(); n > 0; n--) {
        const exp = { name: r.name(), kind: KINDS[r.byte()], index: r.uleb() };
        if (!exp.kind) throw new BinaryError('malformed export kind');
        info.exports.push(exp);
      }
    }
  }
  for (const exp of info.exports) {
    if (exp.kind === 'func' && exp.index >= info.funcTypes.length) throw new BinaryError('unknown function');
    if (exp.kind === 'global' && exp.index >= info.globalTypes.length) throw new BinaryError('unknown global');
    if (exp.kind === 'table' && exp.index >= info.tableTypes.length) throw new BinaryError('unknown table');
  }
  return info;
}

function funcType(info, index) { return info.types[info.funcTypes[index]]; }

module.exports = { parse, funcType, BinaryError };
