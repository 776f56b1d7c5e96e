'use strict';
// Framing on file descriptors, synchronously (host calls happen inside a synchronous Wasm call):
// each message is its length as a little-endian u32, then that many protobuf bytes.

const fs = require('node:fs');

const MAX_FRAME = 2 ** 30;

class FramingError extends Error {}

function readExact(fd, count, allowEof) {
  const buffer = Buffer.alloc(count);
  let got = 0;
  while (got < count) {
    let n;
    try {
      n = fs.readSync(fd, buffer, got, count - got, null);
    } catch (error) {
      if (error.code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (error.code === 'EOF') n = 0;
      else throw error;
    }
    if (n === 0) {
      if (got === 0 && allowEof) return null;
      throw new FramingError(`input ended inside a frame: ${got} of ${count} bytes`);
    }
    got += n;
  }
  return buffer;
}

/** One frame's bytes from `fd`; null at a clean end of input between frames. */
function readFrame(fd) {
  const prefix = readExact(fd, 4, true);
  if (prefix === null) return null;
  const length = prefix.readUInt32LE(0);
  if (length > MAX_FRAME) throw new FramingError(`frame of ${length} bytes exceeds the 1 GiB limit`);
  return readExact(fd, length, false);
}

/** Writes one frame to `fd`. */
function writeFrame(fd, body) {
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32LE(body.length, 0);
  Buffer.from(body.buffer, body.byteOffset, body.length).copy(frame, 4);
  let written = 0;
  while (written < frame.length) {
    try {
      written += fs.writeSync(fd, frame, written, frame.length - written);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

module.exports = { readFrame, writeFrame, FramingError, MAX_FRAME };
