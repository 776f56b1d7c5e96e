//! Codec throughput: an image with 64 MiB of memory (half of it zero) and a 1000-frame stack.
//!
//! Prints GB/s of live (non-zero, encoded) memory for encode and decode, the time to encode and
//! decode the stack alone, and the time for the whole image. Each figure is the median of several
//! runs. Run with `cargo bench -p baton-checkpoint`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use baton_checkpoint::{
    decode, encode, encode_into, Entry, Execution, Frame, Image, Label, LabelKind, Memory,
    SafePoint, SafePointKind, Value, CHUNK_SIZE,
};

const MEMORY_BYTES: usize = 64 << 20;
const FRAMES: usize = 1000;

/// 64 MiB where every other 4 KiB chunk holds pseudo-random bytes and the rest are zero.
fn memory_contents() -> Vec<u8> {
    let mut bytes = vec![0u8; MEMORY_BYTES];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for (index, chunk) in bytes.chunks_mut(CHUNK_SIZE).enumerate() {
        if index % 2 == 1 {
            continue;
        }
        for word in chunk.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
    }
    bytes
}

/// A 1000-frame stack: each frame has 6 locals, 4 operands and 3 labels of mixed types.
fn stack() -> Execution {
    let frames = (0..FRAMES as u32)
        .map(|depth| Frame {
            func: depth % 50 + 1,
            pc: 100 + depth,
            locals: vec![
                Value::i32(depth),
                Value::i64(u64::from(depth) << 33),
                Value::f32(depth as f32),
                Value::f64(f64::from(depth) * 0.5),
                Value::funcref(Some(depth % 7)),
                Value::externref(None),
            ],
            operands: vec![
                Value::i64(u64::MAX - u64::from(depth)),
                Value::i32(depth.wrapping_mul(2_654_435_761)),
                Value::f64_bits(0x7ff8_0000_0000_0001),
                Value::i32(7),
            ],
            labels: vec![
                label(LabelKind::Block, 0, 0, 1),
                label(LabelKind::Loop, 12, 1, 0),
                label(LabelKind::If, 30, 2, 1),
            ],
        })
        .collect();
    Execution {
        entry: Some(Entry {
            func: 1,
            args: vec![Value::i32(1)],
        }),
        safe_point: Some(SafePoint {
            kind: SafePointKind::Call as i32,
            event: 123_456,
        }),
        frames,
    }
}

fn label(kind: LabelKind, start: u32, height: u32, arity: u32) -> Label {
    Label {
        kind: kind as i32,
        start,
        height,
        arity,
    }
}

/// Median time of `runs` executions of `work`.
fn median(runs: usize, mut work: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn gbps(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / 1e9
}

fn main() {
    let contents = memory_contents();
    let capture = median(5, || {
        black_box(Memory::from_bytes(black_box(&contents), Some(65_536)));
    });
    let memory = Memory::from_bytes(&contents, Some(65_536));
    let live = memory.chunks.len() * CHUNK_SIZE;
    let mut dest = vec![0u8; MEMORY_BYTES];
    let restore = median(5, || {
        memory.write_into(black_box(&mut dest)).expect("fits");
    });

    let memory_image = Image {
        module_sha256: vec![0xab; 32],
        memories: vec![memory],
        ..Image::default()
    };
    let stack_image = Image {
        module_sha256: vec![0xab; 32],
        execution: Some(stack()),
        ..Image::default()
    };
    let full_image = Image {
        execution: stack_image.execution.clone(),
        ..memory_image.clone()
    };
    let limits = baton_checkpoint::DecodeLimits::default();

    let memory_bytes = encode(&memory_image);
    let memory_encode = median(7, || {
        black_box(encode(black_box(&memory_image)));
    });
    let mut reused = Vec::new();
    let memory_encode_into = median(7, || {
        encode_into(black_box(&memory_image), &mut reused);
        black_box(&reused);
    });
    let memory_decode = median(7, || {
        black_box(decode(black_box(&memory_bytes), &limits).expect("decodes"));
    });

    let stack_bytes = encode(&stack_image);
    let stack_encode = median(51, || {
        black_box(encode(black_box(&stack_image)));
    });
    let stack_decode = median(51, || {
        black_box(decode(black_box(&stack_bytes), &limits).expect("decodes"));
    });

    let full_bytes = encode(&full_image);
    let full_encode = median(7, || {
        black_box(encode(black_box(&full_image)));
    });
    let full_decode = median(7, || {
        black_box(decode(black_box(&full_bytes), &limits).expect("decodes"));
    });

    println!(
        "memory: {} MiB, {} MiB live in {} chunks; encoded image {} bytes",
        MEMORY_BYTES >> 20,
        live >> 20,
        live / CHUNK_SIZE,
        memory_bytes.len()
    );
    println!(
        "  Memory::from_bytes (64 MiB scan + copy of live chunks): {:>8.2?}  {:.2} GB/s live, {:.2} GB/s scanned",
        capture,
        gbps(live, capture),
        gbps(MEMORY_BYTES, capture)
    );
    println!(
        "  Memory::write_into (64 MiB restore, reused buffer):      {:>8.2?}  {:.2} GB/s live",
        restore,
        gbps(live, restore)
    );
    println!(
        "  encode: {:>8.2?}  {:.2} GB/s live memory",
        memory_encode,
        gbps(live, memory_encode)
    );
    println!(
        "  encode_into (reused buffer): {:>8.2?}  {:.2} GB/s live memory",
        memory_encode_into,
        gbps(live, memory_encode_into)
    );
    println!(
        "  decode: {:>8.2?}  {:.2} GB/s live memory (all checks; includes freeing the image)",
        memory_decode,
        gbps(live, memory_decode)
    );
    println!(
        "stack: {FRAMES} frames, encoded image {} bytes",
        stack_bytes.len()
    );
    println!("  encode: {stack_encode:>8.2?}");
    println!("  decode: {stack_decode:>8.2?}");
    println!("whole image ({} bytes):", full_bytes.len());
    println!(
        "  encode: {:>8.2?}  {:.2} GB/s",
        full_encode,
        gbps(full_bytes.len(), full_encode)
    );
    println!(
        "  decode: {:>8.2?}  {:.2} GB/s",
        full_decode,
        gbps(full_bytes.len(), full_decode)
    );
}
