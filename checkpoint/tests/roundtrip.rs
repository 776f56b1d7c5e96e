//! Property tests: arbitrary images survive the binary codec and the JSON view unchanged, their
//! bytes are canonical, and the text view is a pure function of the image.

mod common;

use baton_checkpoint::codec::HEADER_LEN;
use baton_checkpoint::{
    decode, encode, from_json, to_json, to_text, DecodeLimits, FORMAT_VERSION, MAGIC,
};
use proptest::prelude::*;

proptest! {
    // 256 cases by default; raise with PROPTEST_CASES for a longer run.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn decode_inverts_encode(image in common::image()) {
        let bytes = encode(&image);
        prop_assert_eq!(&bytes[..8], &MAGIC[..]);
        prop_assert_eq!(&bytes[8..12], &FORMAT_VERSION.to_le_bytes()[..]);
        prop_assert_eq!(&bytes[12..HEADER_LEN], &((bytes.len() - HEADER_LEN) as u64).to_le_bytes()[..]);
        let decoded = decode(&bytes, &DecodeLimits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded, &image);
        // Canonical: the decoded image re-encodes to exactly the same bytes.
        prop_assert_eq!(encode(&decoded), bytes);
    }

    #[test]
    fn json_round_trips(image in common::image()) {
        let json = to_json(&image);
        let parsed = from_json(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed, image);
    }

    #[test]
    fn text_view_is_deterministic_and_distinguishes_images(image in common::image(), other in common::image()) {
        let text = to_text(&image);
        prop_assert_eq!(&text, &to_text(&image.clone()));
        if image != other {
            prop_assert_ne!(text, to_text(&other));
        }
    }

    /// Flipping any byte of a valid encoding gives an error or another canonical image, never a
    /// panic and never a non-canonical acceptance.
    #[test]
    fn mutated_bytes_never_panic(image in common::image(), position in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let mut bytes = encode(&image);
        let at = position.index(bytes.len());
        bytes[at] ^= xor;
        if let Ok(decoded) = decode(&bytes, &DecodeLimits::default()) {
            prop_assert_eq!(encode(&decoded), bytes);
        }
    }

    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = Vec::from(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&body);
        if let Ok(decoded) = decode(&bytes, &DecodeLimits::default()) {
            prop_assert_eq!(encode(&decoded), bytes);
        }
        let _ = decode(&body, &DecodeLimits::default());
    }
}
