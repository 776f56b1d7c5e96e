//! Descriptors and the virtual directory: stdio (0-2), the preopened directory
//! ([`PREOPEN_FD`], named [`PREOPEN_NAME`]) holding flat files, and descriptors of open files.
//!
//! Invariants: paths name files directly in the preopened directory (`.` and empty components
//! are skipped; `..` is `ENOTCAPABLE`, subdirectories `ENOENT`); every offset and size is
//! checked, and a write beyond [`MAX_FILE`]/[`MAX_OUTPUT`] is `EFBIG`; the lowest free
//! descriptor is always the one `path_open` returns (as POSIX does), so descriptor numbers are
//! deterministic.

use baton_engine::{CallerMemory, Value};

use super::abi::{self, errno, filetype, iovecs, read_path, u32_arg, u64_arg, Ret, Stop};
use super::state::{HexBytes, OpenFile, WasiState, MAX_FDS, MAX_FILE, MAX_OUTPUT};
use super::state::{PREOPEN_FD, PREOPEN_NAME};

/// Every preview 1 right.
const ALL_RIGHTS: u64 = (1 << 29) - 1;
/// `fd_seek` and `fd_tell`: absent from stdio, so wasi-libc sees a terminal.
const SEEK_RIGHTS: u64 = (1 << 2) | (1 << 5);
/// `path_open` flags.
const O_CREAT: u32 = 1;
const O_DIRECTORY: u32 = 2;
const O_EXCL: u32 = 4;
const O_TRUNC: u32 = 8;
/// `fdflags.append`.
const FDFLAG_APPEND: u32 = 1;
/// Too many open files.
const EMFILE: i32 = 33;

/// What a descriptor denotes.
enum Fd {
    Stdin,
    Stdout,
    Stderr,
    Dir,
    File(u32),
}

fn resolve(state: &WasiState, fd: u32) -> Result<Fd, Stop> {
    Ok(match fd {
        0 => Fd::Stdin,
        1 => Fd::Stdout,
        2 => Fd::Stderr,
        PREOPEN_FD => Fd::Dir,
        other if state.fds.contains_key(&other) => Fd::File(other),
        _ => return Err(Stop::Errno(errno::BADF)),
    })
}

/// The file name a path denotes in the preopened directory (`"."` for the directory itself).
fn normalize(path: &str) -> Result<String, Stop> {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.contains(&"..") || path.starts_with('/') {
        return Err(Stop::Errno(errno::NOTCAPABLE));
    }
    match parts.as_slice() {
        [] => Ok(PREOPEN_NAME.to_string()),
        [name] => Ok((*name).to_string()),
        _ => Err(Stop::Errno(errno::NOENT)),
    }
}

fn open_file(state: &WasiState, fd: u32) -> Result<OpenFile, Stop> {
    state.fds.get(&fd).cloned().ok_or(Stop::Errno(errno::BADF))
}

/// Reads up to `len` bytes of `data` at `offset`.
fn slice_at(data: &[u8], offset: u64, len: usize) -> &[u8] {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let end = start.saturating_add(len).min(data.len());
    &data[start..end]
}

/// Writes `bytes` into `data` at `offset`, zero-filling a gap; `EFBIG` past `limit`.
fn write_at(data: &mut Vec<u8>, offset: u64, bytes: &[u8], limit: usize) -> Result<(), Stop> {
    let start = usize::try_from(offset).map_err(|_| Stop::Errno(errno::FBIG))?;
    let end = start
        .checked_add(bytes.len())
        .filter(|end| *end <= limit)
        .ok_or(Stop::Errno(errno::FBIG))?;
    if data.len() < end {
        data.resize(end, 0);
    }
    data[start..end].copy_from_slice(bytes);
    Ok(())
}

/// Appends `bytes` to an output stream.
fn append(stream: &mut Vec<u8>, bytes: &[u8]) -> Result<(), Stop> {
    let end = stream.len() as u64;
    write_at(stream, end, bytes, MAX_OUTPUT)
}

