//! A [`Plan`] as a WebAssembly text module.
//!
//! The module: chain functions `f0 .. f(depth-1)` of one type `$t`
//! (`i32 i64 f64 externref -> i32 i64 f64`), each holding a `ref.func` in a local and its
//! `externref` in another, running a counted loop whose body writes memory, optionally calls
//! the host and bumps imported globals, and calls the next function (directly or through
//! `call_indirect` on a table the module fills with exactly those functions, so the call never
//! traps) inside a block that takes parameters and returns three values, with a copy of a local
//! left on the operand stack and the local overwritten; the deepest function may recurse
//! (`rec`), then every function passes its `i64` through a `br_table` carrying a value and
//! writes its funcref into a spare table slot (identity observable at the end). With
//! [`Plan::segments`], `f0` first copies a passive data segment into memory and a passive
//! element segment into the table (once, guarded by a global) and drops both (every
//! invocation), so checkpoints after it carry dropped flags of passive segments.
//!
//! Invariants: the module validates with baton's features; every memory access is in bounds;
//! every loop is counted and recursion bounded, so the module terminates; `memory.grow` and
//! `table.grow` stay within the declared maxima for three invocations; `memory.init` and
//! `table.init` run only before their segment is dropped.

use std::fmt::Write;

use super::plan::Plan;

/// The module's text.
pub fn render(plan: &Plan) -> String {
    let d = plan.depth;
    let mut w = String::from("(module\n");
    if plan.host_calls {
        w.push_str("  (import \"host\" \"mix_i64\" (func $mix (param i64 i32) (result i64)))\n");
    }
    if plan.import_memory {
        w.push_str("  (import \"host\" \"memory\" (memory $mem 1 3))\n");
    }
    if plan.import_tables {
        w.push_str("  (import \"host\" \"table\" (table $ht 2 8 funcref))\n");
        w.push_str("  (import \"host\" \"externs\" (table $xt 1 4 externref))\n");
    }
    if plan.import_globals {
        w.push_str("  (import \"host\" \"counter\" (global $counter (mut i32)))\n");
        w.push_str("  (import \"host\" \"wide\" (global $wide (mut i64)))\n");
    }
    w.push_str("  (type $t (func (param i32 i64 f64 externref) (result i32 i64 f64)))\n");
    w.push_str("  (type $r (func (param i32) (result i32)))\n");
    let size = d + 3;
    let _ = writeln!(w, "  (table $tab {size} {} funcref)", size + 8);
    if !plan.import_memory {
        w.push_str("  (memory $mem 1 4)\n");
    }
    w.push_str("  (global $acc (mut i64) (i64.const 0))\n");
    let funcs: Vec<String> = (0..d).map(|i| format!("$f{i}")).collect();
    let _ = writeln!(
        w,
        "  (elem (table $tab) (i32.const 0) func {} $rec)",
        funcs.join(" ")
    );
    if plan.segments {
        w.push_str("  (global $copied (mut i32) (i32.const 0))\n");
        w.push_str("  (data $pd \"\\01\\02\\03\\04baton\\ff\")\n");
        let _ = writeln!(w, "  (elem $pe func $rec {})", funcs.join(" "));
    }
    for level in 0..d {
        chain_function(&mut w, plan, level);
    }
    w.push_str(
        "  (func $rec (type $r) (param $n i32) (result i32)\n    (if (result i32) (local.get $n)\n      (then (i32.add (call $rec (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))\n      (else (i32.const 0))))\n",
    );
    w.push_str("  (export \"f0\" (func $f0))\n  (export \"mem\" (memory $mem))\n");
    w.push_str("  (export \"tab\" (table $tab))\n  (export \"acc\" (global $acc))\n");
    if plan.import_tables {
        w.push_str("  (export \"ht\" (table $ht))\n  (export \"xt\" (table $xt))\n");
    }
    if plan.import_globals {
        w.push_str(
            "  (export \"counter\" (global $counter))\n  (export \"wide\" (global $wide))\n",
        );
    }
    w.push_str(")\n");
    w
}

