#!/usr/bin/env bash
# Sets up the V8 adapter: `npm ci` (protobufjs, pinned by package-lock.json). Idempotent; skips
# with one line (exit 0) when node or npm is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "v8 adapter: skipped ($tool not found)"
        exit 0
    fi
done
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.setup" 2>/dev/null; then
    (cd "$here" && npm ci --silent --no-audit --no-fund)
    cp "$here/package-lock.json" "$here/node_modules/.package-lock.json.setup"
fi
echo "v8 adapter: ready (node $(node --version))"
