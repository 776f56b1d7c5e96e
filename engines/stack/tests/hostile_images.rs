//! Restoring corrupted images never panics: every mutation of a valid stopped image is either
//! rejected with a typed error or restores into a state that runs (with fuel) to some outcome.

use baton_checkpoint::image::{value::Kind, Image, Value};
use baton_runtime::Driving;
use baton_runtime::{Config, Imports, KindSet, RunOutcome, StopRequest, Val};
use baton_stack::{Instance, Module};

const PROGRAM: &str = r#"
(module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $sum)
  (type $t (func (param i32) (result i32)))
  (func $sum (param i32) (result i32)
    (local $acc i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get 0)))
      (local.set $acc (i32.add (local.get $acc) (local.get 0)))
      (i32.store (i32.const 8) (local.get $acc))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get $acc))
  (func (export "main") (param i32) (result i32)
    (i32.add (call_indirect (type $t) (local.get 0) (i32.const 0)) (call $sum (i32.const 3)))))
"#;

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn random_value(rng: &mut Rng) -> Value {
    let kind = match rng.below(7) {
        0 => Kind::I32(rng.next() as u32),
        1 => Kind::I64(rng.next()),
        2 => Kind::F32(rng.next() as u32),
        3 => Kind::F64(rng.next()),
        4 => Kind::Funcref(baton_checkpoint::image::FuncRef {
            index: Some(rng.below(4) as u32),
        }),
        5 => Kind::Externref(baton_checkpoint::image::ExternRef {
            handle: Some(rng.next()),
        }),
        _ => return Value { kind: None },
    };
    Value { kind: Some(kind) }
}

fn mutate(image: &mut Image, rng: &mut Rng) {
    let Some(execution) = image.execution.as_mut() else {
        return;
    };
    let frames = execution.frames.len();
    match rng.below(10) {
        0 => {
            if let Some(frame) = execution.frames.get_mut(rng.below(frames)) {
                frame.pc = frame.pc.wrapping_add(rng.below(5) as u32).wrapping_sub(2);
            }
        }
        1 => {
            if let Some(frame) = execution.frames.get_mut(rng.below(frames)) {
                let n = frame.operands.len();
                if n > 0 {
                    frame.operands[rng.below(n)] = random_value(rng);
                } else {
                    frame.operands.push(random_value(rng));
                }
            }
        }
        2 => {
            if let Some(frame) = execution.frames.get_mut(rng.below(frames)) {
                frame.operands.pop();
            }
        }
        3 => {
            if let Some(frame) = execution.frames.get_mut(rng.below(frames)) {
                let n = frame.locals.len();
                if n > 0 {
                    frame.locals[rng.below(n)] = random_value(rng);
                }
            }
        }
        4 => {
            if let Some(frame) = execution.frames.get_mut(rng.below(frames)) {
                frame.func = rng.below(4) as u32;
            }
        }
        5 => {
            if let Some(point) = execution.safe_point.as_mut() {
                point.kind = rng.below(7) as i32;
                point.event = rng.next() % 64;
            }
        }
        6 => {
            if frames > 1 {
                execution.frames.remove(rng.below(frames));
            } else {
                execution.frames.clear();
            }
        }
        7 => {
            if let Some(entry) = execution.entry.as_mut() {
                entry.func = rng.below(4) as u32;
                entry.args = (0..rng.below(3)).map(|_| random_value(rng)).collect();
            }
        }
        8 => {
            if let Some(frame) = execution.frames.get_mut(rng.below(frames)) {
                frame.labels.pop();
            }
        }
        _ => {
            if let Some(table) = image.tables.first_mut() {
                table.elements.push(random_value(rng));
            }
            if let Some(memory) = image.memories.first_mut() {
                memory.pages = rng.below(3) as u64;
            }
        }
    }
}

#[test]
fn corrupted_images_are_rejected_or_run() {
    let module = Module::new(&wat::parse_str(PROGRAM).expect("WAT")).expect("module");
    let config = Config {
        fuel: Some(500),
        ..Config::default()
    };
    // Collect a valid image at every main event.
    let mut images = Vec::new();
    let mut inst = Instance::instantiate(&module, &Imports::new(), config).expect("inst");
    let stop = Some(StopRequest {
        kinds: KindSet::MAIN,
        at: 0,
    });
    let mut outcome = inst.invoke("main", &[Val::I32(4)], stop).expect("invoke");
    while let RunOutcome::Stopped(_) = outcome {
        images.push(inst.image().expect("image"));
        outcome = inst.resume(stop).expect("resume");
    }
    assert!(images.len() > 10, "{} images", images.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut rejected, mut accepted) = (0, 0);
    for round in 0..2000 {
        let mut image = images[round % images.len()].clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut image, &mut rng);
        }
        match Instance::restore(&module, &image, &Imports::new(), config) {
            Err(_) => rejected += 1,
            Ok(mut restored) => {
                accepted += 1;
                if restored.is_stopped() {
                    restored
                        .resume(None)
                        .expect("a restored stopped call resumes");
                }
            }
        }
    }
    assert!(
        rejected > 100,
        "mutations are detected ({rejected} rejected)"
    );
    assert!(
        accepted > 0,
        "some mutations (e.g. operand values of the right type) are valid"
    );
}
