"""baton's Wasm3 adapter: `python adapter.py` speaks the adapter protocol on stdin/stdout.

Requires the packages of requirements.txt and the generated `gen/*_pb2.py` (both made by
scripts/setup.sh). See README.md for what it supports and the trap mapping.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "gen"))
sys.path.insert(0, HERE)


def main():
    # Wasm3 and Python may print; the protocol owns the real stdout, humans get stderr.
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    try:
        from baton_wasm3.server import serve
    except ImportError as error:
        sys.stderr.write(f"wasm3 adapter: cannot start ({error}); run scripts/setup.sh\n")
        return 2
    return serve(sys.stdin.buffer, protocol_out)


if __name__ == "__main__":
    sys.exit(main())
