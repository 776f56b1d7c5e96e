"""Runs code on a thread with a large native stack.

Wasm3 calls Wasm functions by native recursion; its own stack (`session.STACK_BYTES`) must
overflow — a clean `[trap] stack overflow` — before the C stack does (a crash). A 256 MiB
thread stack (reserved, committed only as used) leaves ample room for that.
"""

import threading

NATIVE_STACK_BYTES = 256 << 20


def run(function, *args):
    """`function(*args)` on a big-stack thread; returns its result or raises its exception."""
    outcome = {}

    def body():
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - re-raised on the caller's thread
            outcome["error"] = error

    previous = threading.stack_size(NATIVE_STACK_BYTES)
    try:
        thread = threading.Thread(target=body, name="wasm3")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
