;; call_indirect dispatch: a small "bytecode" loop that picks one of four handlers through a
;; table on every step. run(n) runs n steps and returns the final state.
(module
  (type $op (func (param i64 i32) (result i64)))
  (table 4 funcref)
  (elem (i32.const 0) $add $xor $rot $mul)
  (global (export "size") i32 (i32.const 6000000))
  (func $add (type $op) (i64.add (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func $xor (type $op) (i64.xor (local.get 0) (i64.const 0x5bd1e995)))
  (func $rot (type $op) (i64.rotl (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func $mul (type $op) (i64.mul (local.get 0) (i64.const 0x100000001b3)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $state i64)
    (local.set $state (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $state
          (call_indirect (type $op)
            (local.get $state)
            (local.get $i)
            (i32.and (i32.wrap_i64 (local.get $state)) (i32.const 3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (local.get $state)))