/// Gathers the bytes of an iovec array.
fn gather(memory: &dyn CallerMemory, iovs: u32, count: u32) -> Result<Vec<u8>, Stop> {
    let mut out = Vec::new();
    for (buf, len) in iovecs(memory, iovs, count)? {
        out.extend_from_slice(&abi::read_bytes(memory, buf, len)?);
    }
    Ok(out)
}

/// Scatters `data` into an iovec array; returns the bytes written.
fn scatter(memory: &mut dyn CallerMemory, iovs: u32, count: u32, data: &[u8]) -> Result<u32, Stop> {
    let mut done = 0usize;
    for (buf, len) in iovecs(memory, iovs, count)? {
        let chunk = slice_at(data, done as u64, len as usize);
        abi::write_bytes(memory, buf, chunk)?;
        done += chunk.len();
        if chunk.len() < len as usize {
            break;
        }
    }
    Ok(done as u32)
}

/// Total capacity of an iovec array.
fn capacity(memory: &dyn CallerMemory, iovs: u32, count: u32) -> Result<usize, Stop> {
    Ok(iovecs(memory, iovs, count)?
        .iter()
        .map(|(_, len)| *len as usize)
        .sum())
}

/// Writes `bytes` to `fd` at `at` (`None`: the descriptor's offset, which advances).
fn write_fd(state: &mut WasiState, fd: u32, bytes: &[u8], at: Option<u64>) -> Result<(), Stop> {
    match resolve(state, fd)? {
        Fd::Stdout => append(&mut state.stdout.0, bytes),
        Fd::Stderr => append(&mut state.stderr.0, bytes),
        Fd::Stdin => Err(Stop::Errno(errno::BADF)),
        Fd::Dir => Err(Stop::Errno(errno::ISDIR)),
        Fd::File(fd) => {
            let mut open = open_file(state, fd)?;
            let data = &mut state.files.entry(open.path.clone()).or_default().0;
            let offset = match at {
                Some(offset) => offset,
                None if open.append => data.len() as u64,
                None => open.offset,
            };
            write_at(data, offset, bytes, MAX_FILE)?;
            if at.is_none() {
                open.offset = offset + bytes.len() as u64;
                state.fds.insert(fd, open);
            }
            Ok(())
        }
    }
}

/// Reads up to `len` bytes from `fd` at `at` (`None`: the descriptor's offset, which advances).
fn read_fd(state: &mut WasiState, fd: u32, len: usize, at: Option<u64>) -> Result<Vec<u8>, Stop> {
    match resolve(state, fd)? {
        Fd::Stdin => {
            let offset = at.unwrap_or(state.stdin_offset);
            let out = slice_at(&state.stdin.0, offset, len).to_vec();
            if at.is_none() {
                state.stdin_offset += out.len() as u64;
            }
            Ok(out)
        }
        Fd::Stdout | Fd::Stderr => Err(Stop::Errno(errno::BADF)),
        Fd::Dir => Err(Stop::Errno(errno::ISDIR)),
        Fd::File(fd) => {
            let mut open = open_file(state, fd)?;
            let empty = HexBytes::default();
            let data = state.files.get(&open.path).unwrap_or(&empty);
            let out = slice_at(&data.0, at.unwrap_or(open.offset), len).to_vec();
            if at.is_none() {
                open.offset += out.len() as u64;
                state.fds.insert(fd, open);
            }
            Ok(out)
        }
    }
}

/// `fd_write(fd, iovs, iovs_len, nwritten)`.
pub fn fd_write(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let fd = u32_arg(args, 0)?;
    let bytes = gather(memory, u32_arg(args, 1)?, u32_arg(args, 2)?)?;
    write_fd(state, fd, &bytes, None)?;
    abi::write_u32(memory, u32_arg(args, 3)?, bytes.len() as u32)?;
    Ok(errno::SUCCESS)
}

/// `fd_pwrite(fd, iovs, iovs_len, offset, nwritten)`.
pub fn fd_pwrite(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let fd = u32_arg(args, 0)?;
    let bytes = gather(memory, u32_arg(args, 1)?, u32_arg(args, 2)?)?;
    if !matches!(resolve(state, fd)?, Fd::File(_)) {
        return Ok(errno::SPIPE);
    }
    write_fd(state, fd, &bytes, Some(u64_arg(args, 3)?))?;
    abi::write_u32(memory, u32_arg(args, 4)?, bytes.len() as u32)?;
    Ok(errno::SUCCESS)
}

