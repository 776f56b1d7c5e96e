"""Wasm3's trap messages mapped onto baton's closed trap set.

Wasm3 reports a trap as an error string (`wasm3.h`, `m3Err_trap*`), which pywasm3 raises as
`RuntimeError("<message>")` or `RuntimeError("<message> (<detail>)")`. Each mapping below is
exact on the message; a `[trap]` message not listed is *unmapped*: the adapter reports it as a
host trap whose message says so (`UNMAPPED_PREFIX`), never as a guessed spec trap.

| Wasm3 message                          | baton trap                       |
| -------------------------------------- | -------------------------------- |
| `[trap] unreachable executed`          | unreachable                      |
| `[trap] integer divide by zero`        | integer divide by zero           |
| `[trap] integer overflow`              | integer overflow                 |
| `[trap] invalid conversion to integer` | invalid conversion to integer    |
| `[trap] out of bounds memory access`   | out of bounds memory access      |
| `[trap] undefined element`             | undefined element                |
| `[trap] null table element`            | uninitialized element            |
| `[trap] indirect call type mismatch`   | indirect call type mismatch      |
| `[trap] stack overflow`                | call stack exhausted             |

Instantiation-time load errors that WebAssembly 2.0 makes traps (Wasm3 checks segments before
running anything, as WebAssembly 1.0 did, and reports a load error; under 2.0 the same module
traps while instantiating). Mapped only at instantiation (`LOAD_TRAPS`):

| Wasm3 load error                       | baton instantiation trap         |
| -------------------------------------- | -------------------------------- |
| `data segment out of bounds`           | out of bounds memory access      |
| `table underflow`                      | out of bounds table access       |

Not mapped (reported as unmapped): `[trap] program called exit`, `[trap] program called abort`
(WASI only), and anything else. Wasm3 has no "out of bounds table access" trap of its own: it
implements no table instructions (reference types), so no mapping is needed.
"""

UNREACHABLE = "unreachable"
INTEGER_DIVIDE_BY_ZERO = "integer divide by zero"
INTEGER_OVERFLOW = "integer overflow"
INVALID_CONVERSION = "invalid conversion to integer"
MEMORY_OUT_OF_BOUNDS = "out of bounds memory access"
UNDEFINED_ELEMENT = "undefined element"
UNINITIALIZED_ELEMENT = "uninitialized element"
INDIRECT_CALL_TYPE_MISMATCH = "indirect call type mismatch"
CALL_STACK_EXHAUSTED = "call stack exhausted"
TABLE_OUT_OF_BOUNDS = "out of bounds table access"

# Wasm3 message -> baton trap (the spec message, see engines/api/src/trap.rs).
MAPPING = {
    "[trap] unreachable executed": UNREACHABLE,
    "[trap] integer divide by zero": INTEGER_DIVIDE_BY_ZERO,
    "[trap] integer overflow": INTEGER_OVERFLOW,
    "[trap] invalid conversion to integer": INVALID_CONVERSION,
    "[trap] out of bounds memory access": MEMORY_OUT_OF_BOUNDS,
    "[trap] undefined element": UNDEFINED_ELEMENT,
    "[trap] null table element": UNINITIALIZED_ELEMENT,
    "[trap] indirect call type mismatch": INDIRECT_CALL_TYPE_MISMATCH,
    "[trap] stack overflow": CALL_STACK_EXHAUSTED,
}

# Wasm3 load error -> baton instantiation trap (see the second table above).
LOAD_TRAPS = {
    "data segment out of bounds": MEMORY_OUT_OF_BOUNDS,
    "table underflow": TABLE_OUT_OF_BOUNDS,
}

UNMAPPED_PREFIX = "unmapped engine trap (wasm3): "


def base_message(text):
    """The Wasm3 error without pywasm3's ` (<detail>)` suffix."""
    for known in MAPPING:
        if text == known or text.startswith(known + " ("):
            return known
    return text.split(" (", 1)[0]


def is_trap(text):
    """Whether a Wasm3 error message is a trap (as opposed to a load or compile error)."""
    return text.startswith("[trap]")


def load_trap(text):
    """The instantiation trap a Wasm3 load error stands for under WebAssembly 2.0, or None."""
    return LOAD_TRAPS.get(text.split(" (", 1)[0])


def classify(text):
    """`(spec_message, None)` for a mapped trap, `(None, unmapped_host_message)` otherwise."""
    base = base_message(text)
    mapped = MAPPING.get(base)
    if mapped is not None:
        return mapped, None
    return None, UNMAPPED_PREFIX + text
