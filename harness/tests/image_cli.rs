//! `baton image`: show, json, validate, diff and run on real images taken by the engines, and
//! every kind of bad input answered with exit status 2 and a message naming the file — never a
//! panic. Expected outcomes come from uninterrupted runs of the same module, not from constants.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use baton_checkpoint::image::Image;
use baton_checkpoint::{encode, to_text};
use baton_engine::{Engine, EngineConfig, EventKind, KindSet, RunOptions, RunOutcome, StopRequest};

/// A loop that accumulates through a host call, so a restore must carry the host trace too.
const MODULE: &str = r#"
(module
  (import "host" "mix_i32" (func $mix (param i32 i32) (result i32)))
  (func (export "run") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (call $mix (local.get $acc) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (local.get $acc)))
"#;

fn baton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .expect("baton runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-image-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs `run(5)` on `engine` with the harness host: uninterrupted when `stop` is `None`,
/// otherwise stops at the first loop event `>= stop` and returns the image (host section
/// included, as `baton fuzz` writes it).
fn run_on(engine_name: &str, stop: Option<u64>) -> (RunOutcome, Option<Image>) {
    let wasm = wat::parse_str(MODULE).expect("wat");
    let spec = baton::fuzz::engines::resolve(engine_name).expect("engine");
    let mut engine: Box<dyn Engine> = (spec.create)(&EngineConfig::default());
    let module = engine.compile(&wasm).expect("compiles");
    let imports = baton::fuzz::host::func_imports(&wasm).expect("imports");
    let host = baton::fuzz::host::HostState::new();
    let handles = baton::fuzz::host::link(engine.as_mut(), &imports, &host).expect("links");
    let instance = engine.instantiate(module, &handles).expect("instantiates");
    let options = RunOptions {
        stop: stop.map(|at| StopRequest::new(KindSet::of(&[EventKind::Loop]), at)),
        fuel: None,
    };
    let report = engine
        .invoke(instance, "run", &[baton_engine::Value::I32(5)], options)
        .expect("invokes");
    match report.outcome {
        RunOutcome::Suspended { .. } => {
            let mut image = engine.take_image(instance).expect("image");
            host.store_into(&mut image);
            (report.outcome, Some(image))
        }
        outcome => (outcome, None),
    }
}

fn write_image(dir: &Path, name: &str, image: &Image) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, encode(image)).expect("write image");
    path
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn show_json_validate_diff_and_run_agree_with_the_engines() {
    let dir = scratch();
    let module = dir.join("loop.wat");
    std::fs::write(&module, MODULE).expect("write module");
    let (expected, _) = run_on("stack", None);
    let (_, image3) = run_on("stack", Some(3));
    let image3 = image3.expect("stops at event 3");
    let (_, image5) = run_on("register", Some(5));
    let image5 = image5.expect("stops at event 5");
    let img3 = write_image(&dir, "at3.img", &image3);
    let img5 = write_image(&dir, "at5.img", &image5);

    let show = baton(&["image", "show", s(&img3)]);
    assert!(show.status.success(), "{}", text(&show.stderr));
    assert_eq!(text(&show.stdout), to_text(&image3));

    let json = baton(&["image", "json", s(&img3)]);
    assert!(json.status.success());
    let json_path = dir.join("at3.json");
    std::fs::write(&json_path, &json.stdout).expect("write json");
    let same = baton(&["image", "diff", s(&img3), s(&json_path)]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));

    let differ = baton(&["image", "diff", s(&img3), s(&img5)]);
    assert_eq!(differ.status.code(), Some(1));
    let out = text(&differ.stdout);
    assert!(out.contains("first difference at line"), "{out}");
    assert!(out.contains(&format!("--- {}", s(&img3))), "{out}");

    let valid = baton(&["image", "validate", s(&img3), "--module", s(&module)]);
    assert!(valid.status.success(), "{}", text(&valid.stderr));

    let want = match &expected {
        RunOutcome::Returned(values) => format!("returned {}", baton_engine::format_values(values)),
        other => panic!("the module returns, got {other:?}"),
    };
    for (image, engine) in [(&img3, "register"), (&img5, "stack"), (&json_path, "stack")] {
        let run = baton(&[
            "image",
            "run",
            s(image),
            "--module",
            s(&module),
            "--engine",
            engine,
        ]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let out = text(&run.stdout);
        assert!(out.contains(&want), "{engine}: {out} (want {want})");
    }
}

#[test]
fn bad_input_is_exit_2_naming_the_file() {
    let dir = scratch();
    let module = dir.join("loop2.wat");
    std::fs::write(&module, MODULE).expect("write module");
    let other = dir.join("other.wat");
    std::fs::write(&other, "(module (func (export \"f\")))").expect("write module");
    let (_, image) = run_on("stack", Some(2));
    let bytes = encode(&image.expect("stops"));
    let truncated = dir.join("truncated.img");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let garbage = dir.join("garbage.img");
    std::fs::write(&garbage, b"\x00\x01not an image at all").expect("write");
    let good = dir.join("good.img");
    std::fs::write(&good, &bytes).expect("write");
    let mut flipped = bytes.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0xff;
    let flipped_path = dir.join("flipped.img");
    std::fs::write(&flipped_path, &flipped).expect("write");
    let missing = dir.join("missing.img");

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["image", "show", s(&truncated)], "truncated.img"),
        (vec!["image", "show", s(&garbage)], "not a baton image"),
        (vec!["image", "json", s(&missing)], "cannot read"),
        (
            vec!["image", "validate", s(&good), "--module", s(&other)],
            "module hash mismatch",
        ),
        (
            vec!["image", "run", s(&good), "--module", s(&other)],
            "does not fit",
        ),
        (
            vec![
                "image",
                "run",
                s(&good),
                "--module",
                s(&module),
                "--engine",
                "nope",
            ],
            "unknown engine",
        ),
        (vec!["image", "diff", s(&good), s(&garbage)], "garbage.img"),
    ];
    for (args, needle) in cases {
        let out = baton(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: {stderr:?} lacks {needle:?}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // A bit flip deep in the body either fails to decode or decodes to an image the module
    // rejects or the engine refuses; whichever, it is an error and never a panic.
    let out = baton(&[
        "image",
        "run",
        s(&flipped_path),
        "--module",
        s(&module),
        "--fuel",
        "1000",
    ]);
    assert!(!text(&out.stderr).contains("panicked"));
    assert!(matches!(out.status.code(), Some(0 | 2)));
}
