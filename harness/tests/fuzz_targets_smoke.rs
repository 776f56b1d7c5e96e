//! Runs the cargo-fuzz targets' library entry points on a few inputs, so the main workspace's
//! CI exercises exactly what the nightly fuzzers run.

use baton::fuzz::rng::SplitMix64;
use baton::fuzz::targets::{checkpoint_roundtrip, image_decode};
use baton_checkpoint::image::{Chunk, Image, Memory};

#[test]
fn checkpoint_roundtrip_holds_on_sample_inputs() {
    let mut rng = SplitMix64::new(11);
    for len in [0usize, 1, 64, 1024, 4096, 8192] {
        let data = rng.bytes(len);
        if let Err(finding) = checkpoint_roundtrip(&data) {
            panic!(
                "{len} bytes: {}: {}",
                finding.summary, finding.first_difference
            );
        }
    }
}

#[test]
fn image_decode_survives_garbage_and_round_trips_real_images() {
    let mut rng = SplitMix64::new(12);
    for len in [0usize, 3, 20, 64, 500] {
        assert_eq!(image_decode(&rng.bytes(len)), Ok(()));
    }
    let image = Image {
        module_sha256: vec![7; 32],
        memories: vec![Memory {
            pages: 1,
            max_pages: Some(2),
            chunks: vec![Chunk {
                index: 3,
                data: vec![0xab; 4096],
            }],
        }],
        ..Image::default()
    };
    let bytes = baton_checkpoint::encode(&image);
    assert_eq!(image_decode(&bytes), Ok(()));
    // Every truncation and a few bit flips of a real image are handled.
    for cut in (0..bytes.len()).step_by(97) {
        assert_eq!(image_decode(&bytes[..cut]), Ok(()));
    }
    for position in (0..bytes.len()).step_by(131) {
        let mut flipped = bytes.clone();
        flipped[position] ^= 0x40;
        assert_eq!(image_decode(&flipped), Ok(()));
    }
}
