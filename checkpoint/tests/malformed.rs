//! Malformed, truncated, non-canonical and oversize inputs: each is a typed error, never a panic.

mod common;

use baton_checkpoint::codec::{Limit, HEADER_LEN};
use baton_checkpoint::structure::{Slot, StructureError};
use baton_checkpoint::{
    decode, encode, Chunk, DecodeError, DecodeLimits, Frame, HostSection, Image, Label, Memory,
    Table, Value, FORMAT_VERSION, MAGIC,
};
use common::*;
use prost::Message;

fn with_header(body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::from(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// Encodes with prost alone, bypassing `encode` (the decoder must catch what prost allows).
fn raw(image: &Image) -> Vec<u8> {
    with_header(&image.encode_to_vec())
}

fn decode_default(bytes: &[u8]) -> Result<Image, DecodeError> {
    decode(bytes, &DecodeLimits::default())
}

#[test]
fn every_truncation_is_an_error() {
    let analysis = sample_analysis();
    let mut image = nested_image(&analysis);
    image.host_sections.push(HostSection {
        name: "trace".into(),
        data: vec![1, 2, 3],
    });
    let bytes = encode(&image);
    assert_eq!(decode_default(&bytes), Ok(image));
    for len in 0..bytes.len() {
        assert!(
            decode_default(&bytes[..len]).is_err(),
            "prefix of {len} bytes decoded"
        );
    }
}

#[test]
fn header_errors() {
    assert_eq!(
        decode_default(b"BATON"),
        Err(DecodeError::TooShort { len: 5 })
    );
    let mut bytes = encode(&Image {
        module_sha256: vec![0; 32],
        ..Image::default()
    });
    assert!(decode_default(&bytes).is_ok());
    bytes[0] = b'X';
    assert_eq!(decode_default(&bytes), Err(DecodeError::BadMagic));
    bytes[0] = b'B';
    bytes[8] = 2;
    assert_eq!(
        decode_default(&bytes),
        Err(DecodeError::UnsupportedVersion { version: 2 })
    );
    bytes[8] = 1;
    bytes.push(0);
    assert_eq!(
        decode_default(&bytes),
        Err(DecodeError::LengthMismatch {
            announced: 34,
            actual: 35
        })
    );
}

fn minimal() -> Image {
    Image {
        module_sha256: vec![7; 32],
        ..Image::default()
    }
}

#[test]
fn non_canonical_encodings_are_rejected() {
    let canonical = minimal().encode_to_vec();
    // An unknown field appended.
    let mut unknown = canonical.clone();
    unknown.extend_from_slice(&[0x48, 0x01]); // field 9, varint 1
    assert!(matches!(
        decode_default(&with_header(&unknown)),
        Err(DecodeError::NotCanonical { .. })
    ));
    // The hash field written twice (prost keeps the last one).
    let mut twice = canonical.clone();
    twice.extend_from_slice(&canonical);
    assert!(matches!(
        decode_default(&with_header(&twice)),
        Err(DecodeError::NotCanonical { .. })
    ));
    // A non-minimal length varint: 32 as `a0 00`.
    let mut long_varint = vec![0x0a, 0xa0, 0x00];
    long_varint.extend_from_slice(&[7; 32]);
    assert!(matches!(
        decode_default(&with_header(&long_varint)),
        Err(DecodeError::NotCanonical { .. })
    ));
    // dropped_data unpacked (field 5 as two varint fields) instead of packed.
    let mut image = minimal();
    image.dropped_data = vec![true, false];
    let packed = image.encode_to_vec();
    let mut unpacked = minimal().encode_to_vec();
    unpacked.extend_from_slice(&[0x28, 0x01, 0x28, 0x00]);
    assert_eq!(decode_default(&with_header(&packed)), Ok(image.clone()));
    assert!(matches!(
        decode_default(&with_header(&unpacked)),
        Err(DecodeError::NotCanonical { .. })
    ));
    // A default-valued scalar written explicitly: memory pages = 0 as `08 00`.
    let mut explicit = minimal().encode_to_vec();
    explicit.extend_from_slice(&[0x12, 0x02, 0x08, 0x00]);
    assert!(matches!(
        decode_default(&with_header(&explicit)),
        Err(DecodeError::NotCanonical { .. })
    ));
    // Fields out of tag order: a global (field 3) before the hash (field 1).
    let mut global_first = vec![0x1a, 0x02, 0x08, 0x05];
    global_first.extend_from_slice(&canonical);
    assert!(matches!(
        decode_default(&with_header(&global_first)),
        Err(DecodeError::NotCanonical { .. })
    ));
}

#[test]
fn structural_errors_are_typed() {
    let chunk = |index: u64, byte: u8| Chunk {
        index,
        data: vec![byte; 4096],
    };
    let with_memory = |chunks: Vec<Chunk>| Image {
        memories: vec![Memory {
            pages: 1,
            max_pages: None,
            chunks,
        }],
        ..minimal()
    };
    let structure = |image: &Image| match decode_default(&raw(image)) {
        Err(DecodeError::Structure(error)) => error,
        other => panic!("expected a structure error, got {other:?}"),
    };
    assert_eq!(
        structure(&with_memory(vec![chunk(3, 0)])),
        StructureError::ZeroChunk {
            memory: 0,
            index: 3
        }
    );
    assert_eq!(
        structure(&with_memory(vec![chunk(3, 1), chunk(2, 1)])),
        StructureError::ChunkOrder {
            memory: 0,
            index: 2,
            previous: 3
        }
    );
    assert_eq!(
        structure(&with_memory(vec![chunk(16, 1)])),
        StructureError::ChunkOutsideMemory {
            memory: 0,
            index: 16,
            pages: 1
        }
    );
    assert_eq!(
        structure(&with_memory(vec![Chunk {
            index: 0,
            data: vec![1; 100]
        }])),
        StructureError::ChunkLength {
            memory: 0,
            index: 0,
            len: 100
        }
    );
    assert_eq!(
        structure(&Image {
            module_sha256: vec![1; 31],
            ..Image::default()
        }),
        StructureError::ModuleHashLength { len: 31 }
    );
    assert_eq!(
        structure(&Image {
            host_sections: vec![
                HostSection {
                    name: "b".into(),
                    data: vec![]
                },
                HostSection {
                    name: "a".into(),
                    data: vec![]
                }
            ],
            ..minimal()
        }),
        StructureError::HostSectionOrder {
            name: "a".into(),
            previous: "b".into()
        }
    );
    assert_eq!(
        structure(&Image {
            tables: vec![Table {
                elements: vec![Value::i32(1)],
                max: None
            }],
            ..minimal()
        }),
        StructureError::ElementNotReference {
            table: 0,
            element: 0
        }
    );
    assert_eq!(
        structure(&Image {
            globals: vec![Value { kind: None }],
            ..minimal()
        }),
        StructureError::MalformedValue {
            slot: Slot::Global(0)
        }
    );

    let analysis = sample_analysis();
    let mut image = call_image(&analysis);
    image.execution.as_mut().expect("execution").frames[0].labels[1] = Label {
        kind: 9,
        start: 0,
        height: 0,
        arity: 0,
    };
    assert!(matches!(
        structure(&image),
        StructureError::UnknownLabelKind {
            frame: 0,
            label: 1,
            value: 9,
            ..
        }
    ));
    let mut image = call_image(&analysis);
    image.execution.as_mut().expect("execution").safe_point = None;
    assert_eq!(structure(&image), StructureError::MissingSafePoint);
    let mut image = call_image(&analysis);
    image
        .execution
        .as_mut()
        .expect("execution")
        .safe_point
        .as_mut()
        .expect("sp")
        .kind = 0;
    assert_eq!(
        structure(&image),
        StructureError::UnknownSafePointKind { value: 0 }
    );
    let mut image = call_image(&analysis);
    image.execution.as_mut().expect("execution").frames.clear();
    assert_eq!(structure(&image), StructureError::NoFrames);
}

#[test]
fn limits_refuse_oversize_claims() {
    let analysis = sample_analysis();
    let image = nested_image(&analysis);
    let bytes = encode(&image);
    let limited = |change: fn(&mut DecodeLimits)| {
        let mut limits = DecodeLimits::default();
        change(&mut limits);
        decode(&bytes, &limits)
    };
    assert!(matches!(
        limited(|l| l.max_bytes = 100),
        Err(DecodeError::LimitExceeded {
            what: Limit::Bytes,
            ..
        })
    ));
    assert!(matches!(
        limited(|l| l.max_frames = 1),
        Err(DecodeError::LimitExceeded {
            what: Limit::Frames,
            limit: 1
        })
    ));
    // 4 globals + 1 arg + 2 locals + 1 operand + 3 labels + 1 local + 1 label = 13 values.
    assert!(limited(|l| l.max_values = 13).is_ok());
    assert!(matches!(
        limited(|l| l.max_values = 12),
        Err(DecodeError::LimitExceeded {
            what: Limit::Values,
            ..
        })
    ));
    assert!(matches!(
        limited(|l| l.max_chunks = 0),
        Err(DecodeError::LimitExceeded {
            what: Limit::Chunks,
            ..
        })
    ));
    assert!(matches!(
        limited(|l| l.max_table_elements = 3),
        Err(DecodeError::LimitExceeded {
            what: Limit::TableElements,
            ..
        })
    ));
    assert!(matches!(
        limited(|l| l.max_pages = 1),
        Err(DecodeError::LimitExceeded {
            what: Limit::Pages,
            ..
        })
    ));

    // A claim of 2^40 pages is refused before anything is allocated for it.
    let huge = Image {
        memories: vec![Memory {
            pages: 1 << 40,
            max_pages: None,
            chunks: vec![],
        }],
        ..minimal()
    };
    assert!(matches!(
        decode_default(&raw(&huge)),
        Err(DecodeError::LimitExceeded {
            what: Limit::Pages,
            ..
        })
    ));
}

#[test]
fn broken_framing_is_reported_with_an_offset() {
    // Field 2 (memory) claiming 100 bytes with only 1 present.
    let bytes = with_header(&[0x12, 0x64, 0x08]);
    assert_eq!(
        decode_default(&bytes),
        Err(DecodeError::Malformed {
            offset: HEADER_LEN + 2,
            message: "field runs past the end of its message".into()
        })
    );
    // A group wire type.
    assert!(matches!(
        decode_default(&with_header(&[0x0b])),
        Err(DecodeError::Malformed { .. })
    ));
    // A varint longer than 10 bytes.
    let mut long = vec![0x08];
    long.extend_from_slice(&[0xff; 11]);
    assert!(matches!(
        decode_default(&with_header(&long)),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn frames_unknown_to_the_scan_still_decode() {
    // A frame with only func and pc set decodes (the scan counts it and its empty lists).
    let image = Image {
        execution: Some(baton_checkpoint::Execution {
            entry: Some(baton_checkpoint::Entry::default()),
            safe_point: Some(baton_checkpoint::SafePoint { kind: 5, event: 0 }),
            frames: vec![Frame {
                func: 1,
                pc: 2,
                ..Frame::default()
            }],
        }),
        ..minimal()
    };
    assert_eq!(decode_default(&encode(&image)), Ok(image));
}
