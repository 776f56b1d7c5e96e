//! Names of the exports the instrumentation adds. Every one starts with [`PREFIX`]; a module
//! that already exports such a name is rejected.

/// Prefix of every added export.
pub const PREFIX: &str = "__baton_";

/// The events-left global (i64): decremented at every event, the host is called once it is
/// negative.
pub const LEFT: &str = "__baton_left";
/// The slack global (i64): events the host held back from the counter when it armed it (see
/// `layout::GO_ON`); the events left are the counter's plus these.
pub const SLACK: &str = "__baton_slack";
/// `control(mode: i32, left: i64, slack: i64)`: sets the run state (`left` in the counter's
/// layout, see `layout::DEPTH_BITS`).
pub const CONTROL: &str = "__baton_control";
/// `globals_save()`: saves every global, index order.
pub const GLOBALS_SAVE: &str = "__baton_globals_save";
/// `globals_load()`: loads every mutable global, index order.
pub const GLOBALS_LOAD: &str = "__baton_globals_load";
/// `dropped_save()`: saves the drop flag of every passive data, then element, segment.
pub const DROPPED_SAVE: &str = "__baton_dropped_save";
/// `dropped_load()`: loads a flag per passive data, then element, segment; drops the flagged.
pub const DROPPED_LOAD: &str = "__baton_dropped_load";

/// Memory `i` itself.
pub fn memory(i: usize) -> String {
    format!("__baton_mem{i}")
}

/// `mem_resize{i}(pages) -> i32`: grows memory `i` to `pages` and zeroes it; -1 if it cannot.
pub fn memory_resize(i: usize) -> String {
    format!("__baton_mem_resize{i}")
}

/// `mem_fill{i}(addr)`: stores 512 loaded i64 values at `addr..addr + 4096` of memory `i`.
pub fn memory_fill(i: usize) -> String {
    format!("__baton_mem_fill{i}")
}

/// `table_save{t}()`: saves every element of table `t`.
pub fn table_save(t: usize) -> String {
    format!("__baton_table_save{t}")
}

/// `table_load{t}(size) -> i32`: grows table `t` to `size` and loads every element; -1 if the
/// table is larger or cannot grow.
pub fn table_load(t: usize) -> String {
    format!("__baton_table_load{t}")
}

/// Original function `k`, exported so the host can make references to it.
pub fn func(k: u32) -> String {
    format!("__baton_f{k}")
}

/// The rewind copy of original function `k` (see `body`), which the host calls to rewind a
/// run whose outermost frame is `k` (listed in `Meta::rewind_copies`).
pub fn rewind(k: u32) -> String {
    format!("__baton_rw{k}")
}