/// `fd_read(fd, iovs, iovs_len, nread)`.
pub fn fd_read(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let (fd, iovs, count) = (u32_arg(args, 0)?, u32_arg(args, 1)?, u32_arg(args, 2)?);
    let len = capacity(memory, iovs, count)?;
    let data = read_fd(state, fd, len, None)?;
    let done = scatter(memory, iovs, count, &data)?;
    abi::write_u32(memory, u32_arg(args, 3)?, done)?;
    Ok(errno::SUCCESS)
}

/// `fd_pread(fd, iovs, iovs_len, offset, nread)`.
pub fn fd_pread(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let (fd, iovs, count) = (u32_arg(args, 0)?, u32_arg(args, 1)?, u32_arg(args, 2)?);
    if !matches!(resolve(state, fd)?, Fd::File(_)) {
        return Ok(errno::SPIPE);
    }
    let len = capacity(memory, iovs, count)?;
    let data = read_fd(state, fd, len, Some(u64_arg(args, 3)?))?;
    let done = scatter(memory, iovs, count, &data)?;
    abi::write_u32(memory, u32_arg(args, 4)?, done)?;
    Ok(errno::SUCCESS)
}

/// `fd_seek(fd, offset, whence, newoffset)`.
pub fn fd_seek(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let fd = u32_arg(args, 0)?;
    let delta = u64_arg(args, 1)? as i64;
    let whence = u32_arg(args, 2)?;
    let Fd::File(fd) = resolve(state, fd)? else {
        return Ok(errno::SPIPE);
    };
    let mut open = open_file(state, fd)?;
    let size = state.files.get(&open.path).map_or(0, |data| data.0.len()) as i64;
    let base = match whence {
        0 => 0,
        1 => open.offset as i64,
        2 => size,
        _ => return Ok(errno::INVAL),
    };
    let Some(target) = base.checked_add(delta).filter(|target| *target >= 0) else {
        return Ok(errno::INVAL);
    };
    open.offset = target as u64;
    state.fds.insert(fd, open);
    abi::write_u64(memory, u32_arg(args, 3)?, target as u64)?;
    Ok(errno::SUCCESS)
}

/// `fd_tell(fd, offset)`.
pub fn fd_tell(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let Fd::File(fd) = resolve(state, u32_arg(args, 0)?)? else {
        return Ok(errno::SPIPE);
    };
    let offset = open_file(state, fd)?.offset;
    abi::write_u64(memory, u32_arg(args, 1)?, offset)?;
    Ok(errno::SUCCESS)
}

/// `fd_close(fd)`: closing stdio or the preopen is accepted and changes nothing.
pub fn fd_close(state: &mut WasiState, _: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    match resolve(state, u32_arg(args, 0)?)? {
        Fd::File(fd) => {
            state.fds.remove(&fd);
        }
        Fd::Stdin | Fd::Stdout | Fd::Stderr | Fd::Dir => {}
    }
    Ok(errno::SUCCESS)
}

/// `fd_sync(fd)` / `fd_datasync(fd)`: nothing to flush.
pub fn fd_sync(state: &mut WasiState, _: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    resolve(state, u32_arg(args, 0)?)?;
    Ok(errno::SUCCESS)
}

/// `fd_fdstat_get(fd, stat)`.
pub fn fd_fdstat_get(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let fd = u32_arg(args, 0)?;
    let (kind, flags, rights) = match resolve(state, fd)? {
        Fd::Stdin | Fd::Stdout | Fd::Stderr => {
            (filetype::CHARACTER_DEVICE, 0u16, ALL_RIGHTS & !SEEK_RIGHTS)
        }
        Fd::Dir => (filetype::DIRECTORY, 0, ALL_RIGHTS),
        Fd::File(fd) => (
            filetype::REGULAR_FILE,
            u16::from(open_file(state, fd)?.append),
            ALL_RIGHTS,
        ),
    };
    let mut stat = [0u8; 24];
    stat[0] = kind;
    stat[2..4].copy_from_slice(&flags.to_le_bytes());
    stat[8..16].copy_from_slice(&rights.to_le_bytes());
    stat[16..24].copy_from_slice(&ALL_RIGHTS.to_le_bytes());
    abi::write_bytes(memory, u32_arg(args, 1)?, &stat)?;
    Ok(errno::SUCCESS)
}

