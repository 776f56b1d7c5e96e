"""Framing: each message is its length as a little-endian u32, then that many protobuf bytes."""

import struct

MAX_FRAME = 1 << 30


class FramingError(Exception):
    """The input stream is not a sequence of frames."""


def read_frame(stream):
    """Reads one frame's bytes; None at a clean end of input between frames."""
    prefix = _read_exact(stream, 4, allow_eof=True)
    if prefix is None:
        return None
    (length,) = struct.unpack("<I", prefix)
    if length > MAX_FRAME:
        raise FramingError(f"frame of {length} bytes exceeds the 1 GiB limit")
    body = _read_exact(stream, length, allow_eof=False)
    return body


def write_frame(stream, body):
    """Writes one frame and flushes."""
    if len(body) > MAX_FRAME:
        raise FramingError(f"message of {len(body)} bytes is too large")
    stream.write(struct.pack("<I", len(body)) + body)
    stream.flush()


def _read_exact(stream, count, allow_eof):
    chunks = []
    got = 0
    while got < count:
        chunk = stream.read(min(count - got, 1 << 20))
        if not chunk:
            if got == 0 and allow_eof:
                return None
            raise FramingError(f"input ended inside a frame: {got} of {count} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
