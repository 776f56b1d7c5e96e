//! A pre-scan of the protobuf wire format of an `Image` that counts what decoding would allocate
//! (frames, values, chunks, table elements, claimed pages) and refuses oversize claims before
//! prost allocates anything.
//!
//! The scan only descends into the messages that hold lists (`Image`, `Memory`, `Table`,
//! `Execution`, `Entry`, `Frame`); it never recurses further, so its stack depth is fixed. Fields
//! it does not know are skipped; malformed framing (a truncated varint or length, a group wire
//! type, a length past the end) is reported, so prost never sees it.

use crate::codec::{DecodeError, DecodeLimits, Limit};

/// One protobuf field as it appears on the wire.
enum Field<'a> {
    Varint(u64),
    Fixed,
    Bytes(&'a [u8]),
}

/// Iterates the fields of one message's bytes.
struct Fields<'a> {
    bytes: &'a [u8],
    position: usize,
    /// Offset of `bytes` within the image body, for error messages.
    base: usize,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Fields {
            bytes,
            position: 0,
            base,
        }
    }

    fn malformed(&self, what: &str) -> DecodeError {
        DecodeError::Malformed {
            offset: self.base + self.position,
            message: what.to_string(),
        }
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .bytes
                .get(self.position)
                .ok_or_else(|| self.malformed("truncated varint"))?;
            self.position += 1;
            if shift == 63 && byte > 1 {
                return Err(self.malformed("varint overflows 64 bits"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.malformed("varint longer than 10 bytes"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .position
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| self.malformed("field runs past the end of its message"))?;
        let slice = self.bytes.get(self.position..end).unwrap_or_default();
        self.position = end;
        Ok(slice)
    }

    /// The next field as (field number, payload, offset of the payload in the body), or `None` at
    /// the end.
    fn next_field(&mut self) -> Result<Option<(u64, Field<'a>, usize)>, DecodeError> {
        if self.position >= self.bytes.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Field::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| self.malformed("length does not fit in memory"))?;
                let offset = self.base + self.position;
                let payload = self.take(len)?;
                return Ok(Some((number, Field::Bytes(payload), offset)));
            }
            5 => {
                self.take(4)?;
                Field::Fixed
            }
            _ => return Err(self.malformed("unsupported wire type (groups are not used)")),
        };
        Ok(Some((number, field, self.base + self.position)))
    }
}

/// Running totals checked against the limits.
struct Counts<'l> {
    limits: &'l DecodeLimits,
    frames: usize,
    values: usize,
    chunks: usize,
}

impl Counts<'_> {
    fn bump(count: &mut usize, limit: usize, what: Limit) -> Result<(), DecodeError> {
        *count += 1;
        if *count > limit {
            return Err(DecodeError::LimitExceeded {
                what,
                limit: limit as u64,
            });
        }
        Ok(())
    }

    fn value(&mut self) -> Result<(), DecodeError> {
        Self::bump(&mut self.values, self.limits.max_values, Limit::Values)
    }
}

/// Scans an image body (the bytes after the header) against `limits`.
pub fn prescan(body: &[u8], limits: &DecodeLimits) -> Result<(), DecodeError> {
    let mut counts = Counts {
        limits,
        frames: 0,
        values: 0,
        chunks: 0,
    };
    let mut fields = Fields::new(body, 0);
    while let Some((number, field, offset)) = fields.next_field()? {
        match (number, field) {
            (2, Field::Bytes(memory)) => scan_memory(memory, offset, &mut counts)?,
            (3, Field::Bytes(_)) => counts.value()?,
            (4, Field::Bytes(table)) => scan_table(table, offset, limits)?,
            (8, Field::Bytes(execution)) => scan_execution(execution, offset, &mut counts)?,
            _ => {}
        }
    }
    Ok(())
}

fn scan_memory(bytes: &[u8], base: usize, counts: &mut Counts<'_>) -> Result<(), DecodeError> {
    let mut fields = Fields::new(bytes, base);
    while let Some((number, field, _)) = fields.next_field()? {
        match (number, field) {
            (1, Field::Varint(pages)) | (2, Field::Varint(pages))
                if pages > counts.limits.max_pages =>
            {
                return Err(DecodeError::LimitExceeded {
                    what: Limit::Pages,
                    limit: counts.limits.max_pages,
                })
            }
            (3, Field::Bytes(_)) => {
                Counts::bump(&mut counts.chunks, counts.limits.max_chunks, Limit::Chunks)?
            }
            _ => {}
        }
    }
    Ok(())
}

fn scan_table(bytes: &[u8], base: usize, limits: &DecodeLimits) -> Result<(), DecodeError> {
    let mut fields = Fields::new(bytes, base);
    let mut elements = 0u64;
    while let Some((number, field, _)) = fields.next_field()? {
        let claimed = match (number, field) {
            (1, Field::Bytes(_)) => {
                elements += 1;
                elements
            }
            (2, Field::Varint(max)) => max,
            _ => 0,
        };
        if claimed > limits.max_table_elements {
            return Err(DecodeError::LimitExceeded {
                what: Limit::TableElements,
                limit: limits.max_table_elements,
            });
        }
    }
    Ok(())
}

fn scan_execution(bytes: &[u8], base: usize, counts: &mut Counts<'_>) -> Result<(), DecodeError> {
    let mut fields = Fields::new(bytes, base);
    while let Some((number, field, offset)) = fields.next_field()? {
        match (number, field) {
            (1, Field::Bytes(entry)) => scan_values_at(entry, offset, &[2], counts)?,
            (3, Field::Bytes(frame)) => {
                Counts::bump(&mut counts.frames, counts.limits.max_frames, Limit::Frames)?;
                scan_values_at(frame, offset, &[3, 4, 5], counts)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Counts the length-delimited fields numbered in `value_fields` (values, or labels) as values.
fn scan_values_at(
    bytes: &[u8],
    base: usize,
    value_fields: &[u64],
    counts: &mut Counts<'_>,
) -> Result<(), DecodeError> {
    let mut fields = Fields::new(bytes, base);
    while let Some((number, field, _)) = fields.next_field()? {
        if matches!(field, Field::Bytes(_)) && value_fields.contains(&number) {
            counts.value()?;
        }
    }
    Ok(())
}