/// `fd_fdstat_set_flags(fd, flags)`: only `append` on files is kept.
pub fn fd_fdstat_set_flags(state: &mut WasiState, _: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let flags = u32_arg(args, 1)?;
    if let Fd::File(fd) = resolve(state, u32_arg(args, 0)?)? {
        let mut open = open_file(state, fd)?;
        open.append = flags & FDFLAG_APPEND != 0;
        state.fds.insert(fd, open);
    }
    Ok(errno::SUCCESS)
}

/// A `filestat` record: type and size (device, inode and times are 0).
fn filestat(kind: u8, size: u64) -> [u8; 64] {
    let mut stat = [0u8; 64];
    stat[16] = kind;
    stat[24..32].copy_from_slice(&1u64.to_le_bytes());
    stat[32..40].copy_from_slice(&size.to_le_bytes());
    stat
}

/// `fd_filestat_get(fd, stat)`.
pub fn fd_filestat_get(
    state: &mut WasiState,
    memory: &mut dyn CallerMemory,
    args: &[Value],
) -> Ret {
    let stat = match resolve(state, u32_arg(args, 0)?)? {
        Fd::Stdin | Fd::Stdout | Fd::Stderr => filestat(filetype::CHARACTER_DEVICE, 0),
        Fd::Dir => filestat(filetype::DIRECTORY, 0),
        Fd::File(fd) => {
            let path = open_file(state, fd)?.path;
            let size = state.files.get(&path).map_or(0, |data| data.0.len());
            filestat(filetype::REGULAR_FILE, size as u64)
        }
    };
    abi::write_bytes(memory, u32_arg(args, 1)?, &stat)?;
    Ok(errno::SUCCESS)
}

/// `fd_filestat_set_size(fd, size)`.
pub fn fd_filestat_set_size(
    state: &mut WasiState,
    _: &mut dyn CallerMemory,
    args: &[Value],
) -> Ret {
    let Fd::File(fd) = resolve(state, u32_arg(args, 0)?)? else {
        return Ok(errno::INVAL);
    };
    let size = usize::try_from(u64_arg(args, 1)?).unwrap_or(usize::MAX);
    if size > MAX_FILE {
        return Ok(errno::FBIG);
    }
    let path = open_file(state, fd)?.path;
    state.files.entry(path).or_default().0.resize(size, 0);
    Ok(errno::SUCCESS)
}

/// `fd_prestat_get(fd, prestat)`: only [`PREOPEN_FD`] is a preopen.
pub fn fd_prestat_get(_: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    if u32_arg(args, 0)? != PREOPEN_FD {
        return Ok(errno::BADF);
    }
    let mut prestat = [0u8; 8];
    prestat[4..8].copy_from_slice(&(PREOPEN_NAME.len() as u32).to_le_bytes());
    abi::write_bytes(memory, u32_arg(args, 1)?, &prestat)?;
    Ok(errno::SUCCESS)
}

/// `fd_prestat_dir_name(fd, path, path_len)`.
pub fn fd_prestat_dir_name(
    _: &mut WasiState,
    memory: &mut dyn CallerMemory,
    args: &[Value],
) -> Ret {
    if u32_arg(args, 0)? != PREOPEN_FD {
        return Ok(errno::BADF);
    }
    let len = (u32_arg(args, 2)? as usize).min(PREOPEN_NAME.len());
    abi::write_bytes(memory, u32_arg(args, 1)?, &PREOPEN_NAME.as_bytes()[..len])?;
    Ok(errno::SUCCESS)
}

