;; memory.grow during a run: writes before and after growing, across chunk boundaries, so
;; images at different events carry different page counts and chunk sets.
(module
  (import "host" "pos" (func $pos (result i32)))
  (memory (export "memory") 1 3)
  (data (i32.const 4090) "chunk-boundary")
  (func (export "run") (param i32) (result i32)
    (local $i i32)
    (i32.store (i32.const 4094) (local.get 0))
    (drop (memory.grow (i32.const 1)))
    (loop $fill
      (i32.store (i32.add (i32.const 65536) (i32.mul (local.get $i) (i32.const 4096)))
                 (i32.add (call $pos) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 16))))
    (memory.size)
    (i32.load (i32.const 69632))
    (i32.add))
  (func (export "grow_past_max") (result i32)
    (memory.grow (i32.const 5))))
