//! Generates the image's Rust types from `proto/baton.proto` into `$OUT_DIR/baton.v1.rs`, which
//! `src/image.rs` includes.
//!
//! protox parses the schema in pure Rust (no `protoc` binary) and keeps its comments, which
//! prost-build turns into the types' doc comments. This script adds what the `.proto` cannot say:
//! serde derives and the `#[serde(...)]` attributes that give the JSON view its form (see
//! `src/serde_fields.rs` and `src/json.rs`).

use std::error::Error;

use protox::prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};

/// The schema and its include directory.
const PROTO: &str = "proto/baton.proto";
const INCLUDE: &str = "proto";

/// Where the serde helpers live, as the generated code names them.
const HELPERS: &str = "crate::serde_fields";

/// The 64-bit fields whose exact value matters (bits, handles, event numbers): decimal strings in
/// JSON. Sizes and indices (pages, chunk indices, table maxima) stay JSON numbers. Named as
/// `Message.field`; a check below fails the build if one no longer exists.
const U64_STRING_FIELDS: &[&str] = &[
    "Value.i64",
    "Value.f64",
    "ExternRef.handle",
    "SafePoint.event",
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={INCLUDE}");
    let mut compiler = protox::Compiler::new([INCLUDE])?;
    compiler.include_source_info(true).open_file(PROTO)?;
    let pool = compiler.descriptor_pool();

    let mut config = prost_build::Config::new();
    config
        .type_attribute(".", "#[derive(::serde::Serialize, ::serde::Deserialize)]")
        // Enum values and oneof members by lowercase name: `"call"`, `{"i32": 42}`.
        .enum_attribute(".", "#[serde(rename_all = \"lowercase\")]");
    for message in pool.all_messages() {
        if lacks_eq(&message, &[]) {
            config.message_attribute(message.full_name(), "#[derive(Eq)]");
        }
        for field in message.fields() {
            if let Some(helper) = serde_helper(&field)? {
                config.field_attribute(
                    prost_path(&field),
                    format!("#[serde(with = \"{HELPERS}::{helper}\")]"),
                );
            }
        }
    }
    check_fields_exist(&pool, U64_STRING_FIELDS)?;
    config.compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}

/// Whether prost-build leaves `message` without `Eq`: it derives `Eq` only for messages without a
/// repeated or map message field or a recursive field, directly or through a message field. The
/// schema has no floats, so every message can be `Eq`.
fn lacks_eq(message: &MessageDescriptor, outer: &[&str]) -> bool {
    let path = [outer, &[message.full_name()]].concat();
    message.fields().any(|field| match field.kind() {
        Kind::Message(inner) => {
            field.is_list()
                || field.is_map()
                || path.contains(&inner.full_name())
                || lacks_eq(&inner, &path)
        }
        _ => false,
    })
}

/// The serde helper module for `field`, if it needs one.
fn serde_helper(field: &FieldDescriptor) -> Result<Option<String>, String> {
    let name = format!("{}.{}", field.parent_message().name(), field.name());
    let as_string = U64_STRING_FIELDS.contains(&name.as_str());
    let helper = match field.kind() {
        Kind::Bytes => "hex_bytes".to_string(),
        Kind::Enum(enumeration) => format!("enum_names::{}", snake_case(enumeration.name())),
        Kind::Uint64 | Kind::Fixed64 if as_string => {
            // A proto3 `optional` field (a synthetic oneof) is an `Option` in Rust.
            let optional = field
                .containing_oneof()
                .is_some_and(|oneof| oneof.is_synthetic());
            let helper = if optional {
                "optional_u64_string"
            } else {
                "u64_string"
            };
            helper.to_string()
        }
        _ if as_string => return Err(format!("{name} is not uint64 or fixed64")),
        _ => return Ok(None),
    };
    if field.is_list() || field.is_map() {
        return Err(format!(
            "{name}: the serde helpers take one value, not a list"
        ));
    }
    Ok(Some(helper))
}

/// The path prost-build matches attributes against: `.package.Message.field`, or
/// `.package.Message.oneof.member` for a member of a (non-synthetic) oneof.
fn prost_path(field: &FieldDescriptor) -> String {
    let message = field.parent_message();
    match field
        .containing_oneof()
        .filter(|oneof| !oneof.is_synthetic())
    {
        Some(oneof) => format!(".{}.{}.{}", message.full_name(), oneof.name(), field.name()),
        None => format!(".{}.{}", message.full_name(), field.name()),
    }
}

/// Fails if a `Message.field` name in `names` is not in the schema.
fn check_fields_exist(pool: &DescriptorPool, names: &[&str]) -> Result<(), Box<dyn Error>> {
    for name in names {
        let found = pool.all_messages().any(|message| {
            message
                .fields()
                .any(|field| format!("{}.{}", message.name(), field.name()) == *name)
        });
        if !found {
            return Err(format!("build.rs names {name}, which {PROTO} does not define").into());
        }
    }
    Ok(())
}

/// `SafePointKind` → `safe_point_kind`.
fn snake_case(name: &str) -> String {
    let mut snake = String::new();
    for (i, c) in name.char_indices() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}
