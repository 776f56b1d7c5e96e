//! Smoke tests of the cargo-fuzz targets' library bodies (`baton::fuzz::targets`), so the main
//! workspace's CI runs exactly what the nightly fuzzers run, on a few inputs each; plus the
//! replay of raw differential-target bytes through `baton reproduce`.

use arbitrary::Unstructured;
use baton::fuzz::rng::SplitMix64;
use baton::fuzz::targets::{case_json, differential, image_decode, restore, TargetFailure};
use baton_checkpoint::image::{Chunk, Image, Memory};

fn inputs(seed: u64, sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut rng = SplitMix64::new(seed);
    sizes.iter().map(|&len| rng.bytes(len)).collect()
}

fn assert_ok(name: &str, data: &[u8], result: Result<(), TargetFailure>) {
    if let Err(failure) = result {
        panic!("{name} on {} bytes: {failure}", data.len());
    }
}

#[test]
fn differential_holds_on_sample_inputs_and_replays_exactly() {
    let mut made = 0;
    let mut cases = Vec::new();
    for data in inputs(11, &[0, 1, 64, 1024, 4096, 8192]) {
        assert_ok(
            "differential",
            &data,
            differential::run(&mut Unstructured::new(&data)),
        );
        if let Ok(Some((case, _))) = differential::check(&mut Unstructured::new(&data)) {
            made += 1;
            cases.push(case);
        }
    }
    assert!(made >= 3, "only {made} of 6 inputs made a case");
    // Replays are exact: the same bytes make the same case.
    let data = inputs(13, &[4096]).remove(0);
    let (a, _) = differential::check(&mut Unstructured::new(&data))
        .expect("pool")
        .expect("4096 bytes make a case");
    let again = differential::check(&mut Unstructured::new(&data))
        .expect("pool")
        .expect("case");
    assert_eq!(a, again.0, "the same bytes make the same case");
}

#[test]
fn restore_survives_hostile_images() {
    for data in inputs(14, &[0, 256, 2048, 4096, 8192, 8192, 8192]) {
        assert_ok(
            "restore",
            &data,
            restore::run(&mut Unstructured::new(&data)),
        );
    }
}

#[test]
fn case_json_parsing_survives_garbage_and_round_trips_real_cases() {
    for data in inputs(15, &[0, 3, 100]) {
        assert_ok(
            "case_json",
            &data,
            case_json::run(&mut Unstructured::new(&data)),
        );
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("regressions").flatten() {
        let text = std::fs::read(entry.path().join("case.json")).expect("case.json");
        assert_ok(
            "case_json",
            &text,
            case_json::run(&mut Unstructured::new(&text)),
        );
        for cut in (0..text.len()).step_by(53) {
            let _ = case_json::run(&mut Unstructured::new(&text[..cut]));
        }
        seen += 1;
    }
    assert!(seen > 0, "no regression case found");
}

#[test]
fn image_decode_survives_garbage_and_round_trips_real_images() {
    for data in inputs(12, &[0, 3, 20, 64, 500]) {
        assert_ok(
            "image_decode",
            &data,
            image_decode::run(&mut Unstructured::new(&data)),
        );
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
    assert_ok(
        "image_decode",
        &bytes,
        image_decode::run(&mut Unstructured::new(&bytes)),
    );
    for cut in (0..bytes.len()).step_by(97) {
        let data = &bytes[..cut];
        assert_ok(
            "image_decode",
            data,
            image_decode::run(&mut Unstructured::new(data)),
        );
    }
    for position in (0..bytes.len()).step_by(131) {
        let mut flipped = bytes.clone();
        flipped[position] ^= 0x40;
        assert_ok(
            "image_decode",
            &flipped,
            image_decode::run(&mut Unstructured::new(&flipped)),
        );
    }
}

#[test]
fn drawn_engine_sets_keep_oracle_classification_possible() {
    let pool =
        baton::fuzz::engines::resolve_all(&["wasmi".into(), "stack".into(), "register".into()])
            .expect("engines resolve");
    // Every draw of the three in/out bits (one byte each, low bit).
    for bits in 0u8..8 {
        let data: Vec<u8> = (0..3).map(|i| (bits >> i) & 1).collect();
        let chosen = differential::choose_engines(&mut Unstructured::new(&data), &pool);
        let names: Vec<&str> = chosen.iter().map(|e| e.name.as_str()).collect();
        assert!(
            chosen.iter().any(|e| e.checkpoints),
            "{bits:03b}: {names:?}"
        );
        if names.contains(&"wasmi") {
            assert!(
                names.len() >= 3,
                "{bits:03b}: oracle with one engine: {names:?}"
            );
        }
    }
}
