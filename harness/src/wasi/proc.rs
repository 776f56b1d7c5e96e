//! Process-level WASI functions: arguments, environment, the virtual clock, the seeded random
//! generator, `sched_yield` and `proc_exit`.
//!
//! Invariant: nothing here reads the real world: time is [`WasiState::clock_ns`] (advanced by
//! every host call), randomness is [`WasiState::next_random`].

use baton_engine::{CallerMemory, Value};

use super::abi::{errno, u32_arg, u64_arg, write_bytes, write_u32, write_u64, Ret, Stop};
use super::state::WasiState;

/// Realtime clock origin: 2024-01-01T00:00:00Z in nanoseconds.
const REALTIME_ORIGIN_NS: u64 = 1_704_067_200_000_000_000;

/// Writes a string list (`args_get`/`environ_get`): pointers at `ptrs`, NUL-terminated bytes
/// at `buf`.
fn write_list(memory: &mut dyn CallerMemory, list: &[String], ptrs: u32, buf: u32) -> Ret {
    let mut at = buf;
    for (i, item) in list.iter().enumerate() {
        let slot = ptrs.wrapping_add(4 * i as u32);
        write_u32(memory, slot, at)?;
        let mut bytes = item.as_bytes().to_vec();
        bytes.push(0);
        write_bytes(memory, at, &bytes)?;
        at = at.wrapping_add(bytes.len() as u32);
    }
    Ok(errno::SUCCESS)
}

/// Writes a string list's sizes (`args_sizes_get`/`environ_sizes_get`).
fn write_sizes(memory: &mut dyn CallerMemory, list: &[String], count: u32, size: u32) -> Ret {
    let bytes: usize = list.iter().map(|item| item.len() + 1).sum();
    write_u32(memory, count, list.len() as u32)?;
    write_u32(memory, size, bytes as u32)?;
    Ok(errno::SUCCESS)
}

/// `args_get(argv, argv_buf)`.
pub fn args_get(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    write_list(memory, &state.args, u32_arg(args, 0)?, u32_arg(args, 1)?)
}

/// `args_sizes_get(argc, argv_buf_size)`.
pub fn args_sizes_get(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    write_sizes(memory, &state.args, u32_arg(args, 0)?, u32_arg(args, 1)?)
}

/// `environ_get(environ, environ_buf)`.
pub fn environ_get(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    write_list(memory, &state.env, u32_arg(args, 0)?, u32_arg(args, 1)?)
}

/// `environ_sizes_get(count, buf_size)`.
pub fn environ_sizes_get(
    state: &mut WasiState,
    memory: &mut dyn CallerMemory,
    args: &[Value],
) -> Ret {
    write_sizes(memory, &state.env, u32_arg(args, 0)?, u32_arg(args, 1)?)
}

/// `clock_res_get(id, resolution)`: every clock ticks in [`super::state::CLOCK_STEP_NS`].
pub fn clock_res_get(_: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    if u32_arg(args, 0)? > 3 {
        return Ok(errno::INVAL);
    }
    write_u64(memory, u32_arg(args, 1)?, super::state::CLOCK_STEP_NS)?;
    Ok(errno::SUCCESS)
}

/// `clock_time_get(id, precision, time)`: realtime is a fixed origin plus virtual time, the
/// other clocks are virtual time.
pub fn clock_time_get(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let id = u32_arg(args, 0)?;
    u64_arg(args, 1)?;
    let now = match id {
        0 => REALTIME_ORIGIN_NS.wrapping_add(state.clock_ns),
        1..=3 => state.clock_ns,
        _ => return Ok(errno::INVAL),
    };
    write_u64(memory, u32_arg(args, 2)?, now)?;
    Ok(errno::SUCCESS)
}

/// `random_get(buf, len)`.
pub fn random_get(state: &mut WasiState, memory: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let (buf, len) = (u32_arg(args, 0)?, u32_arg(args, 1)?);
    if u64::from(buf) + u64::from(len) > memory.size() {
        return Ok(errno::FAULT);
    }
    let mut bytes = Vec::with_capacity(len as usize);
    while bytes.len() < len as usize {
        bytes.extend_from_slice(&state.next_random().to_le_bytes());
    }
    bytes.truncate(len as usize);
    write_bytes(memory, buf, &bytes)?;
    Ok(errno::SUCCESS)
}

/// `sched_yield()`.
pub fn sched_yield(_: &mut WasiState, _: &mut dyn CallerMemory, _: &[Value]) -> Ret {
    Ok(errno::SUCCESS)
}

/// `proc_exit(code)`: records the code and traps with [`super::exit_message`].
pub fn proc_exit(state: &mut WasiState, _: &mut dyn CallerMemory, args: &[Value]) -> Ret {
    let code = u32_arg(args, 0)?;
    state.exit_code = Some(code);
    Err(Stop::Trap(super::exit_message(code)))
}
