//! How the image's fields appear in its serde (JSON) view, where prost's types differ from the
//! form [`crate::json`] promises. `build.rs` attaches these modules to the generated types with
//! `#[serde(with = "...")]`: [`hex_bytes`] on every `bytes` field, an [`enum_names`] module on
//! every enum field, [`u64_string`] and [`optional_u64_string`] on the 64-bit fields listed there.

/// Byte vectors as lowercase hex strings in the JSON view.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

/// Enum fields as their lowercase names in the JSON view (unknown numbers, which
/// only malformed images hold, as the number itself).
pub(crate) mod enum_names {
    /// Writes a known enum value as its name and anything else as its number; reads either.
    macro_rules! enum_field {
        ($module:ident, $enum:ty) => {
            pub mod $module {
                use serde::{Deserialize, Deserializer, Serialize, Serializer};

                #[derive(Serialize, Deserialize)]
                #[serde(untagged)]
                enum Repr {
                    Name($enum),
                    Number(i32),
                }

                pub fn serialize<S: Serializer>(
                    value: &i32,
                    serializer: S,
                ) -> Result<S::Ok, S::Error> {
                    match <$enum>::try_from(*value) {
                        Ok(known) => Repr::Name(known),
                        Err(_) => Repr::Number(*value),
                    }
                    .serialize(serializer)
                }

                pub fn deserialize<'de, D: Deserializer<'de>>(
                    deserializer: D,
                ) -> Result<i32, D::Error> {
                    Ok(match Repr::deserialize(deserializer)? {
                        Repr::Name(known) => known as i32,
                        Repr::Number(number) => number,
                    })
                }
            }
        };
    }

    enum_field!(safe_point_kind, crate::image::SafePointKind);
    enum_field!(label_kind, crate::image::LabelKind);
}

/// 64-bit numbers whose exact value matters (i64 and f64 bits, host handles, event
/// numbers) as decimal strings in the JSON view, as protobuf's JSON mapping does, so tools that
/// read JSON numbers as doubles cannot round them. Plain JSON numbers are accepted on input.
pub(crate) mod u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Number(u64),
    }

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        match Repr::deserialize(deserializer)? {
            Repr::Text(text) => text.parse().map_err(serde::de::Error::custom),
            Repr::Number(number) => Ok(number),
        }
    }
}

/// [`u64_string`] for an optional value (`null` when absent).
pub(crate) mod optional_u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Text(#[serde(with = "super::u64_string")] u64);

    pub fn serialize<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.collect_str(value),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        Ok(Option::<Text>::deserialize(deserializer)?.map(|Text(value)| value))
    }
}
