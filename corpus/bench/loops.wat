;; Nested loops over locals only: integer arithmetic, compares and branches.
;; run(n) mixes i*j into an accumulator for all 0 <= i, j < n.
(module
  (global (export "size") i32 (i32.const 6000))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $acc i64)
    (block $done_i
      (loop $outer
        (br_if $done_i (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $done_j
          (loop $inner
            (br_if $done_j (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $acc
              (i64.add
                (i64.xor (local.get $acc) (i64.shr_u (local.get $acc) (i64.const 7)))
                (i64.extend_i32_u (i32.mul (local.get $i) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $acc)))
