//! Comparing two images: byte-identical canonical encodings, or the first differing line of
//! their text views plus a unified diff of the whole views.
//!
//! Invariant: two images are reported equal exactly when their canonical encodings are equal
//! (so NaN payloads and reference identities count, not only what the text shows).

use baton_checkpoint::image::Image;
use baton_checkpoint::{encode, to_text};
use similar::TextDiff;

/// How two images differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageDiff {
    /// The first differing line of the text views: `(line number from 1, left, right)`; `None`
    /// when the text views are equal but the encodings are not.
    pub first: Option<(usize, String, String)>,
    /// A unified diff of the text views (`--- left` / `+++ right`).
    pub unified: String,
}

/// The difference between `left` and `right`; `None` when their canonical bytes are equal.
pub fn diff_images(left: &Image, right: &Image, names: (&str, &str)) -> Option<ImageDiff> {
    if encode(left) == encode(right) {
        return None;
    }
    let (a, b) = (to_text(left), to_text(right));
    let mut lines_a = a.lines();
    let mut lines_b = b.lines();
    let mut first = None;
    for number in 1.. {
        match (lines_a.next(), lines_b.next()) {
            (None, None) => break,
            (x, y) if x == y => continue,
            (x, y) => {
                let show = |line: Option<&str>| line.unwrap_or("<end of view>").to_string();
                first = Some((number, show(x), show(y)));
                break;
            }
        }
    }
    let unified = TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(names.0, names.1)
        .to_string();
    Some(ImageDiff { first, unified })
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_checkpoint::image::{value, Value};

    fn image_with_global(bits: u32) -> Image {
        Image {
            module_sha256: vec![0; 32],
            globals: vec![Value {
                kind: Some(value::Kind::F32(bits)),
            }],
            ..Image::default()
        }
    }

    #[test]
    fn equal_images_have_no_diff_and_different_ones_name_the_line() {
        let a = image_with_global(1.0f32.to_bits());
        assert_eq!(diff_images(&a, &a.clone(), ("a", "b")), None);
        let b = image_with_global(2.0f32.to_bits());
        let diff = diff_images(&a, &b, ("a", "b")).expect("they differ");
        let (line, left, right) = diff.first.expect("the text views differ");
        assert!(line > 1, "the header lines are equal");
        assert_ne!(left, right);
        assert!(diff.unified.contains("--- a") && diff.unified.contains("+++ b"));
    }

    #[test]
    fn nan_payloads_count_even_when_the_text_hides_them() {
        let a = image_with_global(0x7fc0_0000);
        let b = image_with_global(0x7fc0_0001);
        assert!(diff_images(&a, &b, ("a", "b")).is_some());
    }
}
