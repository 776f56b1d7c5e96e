//! The image corruptions of [`super::Corruption`]: each edits one image the way a mapping bug
//! would and says whether anything changed (nothing applies to an image without the thing it
//! corrupts, like a latent bug).

use baton_checkpoint::image::{value::Kind, Chunk, Image, Memory, Value};

pub(super) fn wrong_operand(image: &mut Image) -> bool {
    let Some(execution) = image.execution.as_mut() else {
        return false;
    };
    for frame in execution.frames.iter_mut().rev() {
        for operand in frame.operands.iter_mut().rev() {
            match &mut operand.kind {
                Some(Kind::I32(v)) => *v ^= 1,
                Some(Kind::I64(v)) => *v ^= 1,
                Some(Kind::F32(v)) => *v ^= 1,
                Some(Kind::F64(v)) => *v ^= 1,
                _ => continue,
            }
            return true;
        }
    }
    false
}

pub(super) fn swapped_operands(image: &mut Image) -> bool {
    let Some(execution) = image.execution.as_mut() else {
        return false;
    };
    for frame in execution.frames.iter_mut().rev() {
        let ops = &mut frame.operands;
        for i in (1..ops.len()).rev() {
            let same_type = match (&ops[i].kind, &ops[i - 1].kind) {
                (Some(a), Some(b)) => std::mem::discriminant(a) == std::mem::discriminant(b),
                _ => false,
            };
            if same_type && ops[i] != ops[i - 1] {
                ops.swap(i, i - 1);
                return true;
            }
        }
    }
    false
}

pub(super) fn stale_chunk(image: &mut Image, baseline: &[Memory]) -> bool {
    for (index, memory) in image.memories.iter_mut().enumerate() {
        let old = baseline
            .get(index)
            .map(|m| m.chunks.as_slice())
            .unwrap_or(&[]);
        let old_chunk = |i: u64| old.iter().find(|c| c.index == i);
        let changed = memory
            .chunks
            .iter()
            .rposition(|c| old_chunk(c.index).is_none_or(|o| o.data != c.data));
        if let Some(position) = changed {
            let chunk_index = memory.chunks[position].index;
            match old_chunk(chunk_index) {
                Some(Chunk { data, .. }) => memory.chunks[position].data = data.clone(),
                None => {
                    memory.chunks.remove(position);
                }
            }
            return true;
        }
    }
    false
}

/// Frame values innermost first: each frame's operands (top first), then its locals (last first).
fn frame_values(image: &mut Image) -> impl Iterator<Item = &mut Value> {
    image
        .execution
        .iter_mut()
        .flat_map(|e| e.frames.iter_mut().rev())
        .flat_map(|f| f.operands.iter_mut().rev().chain(f.locals.iter_mut().rev()))
}

/// The innermost frame's last local that is not zero/null is reset to zero/null (a restore
/// that drops a local it wrongly believes dead).
pub(super) fn lossy_local(image: &mut Image) -> bool {
    let Some(frame) = image.execution.as_mut().and_then(|e| e.frames.last_mut()) else {
        return false;
    };
    for local in frame.locals.iter_mut().rev() {
        let reset = match &local.kind {
            Some(Kind::I32(v)) if *v != 0 => Kind::I32(0),
            Some(Kind::I64(v)) if *v != 0 => Kind::I64(0),
            Some(Kind::F32(v)) if *v != 0 => Kind::F32(0),
            Some(Kind::F64(v)) if *v != 0 => Kind::F64(0),
            Some(Kind::Funcref(f)) if f.index.is_some() => {
                Kind::Funcref(baton_checkpoint::image::FuncRef { index: None })
            }
            Some(Kind::Externref(e)) if e.handle.is_some() => {
                Kind::Externref(baton_checkpoint::image::ExternRef { handle: None })
            }
            _ => continue,
        };
        local.kind = Some(reset);
        return true;
    }
    false
}

/// The first non-null function reference in a frame (innermost first) points at another
/// function (index 0 becomes 1, every other index 0): a restore that maps a reference to the
/// wrong entry of the function index space.
pub(super) fn swapped_funcref(image: &mut Image) -> bool {
    for value in frame_values(image) {
        if let Some(Kind::Funcref(f)) = &mut value.kind {
            if let Some(index) = f.index {
                f.index = Some(if index == 0 { 1 } else { 0 });
                return true;
            }
        }
    }
    false
}

/// The first NaN in a frame (innermost first) or a global loses a payload bit (the lowest set
/// one, or, when that would leave no payload, gains bit 1 instead): a mapping that
/// round-trips floats through a lossy conversion.
pub(super) fn nan_payload(image: &mut Image) -> bool {
    fn flip(bits: u64, mantissa: u64) -> u64 {
        let lowest = bits & mantissa & bits.wrapping_neg();
        if bits & mantissa & !lowest != 0 {
            bits & !lowest
        } else {
            bits | 2
        }
    }
    let globals = image.globals.iter_mut();
    let mut values: Vec<&mut Value> = Vec::new();
    if let Some(execution) = image.execution.as_mut() {
        for frame in execution.frames.iter_mut().rev() {
            values.extend(frame.operands.iter_mut().rev());
            values.extend(frame.locals.iter_mut().rev());
        }
    }
    values.extend(globals);
    for value in values {
        match &mut value.kind {
            Some(Kind::F32(v)) if f32::from_bits(*v).is_nan() => {
                *v = flip(u64::from(*v), 0x007f_ffff) as u32;
                return true;
            }
            Some(Kind::F64(v)) if f64::from_bits(*v).is_nan() => {
                *v = flip(*v, 0x000f_ffff_ffff_ffff);
                return true;
            }
            _ => {}
        }
    }
    false
}
