//! Typed access to 32-bit cells.
//!
//! Invariants: `i32`/`f32` occupy one cell; `i64`/`f64` occupy two adjacent cells, low word
//! first; references occupy one cell (see [`crate::refs`]). Reads and writes keep exact bits, so
//! float NaN payloads survive. Callers guarantee the offsets are inside the slice (the compiler
//! sizes every frame for the cells its code addresses).

/// A Rust type stored in cells.
pub trait CellValue: Sized + Copy {
    /// Cells the value occupies.
    const CELLS: u8;
    /// Reads the value starting at `at`.
    fn read(cells: &[u32], at: usize) -> Self;
    /// Writes the value starting at `at`.
    fn write(self, cells: &mut [u32], at: usize);
    /// The value's cell bits as one accumulator word (low cell in the low half); the inverse
    /// of [`CellValue::from_acc`]. Reading back a value of the same width keeps every bit.
    fn to_acc(self) -> u64;
    /// The value whose cell bits are the low [`CellValue::CELLS`] cells of `acc`.
    fn from_acc(acc: u64) -> Self;
}

impl CellValue for i32 {
    const CELLS: u8 = 1;
    #[inline(always)]
    fn to_acc(self) -> u64 {
        self as u32 as u64
    }
    #[inline(always)]
    fn from_acc(acc: u64) -> Self {
        acc as u32 as i32
    }
    #[inline(always)]
    fn read(cells: &[u32], at: usize) -> Self {
        cells[at] as i32
    }
    #[inline(always)]
    fn write(self, cells: &mut [u32], at: usize) {
        cells[at] = self as u32;
    }
}

impl CellValue for f32 {
    const CELLS: u8 = 1;
    #[inline(always)]
    fn to_acc(self) -> u64 {
        u64::from(self.to_bits())
    }
    #[inline(always)]
    fn from_acc(acc: u64) -> Self {
        f32::from_bits(acc as u32)
    }
    #[inline(always)]
    fn read(cells: &[u32], at: usize) -> Self {
        f32::from_bits(cells[at])
    }
    #[inline(always)]
    fn write(self, cells: &mut [u32], at: usize) {
        cells[at] = self.to_bits();
    }
}

impl CellValue for i64 {
    const CELLS: u8 = 2;
    #[inline(always)]
    fn to_acc(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_acc(acc: u64) -> Self {
        acc as i64
    }
    #[inline(always)]
    fn read(cells: &[u32], at: usize) -> Self {
        read_u64(cells, at) as i64
    }
    #[inline(always)]
    fn write(self, cells: &mut [u32], at: usize) {
        write_u64(cells, at, self as u64);
    }
}

impl CellValue for f64 {
    const CELLS: u8 = 2;
    #[inline(always)]
    fn to_acc(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn from_acc(acc: u64) -> Self {
        f64::from_bits(acc)
    }
    #[inline(always)]
    fn read(cells: &[u32], at: usize) -> Self {
        f64::from_bits(read_u64(cells, at))
    }
    #[inline(always)]
    fn write(self, cells: &mut [u32], at: usize) {
        write_u64(cells, at, self.to_bits());
    }
}

/// Reads a two-cell value, low word first.
#[inline(always)]
pub fn read_u64(cells: &[u32], at: usize) -> u64 {
    let pair = &cells[at..at + 2];
    u64::from(pair[0]) | (u64::from(pair[1]) << 32)
}

/// Writes a two-cell value, low word first, as one 64-bit store (so a following 64-bit read is
/// forwarded from the store instead of stalling on two partial ones).
#[inline(always)]
pub fn write_u64(cells: &mut [u32], at: usize, value: u64) {
    cells[at..at + 2].copy_from_slice(&[value as u32, (value >> 32) as u32]);
}

/// A zero-extended 64-bit result whose high word the optimiser cannot see as constant: it would
/// otherwise split the result's store into two 32-bit stores, and the next 64-bit read of the
/// cells would stall on store forwarding.
///
/// The value is or-ed with a static that is always zero but which the optimiser must load,
/// rather than passed through `std::hint::black_box`: that would put it in a stack slot whose
/// address escapes, and the threaded handlers could no longer end in a tail call.
#[inline(always)]
pub fn opaque_high(value: i64) -> i64 {
    value | OPAQUE_ZERO.load(std::sync::atomic::Ordering::Relaxed)
}

/// Always zero (nothing stores to it); see [`opaque_high`].
static OPAQUE_ZERO: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Sets the quiet bit of a NaN (rounding operations must return an arithmetic NaN, but Rust's
/// `ceil`/`floor`/`trunc`/`round_ties_even` may pass a signalling NaN through unchanged).
#[inline(always)]
pub fn quiet32(value: f32) -> f32 {
    if value.is_nan() {
        f32::from_bits(value.to_bits() | 0x0040_0000)
    } else {
        value
    }
}

/// [`quiet32`] for `f64`.
#[inline(always)]
pub fn quiet64(value: f64) -> f64 {
    if value.is_nan() {
        f64::from_bits(value.to_bits() | 0x0008_0000_0000_0000)
    } else {
        value
    }
}
