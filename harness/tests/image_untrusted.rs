//! `baton image` on untrusted input: 10 000 random and mutated image files (bit flips,
//! truncations, insertions, random bytes, mangled JSON views of a real image) each give a typed
//! error or a valid image, never a panic, for `show`, `json`, `validate` and `diff`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use baton::fuzz::case::{Case, Invocation, Schedule, CASE_VERSION};
use baton::fuzz::engines::resolve;
use baton::fuzz::exec::{checkpoint, Checkpointed, Limits, SCHEDULE_KINDS};
use baton::fuzz::host::func_imports;
use baton::image::cli::{run, ImageCommand};
use baton_checkpoint::encode;
use baton_engine::StopRequest;

const MODULE: &str = r#"(module
  (memory (export "mem") 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  (func (export "run") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (i32.store (local.get $n) (local.get $acc))
      (global.set $g (local.get $acc))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc)))"#;

/// A real suspended image of `MODULE` (binary) taken by the stack engine.
fn real_image(wasm: &[u8]) -> Vec<u8> {
    let case = Case {
        version: CASE_VERSION,
        origin: None,
        engines: vec!["stack".into()],
        module: wasm.to_vec(),
        invocations: vec![Invocation {
            export: "run".into(),
            args: vec![baton::fuzz::case::CaseValue::I32(20)],
        }],
        schedule: Schedule {
            invocation: 0,
            kinds: SCHEDULE_KINDS.to_vec(),
            k: 7,
            chain: Vec::new(),
            chain_stops: Vec::new(),
        },
        wasi: None,
        fuel: None,
        uncanonical_nans: false,
    };
    let spec = resolve("stack").expect("stack");
    let imports = func_imports(wasm).expect("imports");
    let stop = StopRequest::new(case.schedule.kind_set(), 7);
    match checkpoint(&spec, &case, &imports, &Limits::default(), 0, stop).expect("runs") {
        Checkpointed::Suspended { image, .. } => encode(&image),
        Checkpointed::NotReached => panic!("event 7 not reached"),
    }
}

/// SplitMix64, for reproducible inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, base: &[u8], json: &[u8]) -> Vec<u8> {
    let mut bytes = match rng.below(6) {
        0 => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        1 | 2 => base.to_vec(),
        3 => base[..rng.below(base.len())].to_vec(),
        4 => json.to_vec(),
        _ => {
            let mut b = base.to_vec();
            let at = rng.below(b.len());
            for _ in 0..rng.below(16) {
                b.insert(at, rng.next() as u8);
            }
            b
        }
    };
    for _ in 0..1 + rng.below(8) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len());
        bytes[at] ^= 1 << rng.below(8);
    }
    bytes
}

#[test]
fn ten_thousand_random_and_mutated_images_give_typed_errors_and_no_panic() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("image-untrusted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let wasm = wat::parse_str(MODULE).expect("wat");
    let module = dir.join("m.wasm");
    std::fs::write(&module, &wasm).expect("module");
    let base = real_image(&wasm);
    let good = dir.join("good.img");
    std::fs::write(&good, &base).expect("image");
    let json = run(&ImageCommand::Json {
        image: good.clone(),
    })
    .expect("json view")
    .text
    .into_bytes();
    let validate = run(&ImageCommand::Validate {
        image: good.clone(),
        module: module.clone(),
    });
    assert!(validate.is_ok(), "the real image validates: {validate:?}");
    let mut rng = Rng(12);
    let (mut errors, mut accepted) = (0u32, 0u32);
    let path = dir.join("input.img");
    for i in 0..10_000 {
        let bytes = mutate(&mut rng, &base, &json);
        std::fs::write(&path, &bytes).expect("write input");
        let commands = [
            ImageCommand::Show {
                image: path.clone(),
            },
            ImageCommand::Validate {
                image: path.clone(),
                module: module.clone(),
            },
            ImageCommand::Diff {
                left: good.clone(),
                right: path.clone(),
            },
        ];
        for command in commands {
            match catch_unwind(AssertUnwindSafe(|| run(&command))) {
                Err(_) => panic!("input {i} ({} bytes) panicked in {command:?}", bytes.len()),
                Ok(Err(error)) => {
                    assert!(!error.to_string().is_empty());
                    errors += 1;
                }
                Ok(Ok(_)) => accepted += 1,
            }
        }
    }
    assert!(
        errors > 10_000,
        "most mutations must be rejected ({errors} errors)"
    );
    assert!(accepted > 0, "some mutations stay valid images");
}
