;; Multi-value blocks and ifs: values carried into and out of blocks, branches with several
;; values, block parameters left on the operand stack across calls (call/return safe points
;; inside blocks with params).
(module
  (import "host" "mix_i32" (func $mix (param i32 i32) (result i32)))
  (func $pair (param i32) (result i32 i64)
    (local.get 0) (i64.extend_i32_s (i32.mul (local.get 0) (i32.const 3))))
  (func (export "run") (param i32) (result i32 i64 i32)
    (call $pair (local.get 0))
    (block (param i32 i64) (result i32 i64 i32)
      (i32.const 7)
      (call $mix (local.get 0) (i32.const 1))
      (i32.add)
      (br_if 0 (i32.eqz (local.get 0)))
      (drop)
      (i32.const 9))
    (drop)
    (i32.wrap_i64)
    (i32.add)
    (i64.const 5)
    (if (param i32) (param i64) (result i32 i64 i32) (i32.ge_s (local.get 0) (i32.const 0))
      (then (i32.const 1))
      (else (i64.const 2) (i64.add) (i32.const 2)))))
