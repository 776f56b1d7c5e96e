//! The WASI preview 1 ABI pieces the host uses: errno and file-type values, and typed reads and
//! writes of the caller's memory that turn an out-of-bounds pointer into `EFAULT`.

use baton_engine::{CallerMemory, Value};

/// WASI error numbers (`__wasi_errno_t`).
pub mod errno {
    /// No error.
    pub const SUCCESS: i32 = 0;
    /// Permission denied.
    pub const ACCES: i32 = 2;
    /// Bad file descriptor.
    pub const BADF: i32 = 8;
    /// File exists.
    pub const EXIST: i32 = 20;
    /// Bad address.
    pub const FAULT: i32 = 21;
    /// File too large.
    pub const FBIG: i32 = 22;
    /// Invalid argument.
    pub const INVAL: i32 = 28;
    /// Is a directory.
    pub const ISDIR: i32 = 31;
    /// No such file or directory.
    pub const NOENT: i32 = 44;
    /// Function not supported.
    pub const NOSYS: i32 = 52;
    /// Not a directory.
    pub const NOTDIR: i32 = 54;
    /// Invalid seek.
    pub const SPIPE: i32 = 70;
    /// Capabilities insufficient.
    pub const NOTCAPABLE: i32 = 76;
}

/// WASI file types (`__wasi_filetype_t`).
pub mod filetype {
    /// A character device (stdio).
    pub const CHARACTER_DEVICE: u8 = 2;
    /// A directory.
    pub const DIRECTORY: u8 = 3;
    /// A regular file.
    pub const REGULAR_FILE: u8 = 4;
}

/// A host call's early return: an errno (the call returns it) or a trap message.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// Return this errno.
    Errno(i32),
    /// Trap with this message.
    Trap(String),
}

impl From<baton_engine::MemoryAccessError> for Stop {
    fn from(_: baton_engine::MemoryAccessError) -> Self {
        Stop::Errno(errno::FAULT)
    }
}

/// What a WASI function returns: an errno (success is [`errno::SUCCESS`]).
pub type Ret = Result<i32, Stop>;

/// Argument `i` as an `i32`'s bits (a pointer, length or flags).
pub fn u32_arg(args: &[Value], i: usize) -> Result<u32, Stop> {
    match args.get(i) {
        Some(Value::I32(v)) => Ok(*v as u32),
        _ => Err(Stop::Errno(errno::INVAL)),
    }
}

/// Argument `i` as an `i64`'s bits.
pub fn u64_arg(args: &[Value], i: usize) -> Result<u64, Stop> {
    match args.get(i) {
        Some(Value::I64(v)) => Ok(*v as u64),
        _ => Err(Stop::Errno(errno::INVAL)),
    }
}

/// Reads `len` bytes at `ptr`.
pub fn read_bytes(memory: &dyn CallerMemory, ptr: u32, len: u32) -> Result<Vec<u8>, Stop> {
    if u64::from(ptr) + u64::from(len) > memory.size() {
        return Err(Stop::Errno(errno::FAULT));
    }
    let mut buf = vec![0u8; len as usize];
    memory.read(u64::from(ptr), &mut buf)?;
    Ok(buf)
}

/// Reads a little-endian `u32` at `ptr`.
pub fn read_u32(memory: &dyn CallerMemory, ptr: u32) -> Result<u32, Stop> {
    let mut buf = [0u8; 4];
    memory.read(u64::from(ptr), &mut buf)?;
    Ok(u32::from_le_bytes(buf))
}

/// Writes `data` at `ptr`.
pub fn write_bytes(memory: &mut dyn CallerMemory, ptr: u32, data: &[u8]) -> Result<(), Stop> {
    memory.write(u64::from(ptr), data)?;
    Ok(())
}

/// Writes a little-endian `u32` at `ptr`.
pub fn write_u32(memory: &mut dyn CallerMemory, ptr: u32, value: u32) -> Result<(), Stop> {
    write_bytes(memory, ptr, &value.to_le_bytes())
}

/// Writes a little-endian `u64` at `ptr`.
pub fn write_u64(memory: &mut dyn CallerMemory, ptr: u32, value: u64) -> Result<(), Stop> {
    write_bytes(memory, ptr, &value.to_le_bytes())
}

/// The `(buf, len)` pairs of an iovec array of `count` entries at `ptr`.
pub fn iovecs(memory: &dyn CallerMemory, ptr: u32, count: u32) -> Result<Vec<(u32, u32)>, Stop> {
    // Each entry is 8 bytes; bound the count by the memory before allocating.
    if u64::from(count) * 8 > memory.size() {
        return Err(Stop::Errno(errno::FAULT));
    }
    (0..count)
        .map(|i| {
            let at = ptr.checked_add(i * 8).ok_or(Stop::Errno(errno::FAULT))?;
            Ok((read_u32(memory, at)?, read_u32(memory, at.wrapping_add(4))?))
        })
        .collect()
}

/// Reads a UTF-8 path of `len` bytes at `ptr`.
pub fn read_path(memory: &dyn CallerMemory, ptr: u32, len: u32) -> Result<String, Stop> {
    String::from_utf8(read_bytes(memory, ptr, len)?).map_err(|_| Stop::Errno(errno::INVAL))
}
