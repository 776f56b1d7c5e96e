//! Mutant engines: a real engine whose images are corrupted the way real native-to-image
//! mapping bugs corrupt them. A campaign must catch every variant, in the expected class; this
//! is the proof that the oracles can fail.
//!
//! Corruptions act at one [`Stage`]: on images the engine *takes* (a wrong native → image
//! mapping), on images it *restores* (a lossy image → native mapping: the engine runs from a
//! state other than the image's), or on the first run *resumed* after a restore (the restore is
//! faithful but the resumed run fires its stop event again, so every later event number is one
//! higher: fuel runs out one event early, counts and stops are one off).
//!
//! Invariants: only images of a suspended run are corrupted (idle images stay honest, so the
//! end-of-case comparison still sees what the restored run did); a corruption that does not
//! apply to an image (no operands, nothing dropped, ...) leaves it unchanged, like a latent bug;
//! uninterrupted runs are never touched; everything else is delegated to the wrapped engine
//! untouched.

mod image;

use std::collections::{HashMap, HashSet};

use baton_checkpoint::image::{Image, Memory};

use baton_engine::{Engine, InstanceId, RunOptions, RunOutcome, RunReport, Wrapper};
use image::{
    lossy_local, nan_payload, stale_chunk, swapped_funcref, swapped_operands, wrong_operand,
};

/// Where a corruption acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// On images the engine takes at a stop.
    Take,
    /// On images given to the engine to restore.
    Restore,
    /// On the run resumed after a restore.
    Resume,
}

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
    /// After a restore, the resumed run fires its stop event a second time, so every later
    /// event number is one higher (caught by event numbering only).
    DoubleEvent,
    /// A restore resets the innermost frame's last non-zero local to zero (a local wrongly
    /// believed dead; caught by restore fidelity even when it is dead).
    LossyLocal,
    /// A restore points the first non-null function reference of a frame at another function
    /// (caught by funcref identity and by restore fidelity).
    SwappedFuncref,
    /// Images taken lose a bit of the first NaN's payload in a frame or global (caught by
    /// bit-exact NaN comparison).
    NanPayload,
    /// The stop a run reports is placed one byte past where it stopped, while its image is
    /// right (a stop report computed from the wrong native position; caught by the
    /// stop-location check only).
    MisplacedStop,
}

impl Corruption {
    /// Every variant.
    pub const ALL: [Corruption; 11] = [
        Corruption::WrongOperand,
        Corruption::SwappedOperands,
        Corruption::OffByOnePc,
        Corruption::LostLabel,
        Corruption::StaleMemoryChunk,
        Corruption::DroppedFlagLost,
        Corruption::DoubleEvent,
        Corruption::LossyLocal,
        Corruption::SwappedFuncref,
        Corruption::NanPayload,
        Corruption::MisplacedStop,
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
            Corruption::DoubleEvent => "double-event",
            Corruption::LossyLocal => "lossy-local",
            Corruption::SwappedFuncref => "swapped-funcref",
            Corruption::NanPayload => "nan-payload",
            Corruption::MisplacedStop => "misplaced-stop",
        }
    }

    /// Where the corruption acts.
    pub fn stage(self) -> Stage {
        match self {
            Corruption::DoubleEvent => Stage::Resume,
            Corruption::LossyLocal | Corruption::SwappedFuncref => Stage::Restore,
            _ => Stage::Take,
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
    /// instantiation or restore. Returns whether anything changed (never, for corruptions of
    /// runs rather than images: [`Corruption::DoubleEvent`], [`Corruption::MisplacedStop`]).
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
            Corruption::DoubleEvent | Corruption::MisplacedStop => false,
            Corruption::LossyLocal => lossy_local(image),
            Corruption::SwappedFuncref => swapped_funcref(image),
            Corruption::NanPayload => nan_payload(image),
        }
    }
}

/// A real engine corrupted by one [`Corruption`] at its [`Stage`].
pub struct MutantEngine {
    inner: Box<dyn Engine>,
    corruption: Corruption,
    baselines: HashMap<InstanceId, Vec<Memory>>,
    /// Restored instances not resumed yet ([`Corruption::DoubleEvent`] only).
    restored: HashSet<InstanceId>,
    /// Restored instances whose resumed invocation is still in progress (event numbers shifted
    /// by one, [`Corruption::DoubleEvent`] only).
    shifted: HashSet<InstanceId>,
}

impl MutantEngine {
    /// Wraps `inner`.
    pub fn new(inner: Box<dyn Engine>, corruption: Corruption) -> Self {
        Self {
            inner,
            corruption,
            baselines: HashMap::new(),
            restored: HashSet::new(),
            shifted: HashSet::new(),
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

    fn before_run(&mut self, instance: InstanceId, options: &mut RunOptions) {
        // The first resume fires the stop event again: from then on the engine's numbers are
        // one higher than its inner engine's, so it runs out of fuel (and reaches a stop
        // number) one event earlier.
        if self.restored.remove(&instance) {
            self.shifted.insert(instance);
        }
        if self.shifted.contains(&instance) {
            options.fuel = options.fuel.map(|fuel| fuel.saturating_sub(1));
            if let Some(stop) = options.stop.as_mut() {
                stop.at = stop.at.saturating_sub(1);
            }
        }
    }

    fn after_run(&mut self, instance: InstanceId, report: &mut RunReport) {
        if let (
            Corruption::MisplacedStop,
            RunOutcome::Suspended {
                location: Some(location),
                ..
            },
        ) = (self.corruption, &mut report.outcome)
        {
            location.pc += 1;
        }
        if !self.shifted.contains(&instance) {
            return;
        }
        report.events = report.events.map(|n| n + 1);
        match &mut report.outcome {
            RunOutcome::Suspended { event, .. } => *event += 1,
            _ => {
                self.shifted.remove(&instance);
            }
        }
    }

    fn after_take_image(&mut self, instance: InstanceId, image: &mut Image) {
        let Some(execution) = image.execution.as_mut() else {
            return;
        };
        if self.shifted.contains(&instance) {
            if let Some(point) = execution.safe_point.as_mut() {
                point.event += 1;
            }
        }
        if self.corruption.stage() == Stage::Take {
            let baseline = self.baselines.get(&instance).cloned().unwrap_or_default();
            self.corruption.apply(image, &baseline);
        }
    }

    fn before_restore(&mut self, image: &Image) -> Option<Image> {
        if self.corruption.stage() != Stage::Restore || image.execution.is_none() {
            return None;
        }
        let mut lossy = image.clone();
        self.corruption.apply(&mut lossy, &[]).then_some(lossy)
    }

    fn after_restore(&mut self, instance: InstanceId, image: &Image) {
        self.baselines.insert(instance, image.memories.clone());
        if self.corruption == Corruption::DoubleEvent && image.execution.is_some() {
            self.restored.insert(instance);
        }
    }
}
