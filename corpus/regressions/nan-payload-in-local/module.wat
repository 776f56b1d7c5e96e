(module
  (type (;0;) (func))
  (type (;1;) (func (param i32)))
  (type (;2;) (func (param i32 i32) (result i32)))
  (type (;3;) (func (param i64 i32) (result i64)))
  (type (;4;) (func (param f32) (result f32)))
  (type (;5;) (func (param f64 i64) (result f64)))
  (type (;6;) (func (result i32)))
  (type (;7;) (func (param i64) (result i32 i32)))
  (import "host" "tick" (func (;0;) (type 0)))
  (import "host" "mix_i32" (func (;1;) (type 2) (param i32 i32) (result i32)))
  (import "host" "mix_i64" (func (;2;) (type 3) (param i64 i32) (result i64)))
  (import "host" "scale_f32" (func (;3;) (type 4) (param f32) (result f32)))
  (import "host" "pos" (func (;4;) (type 6) (result i32)))
  (global (;0;) (mut i64) i64.const 8116274965008307231)
  (global (;1;) (mut i64) i64.const 0)
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i32) i32.const 0)
  (global (;4;) (mut i32) i32.const 300)
  (export "" (func 0))
  (export "1" (func 1))
  (export "2" (func 2))
  (export "3" (func 3))
  (export "4" (func 4))
  (export "5" (func 5))
  (export "6" (global 0))
  (export "7" (global 1))
  (export "\u{5c}\u{14}h" (global 2))
  (export "9" (global 3))
  (start 0)
  (func (;5;) (type 5) (param f64 i64) (result f64)
    (local f64 f32 f32 f32 f64 f64 f32 f32 f32 f64)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    f64.const 0x1.13dd34b39888ep-738 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007452781662494454;)
    f64.ceil
    local.tee 2
    f64.const nan (;=NaN;)
    local.get 2
    local.get 2
    f64.eq
    select
    ref.null func
    i32.const -677344108
    i32.extend16_s
    f32.reinterpret_i32
    f32.abs
    i32.const -8
    f32.convert_i32_s
    f32.sqrt
    local.tee 3
    f32.const nan (;=NaN;)
    local.get 3
    local.get 3
    f32.eq
    select
    f32.abs
    nop
    f32.ceil
    local.tee 4
    f32.const nan (;=NaN;)
    local.get 4
    local.get 4
    f32.eq
    select
    f32.add
    local.tee 5
    f32.const nan (;=NaN;)
    local.get 5
    local.get 5
    f32.eq
    select
    block ;; label = @1
      block (type 6) (result i32) ;; label = @2
        local.get 1
        f32.convert_i64_u
        loop (type 6) (result i32) ;; label = @3
          global.get 4
          i32.eqz
          if ;; label = @4
            unreachable
          end
          global.get 4
          i32.const 1
          i32.sub
          global.set 4
          i32.const -782538240
          i32.clz
          br 1 (;@2;)
          block ;; label = @4
            f32.const -0x1.956cdp+110 (;=-2055749200000000000000000000000000;)
            i32.reinterpret_f32
            ref.null func
            i64.const 2401841920403553959
            f64.convert_i64_s
            f64.sqrt
            local.tee 6
            f64.const nan (;=NaN;)
            local.get 6
            local.get 6
            f64.eq
            select
            i64.trunc_sat_f64_s
            f32.const 0x1p-123 (;=0.00000000000000000000000000000000000009403955;)
            i32.trunc_sat_f32_u
            global.get 0
            i64.extend8_s
            i64.popcnt
            block ;; label = @5
              i64.const 5280018589522079524
              f64.convert_i64_u
              i64.trunc_sat_f64_s
              f64.const -0x1.923c0156c9e85p+201 (;=-5049732443194313000000000000000000000000000000000000000000000;)
              f64.const -0x1.efefefefefefep+1008 (;=-5314010372517807600000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
              f64.ceil
              local.tee 7
              f64.const nan (;=NaN;)
              local.get 7
              local.get 7
              f64.eq
              select
              global.get 0
              i64.ctz
              i64.eqz
              i32.extend8_s
              select
              local.tee 0
              i32.trunc_f64_u
              i32.ctz
              i32.const -513
              block ;; label = @6
                block ;; label = @7
                  call 0
                  i32.const -1048577
                  i64.const -32768
                  f32.convert_i64_s
                  i32.const 928094167
                  i32.clz
                  nop
                  f32.convert_i32_s
                  f32.ceil
                  local.tee 8
                  f32.const nan (;=NaN;)
                  local.get 8
                  local.get 8
                  f32.eq
                  select
                  f32.add
                  local.tee 9
                  f32.const nan (;=NaN;)
                  local.get 9
                  local.get 9
                  f32.eq
                  select
                  f32.abs
                  f32.ceil
                  local.tee 10
                  f32.const nan (;=NaN;)
                  local.get 10
                  local.get 10
                  f32.eq
                  select
                  i32.trunc_sat_f32_s
                  i32.shr_s
                  f64.convert_i32_s
                  f64.floor
                  local.tee 11
                  f64.const nan (;=NaN;)
                  local.get 11
                  local.get 11
                  f64.eq
                  select
                  i64.trunc_sat_f64_u
                  global.get 0
                  block (result i64) ;; label = @8
                    call 0
                    global.get 0
                    i64.extend16_s
                    i64.const 8982796067897656966
                    br 2 (;@6;)
                    i64.lt_s
                    call 4
                    i32.shr_s
                    loop ;; label = @9
                      global.get 4
                      i32.eqz
                      if ;; label = @10
                        unreachable
                      end
                      global.get 4
                      i32.const 1
                      i32.sub
                      global.set 4
                      i64.const 3692904726087615744
                      loop (type 6) (result i32) ;; label = @10
                        global.get 4
                        i32.eqz
                        if ;; label = @11
                          unreachable
                        end
                        global.get 4
                        i32.const 1
                        i32.sub
                        global.set 4
                        local.get 1
                        f32.convert_i64_u
                        block (result externref) ;; label = @11
                          br 4 (;@7;)
                          loop ;; label = @12
                            global.get 4
                            i32.eqz
                            if ;; label = @13
                              unreachable
                            end
                            global.get 4
                            i32.const 1
                            i32.sub
                            global.set 4
                            global.get 0
                            i64.extend8_s
                            global.get 1
                            i64.xor
                            global.set 1
                          end
                          ref.null extern
                        end
                        drop
                        i32.reinterpret_f32
                        global.get 2
                        i32.xor
                        global.set 2
                        i32.const 265909859
                      end
                      global.get 3
                      i32.xor
                      global.set 3
                      global.get 1
                      i64.xor
                      global.set 1
                    end
                    global.get 3
                    i32.xor
                    global.set 3
                    i64.const 35184372088832
                  end
                  global.get 1
                  i64.xor
                  global.set 1
                  global.get 1
                  i64.xor
                  global.set 1
                  global.get 1
                  i64.xor
                  global.set 1
                end
              end
              global.get 3
              i32.xor
              global.set 3
              global.get 3
              i32.xor
              global.set 3
              global.get 1
              i64.xor
              global.set 1
            end
            global.get 1
            i64.xor
            global.set 1
            global.get 3
            i32.xor
            global.set 3
            global.get 1
            i64.xor
            global.set 1
            drop
            global.get 3
            i32.xor
            global.set 3
          end
          i32.const 16843009
        end
        global.get 3
        i32.xor
        global.set 3
        i32.reinterpret_f32
        global.get 2
        i32.xor
        global.set 2
        i32.const -67108865
      end
      global.get 3
      i32.xor
      global.set 3
    end
    i32.reinterpret_f32
    global.get 2
    i32.xor
    global.set 2
    drop
  )
)
