;; Float kernel: Mandelbrot escape counts over an n x n grid of [-2, 0.5] x [-1.25, 1.25]
;; with f64 arithmetic, at most 64 iterations per point. run(n) = total iterations.
(module
  (global (export "size") i32 (i32.const 600))
  (func (export "run") (param $n i32) (result i64)
    (local $px i32) (local $py i32) (local $iter i32) (local $total i64)
    (local $cx f64) (local $cy f64) (local $x f64) (local $y f64) (local $xx f64) (local $yy f64)
    (local $step f64)
    (local.set $step (f64.div (f64.const 2.5) (f64.convert_i32_u (local.get $n))))
    (block $done_y
      (loop $row
        (br_if $done_y (i32.ge_u (local.get $py) (local.get $n)))
        (local.set $cy
          (f64.sub (f64.mul (f64.convert_i32_u (local.get $py)) (local.get $step)) (f64.const 1.25)))
        (local.set $px (i32.const 0))
        (block $done_x
          (loop $col
            (br_if $done_x (i32.ge_u (local.get $px) (local.get $n)))
            (local.set $cx
              (f64.sub (f64.mul (f64.convert_i32_u (local.get $px)) (local.get $step)) (f64.const 2)))
            (local.set $x (f64.const 0))
            (local.set $y (f64.const 0))
            (local.set $iter (i32.const 0))
            (block $escaped
              (loop $orbit
                (local.set $xx (f64.mul (local.get $x) (local.get $x)))
                (local.set $yy (f64.mul (local.get $y) (local.get $y)))
                (br_if $escaped (f64.gt (f64.add (local.get $xx) (local.get $yy)) (f64.const 4)))
                (br_if $escaped (i32.ge_u (local.get $iter) (i32.const 64)))
                (local.set $y
                  (f64.add (f64.mul (f64.mul (f64.const 2) (local.get $x)) (local.get $y))
                           (local.get $cy)))
                (local.set $x (f64.add (f64.sub (local.get $xx) (local.get $yy)) (local.get $cx)))
                (local.set $iter (i32.add (local.get $iter) (i32.const 1)))
                (br $orbit)))
            (local.set $total (i64.add (local.get $total) (i64.extend_i32_u (local.get $iter))))
            (local.set $px (i32.add (local.get $px) (i32.const 1)))
            (br $col)))
        (local.set $py (i32.add (local.get $py) (i32.const 1)))
        (br $row)))
    (local.get $total)))
