//! The stop-location property: where an engine says a run suspended
//! ([`RunOutcome::Suspended`]'s `location`) must be exactly the innermost frame of the image
//! it then takes. An engine computes the two from its native state along separate paths (the
//! stop report from the position it halted at, the image from its frame maps), so a mapping
//! bug in either shows here even when the image alone looks consistent.
//!
//! An engine that declares [`baton_engine::Engine::locates_stops`] must report a location at
//! every stop; for the others (older protocol adapters) a missing one is not checked.

use baton_checkpoint::image::Image;
use baton_engine::{RunOutcome, StopLocation};

/// Why the stop location `outcome` reports disagrees with `image`, or `None` when it agrees
/// (or the outcome is not a suspension, or carries no location and `required` is false).
pub fn disagreement(outcome: &RunOutcome, image: &Image, required: bool) -> Option<String> {
    let RunOutcome::Suspended { location, .. } = outcome else {
        return None;
    };
    let Some(StopLocation { func, pc }) = location else {
        return required.then(|| {
            "the engine declares located stops but reported this one without a location".into()
        });
    };
    let innermost = image
        .execution
        .as_ref()
        .and_then(|execution| execution.frames.last());
    match innermost {
        None => Some(format!(
            "the run reported a stop at function {func} pc {pc}, but the image has no frame"
        )),
        Some(frame) if (frame.func, frame.pc) != (*func, *pc) => Some(format!(
            "the run reported a stop at function {func} pc {pc}, but the image's innermost frame \
             is function {} pc {}",
            frame.func, frame.pc
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_checkpoint::image::{Execution, Frame};
    use baton_checkpoint::EventKind;

    fn image_at(frames: &[(u32, u32)]) -> Image {
        Image {
            execution: Some(Execution {
                frames: frames
                    .iter()
                    .map(|&(func, pc)| Frame {
                        func,
                        pc,
                        ..Frame::default()
                    })
                    .collect(),
                ..Execution::default()
            }),
            ..Image::default()
        }
    }

    fn stopped_at(func: u32, pc: u32) -> RunOutcome {
        RunOutcome::Suspended {
            kind: EventKind::Loop,
            event: 3,
            location: Some(StopLocation { func, pc }),
        }
    }

    #[test]
    fn only_the_innermost_frame_counts() {
        let image = image_at(&[(0, 5), (2, 17)]);
        for required in [false, true] {
            assert_eq!(disagreement(&stopped_at(2, 17), &image, required), None);
            let wrong_pc = disagreement(&stopped_at(2, 16), &image, required).expect("pc");
            assert!(
                wrong_pc.contains("pc 16") && wrong_pc.contains("pc 17"),
                "{wrong_pc}"
            );
            let outer = disagreement(&stopped_at(0, 5), &image, required);
            assert!(outer.is_some(), "outer frame");
            let frameless = disagreement(&stopped_at(2, 17), &Image::default(), required);
            assert!(frameless.is_some());
        }
    }

    #[test]
    fn unreported_locations_fail_only_engines_that_locate_stops() {
        let unreported = RunOutcome::Suspended {
            kind: EventKind::Entry,
            event: 0,
            location: None,
        };
        let image = image_at(&[(1, 0)]);
        assert_eq!(disagreement(&unreported, &image, false), None);
        assert!(disagreement(&unreported, &image, true).is_some());
        assert_eq!(disagreement(&RunOutcome::OutOfFuel, &image, true), None);
    }
}