/// `path_open(dirfd, dirflags, path, path_len, oflags, rights, rights_inheriting, fdflags, fd)`.
pub fn path_open(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    if !matches!(resolve(state, u32_arg(args, 0)?)?, Fd::Dir) {
        return Ok(errno::NOTDIR);
    }
    let name = normalize(&read_path(memory, u32_arg(args, 2)?, u32_arg(args, 3)?)?)?;
    let oflags = u32_arg(args, 4)?;
    let fdflags = u32_arg(args, 7)?;
    if name == PREOPEN_NAME {
        // Opening the directory itself (opendir): not supported by this flat directory.
        *state
            .unsupported
            .entry("path_open(directory)".into())
            .or_default() += 1;
        return Ok(errno::NOSYS);
    }
    let exists = state.files.contains_key(&name);
    if oflags & O_DIRECTORY != 0 {
        return Ok(if exists { errno::NOTDIR } else { errno::NOENT });
    }
    if !exists && oflags & O_CREAT == 0 {
        return Ok(errno::NOENT);
    }
    if exists && oflags & O_CREAT != 0 && oflags & O_EXCL != 0 {
        return Ok(errno::EXIST);
    }
    let Some(fd) = (PREOPEN_FD + 1..).find(|fd| !state.fds.contains_key(fd)) else {
        return Ok(EMFILE);
    };
    if state.fds.len() >= MAX_FDS {
        return Ok(EMFILE);
    }
    abi::write_u32(memory, u32_arg(args, 8)?, fd)?;
    let data = state.files.entry(name.clone()).or_default();
    if oflags & O_TRUNC != 0 {
        data.0.clear();
    }
    state.fds.insert(
        fd,
        OpenFile {
            path: name,
            offset: 0,
            append: fdflags & FDFLAG_APPEND != 0,
        },
    );
    Ok(errno::SUCCESS)
}

/// `path_filestat_get(dirfd, flags, path, path_len, stat)`.
pub fn path_filestat_get(
    state: &mut WasiState,
    memory: &mut dyn CallerMemory,
    args: &[Value],
) -> Ret {
    if !matches!(resolve(state, u32_arg(args, 0)?)?, Fd::Dir) {
        return Ok(errno::NOTDIR);
    }
    let name = normalize(&read_path(memory, u32_arg(args, 2)?, u32_arg(args, 3)?)?)?;
    let stat = if name == PREOPEN_NAME {
        filestat(filetype::DIRECTORY, 0)
    } else {
        match state.files.get(&name) {
            Some(data) => filestat(filetype::REGULAR_FILE, data.0.len() as u64),
            None => return Ok(errno::NOENT),
        }
    };
    abi::write_bytes(memory, u32_arg(args, 4)?, &stat)?;
    Ok(errno::SUCCESS)
}

/// `path_unlink_file(dirfd, path, path_len)`.
pub fn path_unlink_file(
    state: &mut WasiState,
    memory: &mut dyn CallerMemory,
    args: &[Value],
) -> Ret {
    if !matches!(resolve(state, u32_arg(args, 0)?)?, Fd::Dir) {
        return Ok(errno::NOTDIR);
    }
    let name = normalize(&read_path(memory, u32_arg(args, 1)?, u32_arg(args, 2)?)?)?;
    if name == PREOPEN_NAME {
        return Ok(errno::ISDIR);
    }
    Ok(match state.files.remove(&name) {
        Some(_) => errno::SUCCESS,
        None => errno::NOENT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_preopened_directory() {
        assert_eq!(normalize("./a.txt"), Ok("a.txt".to_string()));
        assert_eq!(normalize("."), Ok(".".to_string()));
        assert_eq!(
            normalize("../etc/passwd"),
            Err(Stop::Errno(errno::NOTCAPABLE))
        );
        assert_eq!(normalize("/abs"), Err(Stop::Errno(errno::NOTCAPABLE)));
        assert_eq!(normalize("d/f"), Err(Stop::Errno(errno::NOENT)));
    }

    #[test]
    fn writes_fill_gaps_and_respect_limits() {
        let mut data = vec![1];
        write_at(&mut data, 3, &[9], 10).expect("fits");
        assert_eq!(data, vec![1, 0, 0, 9]);
        assert_eq!(
            write_at(&mut data, 9, &[1, 2], 10),
            Err(Stop::Errno(errno::FBIG))
        );
        assert_eq!(slice_at(&data, 2, 10), &[0, 9]);
        assert_eq!(slice_at(&data, 100, 10), &[] as &[u8]);
    }
}
