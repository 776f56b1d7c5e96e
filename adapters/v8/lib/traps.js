'use strict';
// V8's trap messages mapped onto baton's closed trap set (engines/api/src/trap.rs).
//
// V8 throws a `WebAssembly.RuntimeError` whose message is the trap's (prefixed with
// "WebAssembly.Instance(): " during instantiation), and a `RangeError` when the stack runs out.
// Each mapping below is exact on the message; any other message is *unmapped*: reported as a
// host trap saying so (UNMAPPED_PREFIX), never as a guessed spec trap.
//
// | V8 message                                     | baton trap                      |
// | ---------------------------------------------- | ------------------------------- |
// | RuntimeError: unreachable                      | unreachable                     |
// | RuntimeError: divide by zero                   | integer divide by zero          |
// | RuntimeError: remainder by zero                | integer divide by zero          |
// | RuntimeError: divide result unrepresentable    | integer overflow                |
// | RuntimeError: float unrepresentable in integer range | invalid conversion to integer (*) |
// | RuntimeError: memory access out of bounds      | out of bounds memory access     |
// | RuntimeError: data segment is out of bounds    | out of bounds memory access     |
// | RuntimeError: table index is out of bounds     | out of bounds table access (*)  |
// | RuntimeError: element segment out of bounds    | out of bounds table access      |
// | RuntimeError: null function or function signature mismatch | indirect call type mismatch (*) |
// | RangeError: Maximum call stack size exceeded   | call stack exhausted            |
//
// (*) V8 gives one message for two spec traps; the adapter reports V8's own meaning and
// declares the other as a trap alias in its handshake (TRAP_ALIASES), as the protocol
// provides: "table index is out of bounds" also stands for the spec's "undefined element"
// (call_indirect past the table's end), "null function or function signature mismatch" also
// for "uninitialized element" (call_indirect through a null entry), "float unrepresentable in
// integer range" also for the spec's "integer overflow" (a finite float out of range).

const UNMAPPED_PREFIX = 'unmapped engine trap (v8): ';

const RUNTIME_ERRORS = new Map([
  ['unreachable', 'unreachable'],
  ['divide by zero', 'integer divide by zero'],
  ['remainder by zero', 'integer divide by zero'],
  ['divide result unrepresentable', 'integer overflow'],
  ['float unrepresentable in integer range', 'invalid conversion to integer'],
  ['memory access out of bounds', 'out of bounds memory access'],
  ['data segment is out of bounds', 'out of bounds memory access'],
  ['table index is out of bounds', 'out of bounds table access'],
  ['element segment out of bounds', 'out of bounds table access'],
  ['null function or function signature mismatch', 'indirect call type mismatch'],
]);

const STACK_OVERFLOW = 'Maximum call stack size exceeded';

// (trap the adapter reports, spec message it also stands for)
const TRAP_ALIASES = [
  ['out of bounds table access', 'undefined element'],
  ['indirect call type mismatch', 'uninitialized element'],
  ['invalid conversion to integer', 'integer overflow'],
];

/** The message without V8's "WebAssembly.Xxx(): " API prefix. */
function baseMessage(message) {
  return String(message).replace(/^WebAssembly\.[A-Za-z]+\(\): /, '');
}

/** `{ spec }` for a mapped trap, `{ unmapped }` (a host trap message) otherwise; `null` when
 * `error` is not a trap at all (a JS error of the adapter or the harness). */
function classify(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    const base = baseMessage(error.message);
    const spec = RUNTIME_ERRORS.get(base);
    return spec ? { spec } : { unmapped: `${UNMAPPED_PREFIX}RuntimeError: ${base}` };
  }
  if (error instanceof RangeError && error.message === STACK_OVERFLOW) {
    return { spec: 'call stack exhausted' };
  }
  return null;
}

module.exports = { classify, baseMessage, RUNTIME_ERRORS, TRAP_ALIASES, UNMAPPED_PREFIX };
