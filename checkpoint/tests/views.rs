//! The text and JSON views: their exact forms for each kind of value, and the JSON parser's
//! checks.

mod common;

use baton_checkpoint::{from_json, to_json, to_text, Image, JsonError, Value};

fn with_globals(globals: Vec<Value>) -> Image {
    Image {
        module_sha256: vec![0xab; 32],
        globals,
        ..Image::default()
    }
}

#[test]
fn text_view_prints_exact_bits() {
    let image = with_globals(vec![
        Value::i32(0xffff_ffff),
        Value::i64(1),
        Value::f32_bits(0x7fc0_0001),
        Value::f64(-0.0),
        Value::funcref(Some(3)),
        Value::funcref(None),
        Value::externref(Some(u64::MAX)),
        Value::externref(None),
        Value::v128([1; 16]),
    ]);
    let text = to_text(&image);
    let globals: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("global"))
        .collect();
    assert_eq!(
        globals,
        vec![
            "global[0] i32 0xffffffff",
            "global[1] i64 0x0000000000000001",
            "global[2] f32 0x7fc00001",
            "global[3] f64 0x8000000000000000",
            "global[4] funcref 3",
            "global[5] funcref null",
            "global[6] externref 18446744073709551615",
            "global[7] externref null",
            "global[8] v128 0x01010101010101010101010101010101",
        ]
    );
    assert!(text.ends_with("idle\n"));
}

#[test]
fn text_view_lists_only_non_zero_memory_rows() {
    let mut contents = vec![0u8; 65536];
    contents[0x1234] = 0xee;
    let image = Image {
        memories: vec![baton_checkpoint::Memory::from_bytes(&contents, None)],
        ..with_globals(vec![])
    };
    let text = to_text(&image);
    let rows: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("    0x"))
        .collect();
    let mut expected = format!("    0x{:08x} ", 0x1220);
    expected.push_str(&"00".repeat(0x14));
    expected.push_str("ee");
    expected.push_str(&"00".repeat(32 - 0x15));
    assert_eq!(rows, vec![expected.as_str()]);
    assert!(text.contains("memory 0 pages 1 max none chunks 1\n  chunk 1\n"));
}

#[test]
fn json_keeps_64_bit_values_exact_as_strings() {
    let image = with_globals(vec![
        Value::i64(u64::MAX),
        Value::f64_bits(0x7ff4_0000_0000_0001),
        Value::externref(Some(u64::MAX - 1)),
    ]);
    let json = to_json(&image);
    assert!(json.contains(r#""i64": "18446744073709551615""#), "{json}");
    assert!(json.contains(r#""f64": "9219994337134247937""#), "{json}");
    assert!(
        json.contains(r#""handle": "18446744073709551614""#),
        "{json}"
    );
    assert_eq!(from_json(&json).expect("parses"), image);
}

#[test]
fn json_accepts_plain_numbers_and_enum_names() {
    let analysis = common::sample_analysis();
    let image = common::call_image(&analysis);
    let json = to_json(&image);
    assert!(json.contains(r#""kind": "call""#));
    assert!(json.contains(r#""kind": "loop""#));
    let relaxed = json.replace(r#""event": "2""#, r#""event": 2"#);
    assert_ne!(relaxed, json);
    assert_eq!(from_json(&relaxed).expect("parses"), image);
}

#[test]
fn json_parser_checks_structure() {
    let mut image = with_globals(vec![Value::i32(1)]);
    image.module_sha256.pop();
    let json = to_json(&image);
    assert!(matches!(from_json(&json), Err(JsonError::Structure(_))));
    assert!(matches!(from_json("{"), Err(JsonError::Syntax(_))));
}
