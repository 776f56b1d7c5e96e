'use strict';
// The protocol's message types, loaded at start-up from the repository's .proto files with
// protobufjs (no generated code): protocol/proto/adapter.proto imports
// checkpoint/proto/baton.proto.

const path = require('node:path');
const fs = require('node:fs');
const protobuf = require('protobufjs');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const INCLUDES = [path.join(ROOT, 'protocol', 'proto'), path.join(ROOT, 'checkpoint', 'proto')];

function load() {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of INCLUDES) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync('adapter.proto', { keepCase: true });
  root.resolveAll();
  const pkg = 'baton.adapter.v1.';
  const type = (name) => root.lookupType(pkg + name);
  const enumValues = (name) => root.lookupEnum(pkg + name).values;
  return {
    ToAdapter: type('ToAdapter'),
    FromAdapter: type('FromAdapter'),
    ValType: enumValues('ValType'),
    ExternKind: enumValues('ExternKind'),
    TrapCode: enumValues('TrapCode'),
    Operation: enumValues('Operation'),
    ProtocolVersion: enumValues('ProtocolVersion'),
    LimitationKind: enumValues('LimitationKind'),
  };
}

module.exports = { load };
