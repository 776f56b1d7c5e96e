;; Deep recursion: hundreds of frames, each with locals and a pending operand below the call, so
;; images carry long frame lists whose outer frames' operands exclude the callee's arguments.
(module
  (import "host" "tick" (func $tick))
  (func $down (param $n i32) (param $acc i64) (result i64)
    (local $keep f64)
    (local.set $keep (f64.convert_i32_s (local.get $n)))
    (if (result i64) (i32.le_s (local.get $n) (i32.const 0))
      (then (call $tick) (local.get $acc))
      (else
        (i64.extend_i32_s (local.get $n))
        (call $down (i32.sub (local.get $n) (i32.const 1))
                    (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
        (i64.add)
        (i64.trunc_f64_s (local.get $keep))
        (i64.sub))))
  (func (export "run") (param i32) (result i64)
    (call $down (i32.add (i32.const 200) (i32.and (local.get 0) (i32.const 63))) (i64.const 0)))
  (func $forever (param i32) (result i32)
    (i32.add (call $forever (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "exhaust") (param i32) (result i32)
    (call $forever (local.get 0))))
