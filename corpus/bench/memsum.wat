;; Memory checksum: fills 4 pages with a pseudo-random byte pattern, then folds them with
;; i32 loads and stores in `n` passes (each pass also rewrites every word).
(module
  (memory 4)
  (global (export "size") i32 (i32.const 400))
  (func $fill
    (local $addr i32) (local $x i32)
    (local.set $x (i32.const 12345))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $addr) (i32.const 262144)))
        ;; xorshift32
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
        (i32.store (local.get $addr) (local.get $x))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
        (br $next))))
  (func (export "run") (param $passes i32) (result i64)
    (local $pass i32) (local $addr i32) (local $word i32) (local $sum i64)
    (call $fill)
    (block $done_pass
      (loop $pass_loop
        (br_if $done_pass (i32.ge_u (local.get $pass) (local.get $passes)))
        (local.set $addr (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $addr) (i32.const 262144)))
            (local.set $word (i32.load (local.get $addr)))
            (local.set $sum
              (i64.add (i64.rotl (local.get $sum) (i64.const 5))
                       (i64.extend_i32_u (local.get $word))))
            (i32.store (local.get $addr)
              (i32.add (local.get $word) (i32.load8_u offset=1 (local.get $addr))))
            (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
            (br $next)))
        (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
        (br $pass_loop)))
    (local.get $sum)))
