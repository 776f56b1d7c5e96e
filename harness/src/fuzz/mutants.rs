//! Mutant engines: a real engine whose images are corrupted the way real native-to-image
//! mapping bugs corrupt them. A campaign must catch every variant, in the expected class; this
//! is the proof that the oracles can fail.
//!
//! Invariants: only images of a suspended run are corrupted (idle images stay honest, so the
//! end-of-case comparison still sees what the restored run did); a corruption that does not
//! apply to an image (no operands, nothing dropped, ...) leaves it unchanged, like a latent bug;
//! everything else is delegated to the wrapped engine untouched.

use std::collections::HashMap;

use baton_checkpoint::image::{value::Kind, Chunk, Image, Memory};

use baton_engine::Wrapper;
use baton_engine::{Engine, InstanceId};

/// One kind of image corruption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Corruption {
    /// The top numeric operand of the innermost frame that has one gets its low bit flipped.
    WrongOperand,
    /// Two adjacent operands of one type and different values are swapped.
    SwappedOperands,
    /// The innermost frame's pc is one byte too far.
    OffByOnePc,
    /// The innermost frame's innermost label (not the body's) is lost.
    LostLabel,
    /// The last memory chunk written since instantiation/restore is reported with its old
    /// content (a missed dirty-chunk write).
    StaleMemoryChunk,
    /// The first dropped data (or element) segment is reported as not dropped.
    DroppedFlagLost,
}

impl Corruption {
    /// Every variant.
    pub const ALL: [Corruption; 6] = [
        Corruption::WrongOperand,
        Corruption::SwappedOperands,
        Corruption::OffByOnePc,
        Corruption::LostLabel,
        Corruption::StaleMemoryChunk,
        Corruption::DroppedFlagLost,
    ];

    /// The variant's name (as used in `mutant-<name>:<engine>`).
    pub fn name(self) -> &'static str {
        match self {
            Corruption::WrongOperand => "wrong-operand",
            Corruption::SwappedOperands => "swapped-operands",
            Corruption::OffByOnePc => "off-by-one-pc",
            Corruption::LostLabel => "lost-label",
            Corruption::StaleMemoryChunk => "stale-memory-chunk",
            Corruption::DroppedFlagLost => "dropped-flag-lost",
        }
    }

    /// Parses a variant name.
    pub fn from_name(name: &str) -> Option<Corruption> {
        Corruption::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The mutant engine name for this corruption of `base`.
    pub fn engine_name(self, base: &str) -> String {
        format!("mutant-{}:{base}", self.name())
    }

    /// Applies the corruption to a suspended image; `baseline` is the memory as of
    /// instantiation or restore. Returns whether anything changed.
    pub fn apply(self, image: &mut Image, baseline: &[Memory]) -> bool {
        match self {
            Corruption::WrongOperand => wrong_operand(image),
            Corruption::SwappedOperands => swapped_operands(image),
            Corruption::OffByOnePc => {
                match image.execution.as_mut().and_then(|e| e.frames.last_mut()) {
                    Some(frame) => {
                        frame.pc += 1;
                        true
                    }
                    None => false,
                }
            }
            Corruption::LostLabel => {
                match image.execution.as_mut().and_then(|e| e.frames.last_mut()) {
                    Some(frame) if frame.labels.len() > 1 => frame.labels.pop().is_some(),
                    _ => false,
                }
            }
            Corruption::StaleMemoryChunk => stale_chunk(image, baseline),
            Corruption::DroppedFlagLost => {
                let flag = image
                    .dropped_data
                    .iter_mut()
                    .chain(image.dropped_elements.iter_mut())
                    .find(|f| **f);
                match flag {
                    Some(flag) => {
                        *flag = false;
                        true
                    }
                    None => false,
                }
            }
        }
    }
}

fn wrong_operand(image: &mut Image) -> bool {
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

fn swapped_operands(image: &mut Image) -> bool {
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

fn stale_chunk(image: &mut Image, baseline: &[Memory]) -> bool {
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

/// A real engine whose suspended images are corrupted by one [`Corruption`].
pub struct MutantEngine {
    inner: Box<dyn Engine>,
    corruption: Corruption,
    baselines: HashMap<InstanceId, Vec<Memory>>,
}

impl MutantEngine {
    /// Wraps `inner`.
    pub fn new(inner: Box<dyn Engine>, corruption: Corruption) -> Self {
        Self {
            inner,
            corruption,
            baselines: HashMap::new(),
        }
    }

    fn record_baseline(&mut self, instance: InstanceId) {
        if let Ok(image) = self.inner.take_image(instance) {
            self.baselines.insert(instance, image.memories);
        }
    }
}

impl Wrapper for MutantEngine {
    fn inner(&self) -> &dyn Engine {
        self.inner.as_ref()
    }

    fn inner_mut(&mut self) -> &mut dyn Engine {
        self.inner.as_mut()
    }

    fn after_instantiate(&mut self, instance: InstanceId) {
        self.record_baseline(instance);
    }

    fn after_take_image(&mut self, instance: InstanceId, image: &mut Image) {
        if image.execution.is_some() {
            let baseline = self.baselines.get(&instance).cloned().unwrap_or_default();
            self.corruption.apply(image, &baseline);
        }
    }

    fn after_restore(&mut self, instance: InstanceId, image: &Image) {
        self.baselines.insert(instance, image.memories.clone());
    }
}
