(module
  (type (;0;) (func))
  (type (;1;) (func (param i32)))
  (type (;2;) (func (param i32 i32) (result i32)))
  (type (;3;) (func (param i64 i32) (result i64)))
  (type (;4;) (func (param f32) (result f32)))
  (type (;5;) (func (param f64 i64) (result f64)))
  (type (;6;) (func (result i32)))
  (type (;7;) (func (param i64) (result i32 i32)))
  (import "host" "log_i32" (func (;0;) (type 1) (param i32)))
  (import "host" "mix_i64" (func (;1;) (type 3) (param i64 i32) (result i64)))
  (import "host" "pos" (func (;2;) (type 6) (result i32)))
  (table (;0;) 0 12 funcref)
  (global (;0;) (mut i64) i64.const 0)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 300)
  (export "'" (func 0))
  (export "" (func 1))
  (export "2" (func 2))
  (export "3" (func 3))
  (export "4" (func 4))
  (export "5" (func 5))
  (export "6" (func 6))
  (export "7" (func 7))
  (export "8" (table 0))
  (export "E\u{0}w6\u{14}!" (global 0))
  (export "10" (global 1))
  (export "|" (global 2))
  (export "12" (global 3))
  (elem (;0;) externref)
  (func (;3;) (type 5) (param f64 i64) (result f64)
    (local f64)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    table.size 0
    block (type 0) ;; label = @1
    end
    block (type 1) (param i32) ;; label = @1
      i32.clz
      i32.ctz
      i32.extend8_s
      call_indirect (type 6)
      f32.convert_i32_s
      f32.const -0x1.8ad552p-14 (;=-0.00009413559;)
      loop ;; label = @2
        global.get 4
        i32.eqz
        if ;; label = @3
          unreachable
        end
        global.get 4
        i32.const 1
        i32.sub
        global.set 4
        local.get 0
        f64.trunc
        local.tee 2
        f64.const nan (;=NaN;)
        local.get 2
        local.get 2
        f64.eq
        select
        local.set 0
        local.get 1
        i64.popcnt
        i64.popcnt
        f32.convert_i64_u
        i64.const -281474976710656
        local.set 1
        br 1 (;@1;)
        i32.trunc_f32_u
        i32.clz
        ref.null extern
        call 7
        ref.null extern
        table.size 0
        local.get 1
        i64.const 2199023255551
        f32.convert_i64_s
        i32.trunc_sat_f32_u
        i64.extend_i32_s
        loop (type 0) ;; label = @3
          global.get 4
          i32.eqz
          if ;; label = @4
            unreachable
          end
          global.get 4
          i32.const 1
          i32.sub
          global.set 4
          ref.null extern
          local.get 1
          loop (type 7) (param i64) (result i32 i32) ;; label = @4
            global.get 4
            i32.eqz
            if ;; label = @5
              unreachable
            end
            global.get 4
            i32.const 1
            i32.sub
            global.set 4
            local.get 0
            i32.trunc_f64_s
            br_table 0 (;@4;) 0 (;@4;)
            i32.const -846830097
            f32.convert_i32_s
            elem.drop 0
            loop (type 6) (result i32) ;; label = @5
              global.get 4
              i32.eqz
              if ;; label = @6
                unreachable
              end
              global.get 4
              i32.const 1
              i32.sub
              global.set 4
              ref.null func
              i32.const 733521214
              i32.const -1692719165
              i32.eq
              data.drop 1
              i32.clz
              f32.const 0x1.8083b6p-100 (;=0.0000000000000000000000000000011848768;)
              br 3 (;@2;)
              data.drop 2
              i64.trunc_f32_s
              table.size 0
              f32.const -0x1.76530cp-61 (;=-0.0000000000000000006341302;)
              local.get 0
              i64.reinterpret_f64
              global.get 0
              i64.xor
              global.set 0
              i32.reinterpret_f32
              global.get 1
              i32.xor
              global.set 1
              global.get 2
              i32.xor
              global.set 2
              global.get 0
              i64.xor
              global.set 0
              global.get 2
              i32.xor
              global.set 2
              drop
              i32.const -1285471677
            end
            global.get 2
            i32.xor
            global.set 2
            i32.reinterpret_f32
            global.get 1
            i32.xor
            global.set 1
            i32.const 109415571
            i32.const 1091672325
          end
          global.get 2
          i32.xor
          global.set 2
          global.get 2
          i32.xor
          global.set 2
          drop
        end
        global.get 0
        i64.xor
        global.set 0
        global.get 0
        i64.xor
        global.set 0
        global.get 2
        i32.xor
        global.set 2
        drop
        global.get 2
        i32.xor
        global.set 2
        drop
        global.get 2
        i32.xor
        global.set 2
      end
      i32.reinterpret_f32
      global.get 1
      i32.xor
      global.set 1
      i32.reinterpret_f32
      global.get 1
      i32.xor
      global.set 1
    end
    f64.const -nan:0xfffffffffff7f (;=NaN;)
  )
  (func (;4;) (type 3) (param i64 i32) (result i64)
    (local f64 f64 f64 f32 f32 f32)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    local.get 0
    data.drop 0
    i64.popcnt
    block (result funcref) ;; label = @1
      table.size 0
      f32.convert_i32_u
      i64.trunc_f32_s
      loop (type 6) (result i32) ;; label = @2
        global.get 4
        i32.eqz
        if ;; label = @3
          unreachable
        end
        global.get 4
        i32.const 1
        i32.sub
        global.set 4
        local.get 1
        i32.const -2097153
        f64.convert_i32_s
        i64.trunc_sat_f64_s
        table.size 0
        br_table 2 2
        call 0
        block (type 6) (result i32) ;; label = @3
          f64.const -0x1.79088ac821c9dp-1004 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000008590613402874385;)
          f64.sqrt
          local.tee 2
          f64.const nan (;=NaN;)
          local.get 2
          local.get 2
          f64.eq
          select
          br 1 (;@2;)
          i64.trunc_f64_u
          data.drop 1
          table.size 0
          if (type 0) ;; label = @4
            br 0 (;@4;)
            data.drop 0
            f64.const 0x1.c4ed2a1cdf039p-821 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000012652060291953066;)
            elem.drop 0
            i32.trunc_f64_s
            i32.eqz
            call_indirect (type 0)
            ref.null func
            br 0 (;@4;)
            local.get 0
            f64.reinterpret_i64
            f32.const 0x1.f29e06p+38 (;=535386230000;)
            loop (result f64) ;; label = @5
              global.get 4
              i32.eqz
              if ;; label = @6
                unreachable
              end
              global.get 4
              i32.const 1
              i32.sub
              global.set 4
              loop (type 0) ;; label = @6
                global.get 4
                i32.eqz
                if ;; label = @7
                  unreachable
                end
                global.get 4
                i32.const 1
                i32.sub
                global.set 4
                ref.null extern
                br 4 (;@2;)
                local.get 1
                i32.extend16_s
                f64.convert_i32_u
                i32.trunc_f64_s
                data.drop 1
                elem.drop 0
                i32.ctz
                local.set 1
                br 4 (;@2;)
                ref.is_null
                f64.const 0x1.p-1062 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000020237;)
                i64.reinterpret_f64
                i32.const -4
                i32.eqz
                data.drop 0
                i64.const -8106807062564485929
                nop
                call 2
                f64.convert_i32_u
                f64.ceil
                local.tee 3
                f64.const nan (;=NaN;)
                local.get 3
                local.get 3
                f64.eq
                select
                data.drop 1
                i32.trunc_sat_f64_u
                i32.eqz
                table.size 0
                table.size 0
                loop (type 2) (param i32 i32) (result i32) ;; label = @7
                  global.get 4
                  i32.eqz
                  if ;; label = @8
                    unreachable
                  end
                  global.get 4
                  i32.const 1
                  i32.sub
                  global.set 4
                  i32.shl
                  f64.const 0x1p-1007 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007291122019556398;)
                  data.drop 2
                  f64.ceil
                  local.tee 4
                  f64.const nan (;=NaN;)
                  local.get 4
                  local.get 4
                  f64.eq
                  select
                  ref.null func
                  i64.const 4389164290135739998
                  loop (type 6) (result i32) ;; label = @8
                    global.get 4
                    i32.eqz
                    if ;; label = @9
                      unreachable
                    end
                    global.get 4
                    i32.const 1
                    i32.sub
                    global.set 4
                    br 2 (;@6;)
                    local.get 1
                    local.get 1
                    i32.lt_s
                    f32.reinterpret_i32
                    f32.sqrt
                    local.tee 5
                    f32.const nan (;=NaN;)
                    local.get 5
                    local.get 5
                    f32.eq
                    select
                    loop (type 0) ;; label = @9
                      global.get 4
                      i32.eqz
                      if ;; label = @10
                        unreachable
                      end
                      global.get 4
                      i32.const 1
                      i32.sub
                      global.set 4
                      table.size 0
                      call_indirect (type 0)
                      table.size 0
                      i32.const -684357687
                      loop ;; label = @10
                        global.get 4
                        i32.eqz
                        if ;; label = @11
                          unreachable
                        end
                        global.get 4
                        i32.const 1
                        i32.sub
                        global.set 4
                        table.size 0
                        br_if 1 (;@9;)
                      end
                      i32.lt_u
                      if ;; label = @10
                        i32.const -969700529
                        br_if 1 (;@9;)
                        local.get 0
                        table.size 0
                        i32.extend16_s
                        f64.convert_i32_u
                        i32.trunc_sat_f64_u
                        f32.convert_i32_s
                        f32.ceil
                        local.tee 6
                        f32.const nan (;=NaN;)
                        local.get 6
                        local.get 6
                        f32.eq
                        select
                        call 2
                        f32.reinterpret_i32
                        f32.floor
                        local.tee 7
                        f32.const nan (;=NaN;)
                        local.get 7
                        local.get 7
                        f32.eq
                        select
                        call 2
                        select
                        block (type 0) ;; label = @11
                          f64.const nan (;=NaN;)
                          i64.trunc_sat_f64_u
                          br 1 (;@10;)
                          elem.drop 0
                          i64.extend16_s
                          i64.ctz
                          block (result f32) ;; label = @12
                            f32.const -nan:0x7fdfff (;=NaN;)
                            elem.drop 0
                            loop (type 4) (param f32) (result f32) ;; label = @13
                              global.get 4
                              i32.eqz
                              if ;; label = @14
                                unreachable
                              end
                              global.get 4
                              i32.const 1
                              i32.sub
                              global.set 4
                            end
                          end
                          i32.reinterpret_f32
                          global.get 1
                          i32.xor
                          global.set 1
                          global.get 0
                          i64.xor
                          global.set 0
                        end
                        i32.reinterpret_f32
                        global.get 1
                        i32.xor
                        global.set 1
                        global.get 0
                        i64.xor
                        global.set 0
                      end
                    end
                    i32.reinterpret_f32
                    global.get 1
                    i32.xor
                    global.set 1
                    i32.const 1385787075
                  end
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 0
                  i64.xor
                  global.set 0
                  drop
                  i64.reinterpret_f64
                  global.get 3
                  i64.xor
                  global.set 3
                end
                global.get 2
                i32.xor
                global.set 2
                global.get 2
                i32.xor
                global.set 2
                global.get 0
                i64.xor
                global.set 0
                global.get 2
                i32.xor
                global.set 2
                global.get 0
                i64.xor
                global.set 0
                global.get 2
                i32.xor
                global.set 2
              end
              f64.const -0x1.1b3cc3fc378e6p+455 (;=-102933942705406830000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
            end
            i64.reinterpret_f64
            global.get 3
            i64.xor
            global.set 3
            i32.reinterpret_f32
            global.get 1
            i32.xor
            global.set 1
            i64.reinterpret_f64
            global.get 3
            i64.xor
            global.set 3
            drop
          end
          global.get 0
          i64.xor
          global.set 0
          i32.const -799200595
        end
      end
      global.get 2
      i32.xor
      global.set 2
      global.get 0
      i64.xor
      global.set 0
      ref.null func
    end
    drop
  )
  (func (;5;) (type 2) (param i32 i32) (result i32)
    (local f64 f64 f64 f32 f32 f64)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    nop
    call 2
    local.tee 0
    block (result f32) ;; label = @1
      ref.null extern
      f32.const 0x0p+0 (;=0;)
      i32.trunc_sat_f32_u
      block ;; label = @2
        local.get 1
        local.set 0
        call 7
        local.set 1
      end
      table.size 0
      call 0
      f64.convert_i32_s
      i32.trunc_sat_f64_u
      ref.null func
      block (type 0) ;; label = @2
        f64.const 0x1.e99a5f465cdd2p-315 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000028652035806236765;)
        f64.floor
        local.tee 3
        f64.const nan (;=NaN;)
        local.get 3
        local.get 3
        f64.eq
        select
        i64.trunc_f64_s
        i64.ctz
        f64.convert_i64_s
        local.get 2
        f64.lt
        f32.reinterpret_i32
        block (type 4) (param f32) (result f32) ;; label = @3
          f64.const -0x1.f64a42b194332p-866 (;=-0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000039878461127846015;)
          i32.const 7
          f64.convert_i32_s
          i32.trunc_f64_u
          i32.ctz
          ref.null extern
          block (result i32) ;; label = @4
            i64.const -8864041026713441941
            data.drop 0
            elem.drop 0
            i64.extend8_s
            ref.null func
            elem.drop 0
            i64.const -1341624085936895033
            i64.popcnt
            i64.clz
            f32.convert_i64_s
            local.get 1
            block (type 0) ;; label = @5
              ref.null extern
              nop
              f32.const -nan:0x7ffffe (;=NaN;)
              i64.trunc_sat_f32_s
              i64.clz
              i64.extend16_s
              call 2
              if (result i32) ;; label = @6
                elem.drop 0
                block ;; label = @7
                  f64.const -0x1.95f814bbd9625p-790 (;=-0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000024353220615158697;)
                  i64.const -2667703631585197954
                  f64.convert_i64_u
                  block (type 0) ;; label = @8
                    i64.const 9223372036854775807
                    i64.const 8118158458621421162
                    local.get 2
                    local.tee 2
                    nop
                    i64.trunc_sat_f64_s
                    i64.const -1229782938247303442
                    loop (type 6) (result i32) ;; label = @9
                      global.get 4
                      i32.eqz
                      if ;; label = @10
                        unreachable
                      end
                      global.get 4
                      i32.const 1
                      i32.sub
                      global.set 4
                      block (type 0) ;; label = @10
                        f64.const 0x1p-895 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003785766995733679;)
                        f64.const 0x1.ddfb2eab345b7p+938 (;=4338171984077966600000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
                        f64.abs
                        br 2 (;@8;)
                        f64.const -0x1.ba75411e38e91p+673 (;=-67735944803599310000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
                        f64.add
                        local.tee 4
                        f64.const nan (;=NaN;)
                        local.get 4
                        local.get 4
                        f64.eq
                        select
                        local.get 2
                        f64.eq
                        f32.convert_i32_s
                        i64.trunc_f32_u
                        block (type 7) (param i64) (result i32 i32) ;; label = @11
                          nop
                          nop
                          data.drop 2
                          block (type 0) ;; label = @12
                            local.get 0
                            call_indirect (type 6)
                            call_indirect (type 6)
                            f32.const 0x1.35d50ap+125 (;=51479700000000000000000000000000000000;)
                            f32.nearest
                            local.tee 5
                            f32.const nan (;=NaN;)
                            local.get 5
                            local.get 5
                            f32.eq
                            select
                            br 7 (;@5;)
                            f32.ceil
                            local.tee 6
                            f32.const nan (;=NaN;)
                            local.get 6
                            local.get 6
                            f32.eq
                            select
                            i32.trunc_sat_f32_s
                            i32.const -8193
                            f64.const -nan:0xffffeffffffff (;=NaN;)
                            i64.const 669027247296039381
                            i64.extend16_s
                            block (type 5) (param f64 i64) (result f64) ;; label = @13
                              i64.popcnt
                              f32.const -0x1.92f556p+73 (;=-14866539000000000000000;)
                              loop (type 0) ;; label = @14
                                global.get 4
                                i32.eqz
                                if ;; label = @15
                                  unreachable
                                end
                                global.get 4
                                i32.const 1
                                i32.sub
                                global.set 4
                                br 9 (;@5;)
                              end
                              loop ;; label = @14
                                global.get 4
                                i32.eqz
                                if ;; label = @15
                                  unreachable
                                end
                                global.get 4
                                i32.const 1
                                i32.sub
                                global.set 4
                                data.drop 1
                                loop (type 6) (result i32) ;; label = @15
                                  global.get 4
                                  i32.eqz
                                  if ;; label = @16
                                    unreachable
                                  end
                                  global.get 4
                                  i32.const 1
                                  i32.sub
                                  global.set 4
                                  loop ;; label = @16
                                    global.get 4
                                    i32.eqz
                                    if ;; label = @17
                                      unreachable
                                    end
                                    global.get 4
                                    i32.const 1
                                    i32.sub
                                    global.set 4
                                    br 4 (;@12;)
                                    local.get 1
                                    f64.convert_i32_u
                                    f64.trunc
                                    local.tee 7
                                    f64.const nan (;=NaN;)
                                    local.get 7
                                    local.get 7
                                    f64.eq
                                    select
                                    i32.const -33554433
                                    ref.null func
                                    data.drop 2
                                    f64.const 0x1p-1007 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007291122019556398;)
                                    i64.trunc_f64_s
                                    f32.convert_i64_u
                                    br 11 (;@5;)
                                    f64.promote_f32
                                    f64.abs
                                    i64.reinterpret_f64
                                    global.get 3
                                    i64.xor
                                    global.set 3
                                    drop
                                    global.get 2
                                    i32.xor
                                    global.set 2
                                    i64.reinterpret_f64
                                    global.get 3
                                    i64.xor
                                    global.set 3
                                  end
                                  i32.const 2139095040
                                end
                                global.get 2
                                i32.xor
                                global.set 2
                              end
                              i32.reinterpret_f32
                              global.get 1
                              i32.xor
                              global.set 1
                              global.get 0
                              i64.xor
                              global.set 0
                            end
                            i64.reinterpret_f64
                            global.get 3
                            i64.xor
                            global.set 3
                            global.get 2
                            i32.xor
                            global.set 2
                            global.get 2
                            i32.xor
                            global.set 2
                            global.get 2
                            i32.xor
                            global.set 2
                          end
                          global.get 0
                          i64.xor
                          global.set 0
                          i32.const -134217728
                          i32.const 1494021777
                        end
                        global.get 2
                        i32.xor
                        global.set 2
                        global.get 2
                        i32.xor
                        global.set 2
                        i64.reinterpret_f64
                        global.get 3
                        i64.xor
                        global.set 3
                      end
                      i32.const 605157796
                    end
                    global.get 2
                    i32.xor
                    global.set 2
                    global.get 0
                    i64.xor
                    global.set 0
                    global.get 0
                    i64.xor
                    global.set 0
                    global.get 0
                    i64.xor
                    global.set 0
                    global.get 0
                    i64.xor
                    global.set 0
                  end
                  i64.reinterpret_f64
                  global.get 3
                  i64.xor
                  global.set 3
                  i64.reinterpret_f64
                  global.get 3
                  i64.xor
                  global.set 3
                end
                i32.const -1003633802
              else
                i32.const 1955601522
              end
              global.get 2
              i32.xor
              global.set 2
              global.get 0
              i64.xor
              global.set 0
              drop
            end
            global.get 2
            i32.xor
            global.set 2
            i32.reinterpret_f32
            global.get 1
            i32.xor
            global.set 1
            drop
            global.get 0
            i64.xor
            global.set 0
            i32.const 268435456
          end
          global.get 2
          i32.xor
          global.set 2
          drop
          global.get 2
          i32.xor
          global.set 2
          i64.reinterpret_f64
          global.get 3
          i64.xor
          global.set 3
        end
        i32.reinterpret_f32
        global.get 1
        i32.xor
        global.set 1
      end
      drop
      global.get 2
      i32.xor
      global.set 2
      drop
      f32.const -0x1.4c6abep+27 (;=-174282220;)
    end
    i32.reinterpret_f32
    global.get 1
    i32.xor
    global.set 1
  )
  (func (;6;) (type 3) (param i64 i32) (result i64)
    (local f64 f32 f32 f32 f64 f64 f64 f64 f64)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    data.drop 2
    elem.drop 0
    block (result f32) ;; label = @1
      elem.drop 0
      f64.const -nan:0xfffffffc00000 (;=NaN;)
      i32.trunc_sat_f64_s
      call 0
      elem.drop 0
      block (result i64) ;; label = @2
        loop (type 0) ;; label = @3
          global.get 4
          i32.eqz
          if ;; label = @4
            unreachable
          end
          global.get 4
          i32.const 1
          i32.sub
          global.set 4
          call 2
          f64.convert_i32_u
          call 2
          i64.extend_i32_u
          i64.popcnt
          i64.popcnt
          i64.extend16_s
          loop (type 5) (param f64 i64) (result f64) ;; label = @4
            global.get 4
            i32.eqz
            if ;; label = @5
              unreachable
            end
            global.get 4
            i32.const 1
            i32.sub
            global.set 4
            br 2 (;@2;)
            i32.trunc_sat_f64_u
            f32.convert_i32_u
            table.size 0
            ref.null func
            ref.is_null
            i64.extend_i32_u
            ref.null extern
            local.get 1
            i32.extend16_s
            br_if 1 (;@3;)
            i32.const 64
            f32.const 0x1.7f5df8p+47 (;=210758270000000;)
            f32.const nan:0x7fffff (;=NaN;)
            f32.lt
            call 5
            block ;; label = @5
              block (type 6) (result i32) ;; label = @6
                f32.const 0x1.ffep-138 (;=0.000000000000000000000000000000000000000005738;)
                i64.trunc_f32_s
                f64.convert_i64_s
                ref.null func
                f32.const -nan:0x7ffdff (;=NaN;)
                f32.trunc
                local.tee 3
                f32.const nan (;=NaN;)
                local.get 3
                local.get 3
                f32.eq
                select
                i64.trunc_sat_f32_s
                table.size 0
                f32.convert_i32_u
                data.drop 2
                loop (type 4) (param f32) (result f32) ;; label = @7
                  global.get 4
                  i32.eqz
                  if ;; label = @8
                    unreachable
                  end
                  global.get 4
                  i32.const 1
                  i32.sub
                  global.set 4
                  f32.nearest
                  local.tee 4
                  f32.const nan (;=NaN;)
                  local.get 4
                  local.get 4
                  f32.eq
                  select
                  data.drop 2
                  f32.sqrt
                  local.tee 5
                  f32.const nan (;=NaN;)
                  local.get 5
                  local.get 5
                  f32.eq
                  select
                end
                f64.const -0x1.c11b369b67963p+710 (;=-9449440730783192000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
                nop
                block (type 6) (result i32) ;; label = @7
                  br 4 (;@3;)
                  i32.const -1310173224
                  i32.eqz
                  f32.convert_i32_s
                  elem.drop 0
                  nop
                  f64.promote_f32
                  i64.const 7158316587501919382
                  f64.const -nan:0xfe00000000000 (;=NaN;)
                  f32.demote_f64
                  br 4 (;@3;)
                  local.get 2
                  f64.ceil
                  local.tee 6
                  f64.const nan (;=NaN;)
                  local.get 6
                  local.get 6
                  f64.eq
                  select
                  f64.sqrt
                  local.tee 7
                  f64.const nan (;=NaN;)
                  local.get 7
                  local.get 7
                  f64.eq
                  select
                  f64.neg
                  block ;; label = @8
                    f32.const -0x1.fffffep+124 (;=-42535293000000000000000000000000000000;)
                    block ;; label = @9
                      block (type 6) (result i32) ;; label = @10
                        local.get 2
                        nop
                        local.get 1
                        ref.null func
                        i32.const -187581906
                        call 7
                        f64.convert_i32_s
                        i32.trunc_sat_f64_s
                        i32.lt_s
                        i32.extend8_s
                        if (type 0) ;; label = @11
                          i64.const 7704351882723484796
                          f64.const 0x1.ffffffffcp-1040 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000016975966327;)
                          data.drop 1
                          f32.demote_f64
                          f32.const -0x1.46dp-7 (;=-0.009973526;)
                          f32.copysign
                          table.size 0
                          f32.reinterpret_i32
                          br 2 (;@9;)
                          f32.eq
                          i32.eqz
                          i32.extend16_s
                          f64.convert_i32_s
                          f64.floor
                          local.tee 8
                          f64.const nan (;=NaN;)
                          local.get 8
                          local.get 8
                          f64.eq
                          select
                          table.size 0
                          i32.extend16_s
                          br_if 2 (;@9;)
                          f64.floor
                          local.tee 9
                          f64.const nan (;=NaN;)
                          local.get 9
                          local.get 9
                          f64.eq
                          select
                          f64.ceil
                          local.tee 10
                          f64.const nan (;=NaN;)
                          local.get 10
                          local.get 10
                          f64.eq
                          select
                          i64.reinterpret_f64
                          global.get 3
                          i64.xor
                          global.set 3
                          global.get 0
                          i64.xor
                          global.set 0
                        end
                        drop
                        global.get 2
                        i32.xor
                        global.set 2
                        i64.reinterpret_f64
                        global.get 3
                        i64.xor
                        global.set 3
                        i32.const -2097153
                      end
                      global.get 2
                      i32.xor
                      global.set 2
                    end
                    i32.reinterpret_f32
                    global.get 1
                    i32.xor
                    global.set 1
                  end
                  i64.reinterpret_f64
                  global.get 3
                  i64.xor
                  global.set 3
                  i32.reinterpret_f32
                  global.get 1
                  i32.xor
                  global.set 1
                  global.get 0
                  i64.xor
                  global.set 0
                  i64.reinterpret_f64
                  global.get 3
                  i64.xor
                  global.set 3
                  i32.const -268435457
                end
                global.get 2
                i32.xor
                global.set 2
                i64.reinterpret_f64
                global.get 3
                i64.xor
                global.set 3
                i32.reinterpret_f32
                global.get 1
                i32.xor
                global.set 1
                global.get 0
                i64.xor
                global.set 0
                drop
                i64.reinterpret_f64
                global.get 3
                i64.xor
                global.set 3
                i32.const -1172463582
              end
              global.get 2
              i32.xor
              global.set 2
            end
            global.get 2
            i32.xor
            global.set 2
            drop
            global.get 0
            i64.xor
            global.set 0
            global.get 2
            i32.xor
            global.set 2
            i32.reinterpret_f32
            global.get 1
            i32.xor
            global.set 1
            f64.const -0x1p+1017 (;=-1404447761611184300000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
          end
          i64.reinterpret_f64
          global.get 3
          i64.xor
          global.set 3
        end
        i64.const -3930807621636269142
      end
      global.get 0
      i64.xor
      global.set 0
      f32.const 0x1.feb748p+112 (;=10358550000000000000000000000000000;)
    end
    i32.reinterpret_f32
    global.get 1
    i32.xor
    global.set 1
    i64.const 4503599627370495
  )
  (func (;7;) (type 6) (result i32)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    f32.const 0x1.p-135 (;=0.000000000000000000000000000000000000000022959;)
    i32.trunc_f32_u
    i32.ctz
    i64.const -1896002138749830514
    f64.convert_i64_u
    ref.null func
    table.size 0
    f32.convert_i32_s
    elem.drop 0
    i32.trunc_f32_u
    i32.eqz
    i32.extend8_s
    f32.const -nan:0x5fffff (;=NaN;)
    call 7
    block (result i32) ;; label = @1
      i32.const -1373804391
      if (type 6) (result i32) ;; label = @2
        ref.null extern
        ref.null extern
        table.size 0
        i32.const 256
        i32.ne
        f32.convert_i32_s
        f64.promote_f32
        i64.trunc_f64_u
        i64.clz
        call 2
        block ;; label = @3
          call 2
          i64.const 4535987695053531483
          br 0 (;@3;)
          f64.const -nan:0xffffbffffffff (;=NaN;)
          i32.trunc_f64_s
          br 2 (;@1;)
          i64.eqz
          i32.lt_u
          i64.extend_i32_u
          f64.convert_i64_u
          f64.const 0x1.9032852b096c5p+297 (;=398054877122908600000000000000000000000000000000000000000000000000000000000000000000000000;)
          f32.demote_f64
          f32.abs
          i32.reinterpret_f32
          global.get 1
          i32.xor
          global.set 1
          i64.reinterpret_f64
          global.get 3
          i64.xor
          global.set 3
        end
        global.get 2
        i32.xor
        global.set 2
        global.get 0
        i64.xor
        global.set 0
        drop
        drop
        i32.const -4097
      else
        i32.const -268435457
      end
    end
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    i32.reinterpret_f32
    global.get 1
    i32.xor
    global.set 1
    global.get 2
    i32.xor
    global.set 2
    drop
    i64.reinterpret_f64
    global.get 3
    i64.xor
    global.set 3
  )
  (data (;0;) "")
  (data (;1;) "\0b\18\be\ec")
  (data (;2;) "\ce")
)
