;; Locals read onto the operand stack and then overwritten while the old value is still
;; pending (register engines must preserve it), across calls and loop back edges.
(module
  (import "host" "mix_i32" (func $mix (param i32 i32) (result i32)))
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "run") (param i32) (param i64) (result i32 i64)
    (local $t i32)
    (local.get 0)                       ;; old x pending
    (local.set 0 (i32.const 99))        ;; x overwritten
    (local.get 0)
    (local.tee 0 (call $id (i32.const 7)))
    (call $mix)                         ;; call with the old value still below
    (i32.add)
    (local.get 1)
    (local.set 1 (i64.const -1))
    (local.get 1)
    (i64.sub)
    (local.set $t (i32.const 0))
    (loop $l (param i32 i64) (result i32 i64)
      (local.get $t)
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (drop)
      (br_if $l (i32.lt_u (local.get $t) (i32.const 3))))))
