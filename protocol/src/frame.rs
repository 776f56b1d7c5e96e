//! Framing: each message is its length in bytes as a little-endian `u32`, then exactly that many
//! bytes holding one protobuf message (`docs/adapter-protocol.md`, "Framing").
//!
//! Invariants: a frame longer than [`MAX_FRAME`] is refused before anything is allocated for it;
//! a frame's buffer grows only as bytes actually arrive, so a lying length costs nothing; end of
//! input exactly between frames is [`FrameError::Eof`], anywhere else [`FrameError::Truncated`].

use std::io::{self, Read, Write};

use prost::Message;
use thiserror::Error;

/// The largest frame either side accepts: 1 GiB.
pub const MAX_FRAME: u32 = 1 << 30;

/// Why a frame could not be read or decoded.
#[derive(Debug, Error)]
pub enum FrameError {
    /// The input ended cleanly between two frames.
    #[error("end of input")]
    Eof,
    /// The input ended inside a frame.
    #[error("input ended inside a frame: {got} of {expected} bytes")]
    Truncated {
        /// Bytes the frame (or its length prefix) needed.
        expected: u64,
        /// Bytes that arrived.
        got: u64,
    },
    /// The length prefix announces more than [`MAX_FRAME`] bytes.
    #[error("frame of {0} bytes exceeds the 1 GiB limit")]
    TooLarge(u32),
    /// Reading or writing failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The frame's bytes are not a valid protobuf message of the expected type.
    #[error("undecodable message: {0}")]
    Decode(#[from] prost::DecodeError),
}

/// Writes `message` as one frame and flushes.
pub fn write_message<M: Message>(writer: &mut impl Write, message: &M) -> io::Result<()> {
    let body = message.encode_to_vec();
    let length = u32::try_from(body.len())
        .ok()
        .filter(|length| *length <= MAX_FRAME)
        .ok_or_else(|| io::Error::other(format!("message of {} bytes is too large", body.len())))?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&length.to_le_bytes());
    frame.extend_from_slice(&body);
    writer.write_all(&frame)?;
    writer.flush()
}

/// Reads one frame's bytes.
pub fn read_frame(reader: &mut impl Read) -> Result<Vec<u8>, FrameError> {
    let mut prefix = [0u8; 4];
    let got = read_full(reader, &mut prefix)?;
    if got == 0 {
        return Err(FrameError::Eof);
    }
    if got < prefix.len() {
        return Err(FrameError::Truncated {
            expected: 4,
            got: got as u64,
        });
    }
    let length = u32::from_le_bytes(prefix);
    if length > MAX_FRAME {
        return Err(FrameError::TooLarge(length));
    }
    let mut body = Vec::new();
    let got = reader.take(u64::from(length)).read_to_end(&mut body)?;
    if got < length as usize {
        return Err(FrameError::Truncated {
            expected: u64::from(length),
            got: got as u64,
        });
    }
    Ok(body)
}

/// Reads and decodes one message.
pub fn read_message<M: Message + Default>(reader: &mut impl Read) -> Result<M, FrameError> {
    let body = read_frame(reader)?;
    Ok(M::decode(body.as_slice())?)
}

/// Fills `buffer` as far as the input allows; returns how many bytes arrived.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb;

    fn hello() -> pb::ToAdapter {
        pb::ToAdapter {
            message: Some(pb::to_adapter::Message::Request(pb::Request {
                kind: Some(pb::request::Kind::Hello(pb::Hello {
                    protocol_version: pb::ProtocolVersion::ProtocolVersion1 as i32,
                })),
            })),
        }
    }

    #[test]
    fn round_trips_and_prefixes_little_endian_length() {
        let mut bytes = Vec::new();
        write_message(&mut bytes, &hello()).unwrap();
        let body_len = hello().encoded_len();
        assert_eq!(&bytes[..4], &(body_len as u32).to_le_bytes());
        let mut reader = bytes.as_slice();
        let back: pb::ToAdapter = read_message(&mut reader).unwrap();
        assert_eq!(back, hello());
        assert!(matches!(
            read_message::<pb::ToAdapter>(&mut reader),
            Err(FrameError::Eof)
        ));
    }

    #[test]
    fn truncation_and_oversize_are_typed() {
        let mut bytes = Vec::new();
        write_message(&mut bytes, &hello()).unwrap();
        for cut in 1..bytes.len() {
            let error = read_frame(&mut &bytes[..cut]).unwrap_err();
            assert!(
                matches!(error, FrameError::Truncated { .. }),
                "{cut}: {error}"
            );
        }
        let huge = (MAX_FRAME + 1).to_le_bytes();
        assert!(matches!(
            read_frame(&mut &huge[..]),
            Err(FrameError::TooLarge(_))
        ));
        // A lying length with few bytes behind it allocates only what arrived.
        let mut lying = MAX_FRAME.to_le_bytes().to_vec();
        lying.extend_from_slice(b"abc");
        assert!(matches!(
            read_frame(&mut lying.as_slice()),
            Err(FrameError::Truncated { got: 3, .. })
        ));
    }

    #[test]
    fn garbage_body_is_a_decode_error() {
        let garbage = [3u8, 0, 0, 0, 0xff, 0xff, 0xff];
        assert!(matches!(
            read_message::<pb::FromAdapter>(&mut &garbage[..]),
            Err(FrameError::Decode(_))
        ));
    }
}