fn chain_function(w: &mut String, plan: &Plan, level: usize) {
    let d = plan.depth;
    let deepest = level + 1 == d;
    let _ = writeln!(
        w,
        "  (func $f{level} (type $t) (param $a i32) (param $b i64) (param $x f64) (param $e externref) (result i32 i64 f64)"
    );
    w.push_str("    (local $n i32) (local $fr funcref) (local $e2 externref)\n");
    let _ = writeln!(w, "    (local.set $fr (ref.func $f{}))", (level + 1) % d);
    w.push_str("    (local.set $e2 (local.get $e))\n");
    if level == 0 && plan.grow_memory {
        w.push_str("    (drop (memory.grow (i32.const 1)))\n");
    }
    if level == 0 && plan.segments {
        // The copies land outside the loops' stores (below 0x4060) and in a spare table slot.
        let _ = writeln!(
            w,
            "    (if (i32.eqz (global.get $copied)) (then (memory.init $pd (i32.const 0x5000) (i32.const 0) (i32.const 10)) (table.init $tab $pe (i32.const {}) (i32.const 0) (i32.const 2)) (global.set $copied (i32.const 1))))",
            d + 1
        );
        w.push_str("    (data.drop $pd) (elem.drop $pe)\n");
    }
    if level == 0 && plan.grow_table {
        w.push_str("    (drop (table.grow $tab (local.get $fr) (i32.const 1)))\n");
        if plan.import_tables {
            w.push_str("    (drop (table.grow $ht (local.get $fr) (i32.const 1)))\n");
        }
    }
    let _ = writeln!(
        w,
        "    (local.set $n (i32.const {}))",
        plan.iterations[level]
    );
    w.push_str("    (loop $l\n");
    w.push_str("      (local.set $b (i64.add (local.get $b) (i64.extend_i32_u (local.get $n))))\n");
    w.push_str("      (local.set $x (f64.add (local.get $x) (f64.const 0.5)))\n");
    let _ = writeln!(
        w,
        "      (i32.store offset={} (i32.and (local.get $n) (i32.const 0x3ffc)) (local.get $a))",
        16 * level
    );
    if plan.host_calls {
        w.push_str("      (local.set $b (call $mix (local.get $b) (local.get $n)))\n");
    }
    if plan.import_globals {
        w.push_str("      (global.set $counter (i32.add (global.get $counter) (i32.const 1)))\n");
        w.push_str("      (global.set $wide (i64.sub (global.get $wide) (local.get $b)))\n");
    }
    if !deepest {
        let call = if plan.indirect[level] {
            format!("(call_indirect $tab (type $t) (i32.const {}))", level + 1)
        } else {
            format!("(call $f{})", level + 1)
        };
        // A copy of $a stays under the call while $a itself is overwritten.
        w.push_str("      (local.get $a) (local.get $a) (local.get $b)\n");
        w.push_str("      (block (param i32 i64) (result i32 i64 f64)\n");
        w.push_str("        (local.set $a (i32.const 0x5a5a))\n");
        let _ = writeln!(w, "        (local.get $x) (local.get $e2) {call})");
        w.push_str("      (local.set $x) (local.set $b) (i32.xor) (local.set $a)\n");
    }
    w.push_str("      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n");
    if deepest && plan.recursion > 0 {
        let call = if plan.indirect[level] {
            format!(
                "(call_indirect $tab (type $r) (i32.const {}) (i32.const {d}))",
                plan.recursion
            )
        } else {
            format!("(call $rec (i32.const {}))", plan.recursion)
        };
        let _ = writeln!(w, "    (local.set $a (i32.add (local.get $a) {call}))");
    }
    w.push_str("    (global.set $acc (i64.add (global.get $acc) (local.get $b)))\n");
    w.push_str("    (local.set $b (block $o (result i64) (block $p (result i64) (local.get $b) (i32.and (local.get $a) (i32.const 3)) (br_table $o $p $o $p)) (i64.const 7) (i64.xor)))\n");
    let _ = writeln!(
        w,
        "    (table.set $tab (i32.const {}) (local.get $fr))",
        d + 1 + level % 2
    );
    if plan.import_tables {
        w.push_str("    (table.set $xt (i32.const 0) (local.get $e2))\n");
        w.push_str("    (table.set $ht (i32.const 1) (local.get $fr))\n");
    }
    if deepest && plan.may_trap {
        w.push_str(
            "    (if (i32.eqz (i32.and (local.get $a) (i32.const 1))) (then unreachable))\n",
        );
    }
    w.push_str("    (i32.add (local.get $a) (ref.is_null (local.get $e2))) (local.get $b) (local.get $x))\n");
}
