//! Converting spec-suite arguments to values and matching results against expected patterns:
//! exact numbers, `nan:canonical` / `nan:arithmetic`, reference patterns and `either`.

use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

use baton_engine::Value;

/// Bits of an `f32` canonical NaN, sign excluded.
const F32_CANONICAL_NAN: u32 = 0x7fc0_0000;
/// Bits of an `f64` canonical NaN, sign excluded.
const F64_CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

/// Converts one `invoke` argument.
pub fn arg_value(arg: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(core) = arg else {
        return Err("component-model argument".into());
    };
    match core {
        WastArgCore::I32(v) => Ok(Value::I32(*v)),
        WastArgCore::I64(v) => Ok(Value::I64(*v)),
        WastArgCore::F32(v) => Ok(Value::F32(v.bits)),
        WastArgCore::F64(v) => Ok(Value::F64(v.bits)),
        WastArgCore::RefNull(heap) => match abstract_heap(heap) {
            Some(AbstractHeapType::Func) => Ok(Value::FuncRef(None)),
            Some(AbstractHeapType::Extern) => Ok(Value::ExternRef(None)),
            _ => Err(format!("unsupported null reference type {heap:?}")),
        },
        WastArgCore::RefExtern(handle) => Ok(Value::ExternRef(Some(u64::from(*handle)))),
        WastArgCore::V128(_) => Err("v128 argument (SIMD is outside Wasm 2.0)".into()),
        WastArgCore::RefHost(_) => Err("ref.host argument (GC is outside Wasm 2.0)".into()),
    }
}

fn abstract_heap(heap: &HeapType<'_>) -> Option<AbstractHeapType> {
    match heap {
        HeapType::Abstract { shared: false, ty } => Some(*ty),
        _ => None,
    }
}

/// Whether `bits` is an `f32` canonical NaN (either sign).
pub fn is_canonical_nan_f32(bits: u32) -> bool {
    bits & 0x7fff_ffff == F32_CANONICAL_NAN
}

/// Whether `bits` is an `f32` arithmetic NaN: a NaN with the quiet bit set.
pub fn is_arithmetic_nan_f32(bits: u32) -> bool {
    bits & F32_CANONICAL_NAN == F32_CANONICAL_NAN
}

/// Whether `bits` is an `f64` canonical NaN (either sign).
pub fn is_canonical_nan_f64(bits: u64) -> bool {
    bits & 0x7fff_ffff_ffff_ffff == F64_CANONICAL_NAN
}

/// Whether `bits` is an `f64` arithmetic NaN: a NaN with the quiet bit set.
pub fn is_arithmetic_nan_f64(bits: u64) -> bool {
    bits & F64_CANONICAL_NAN == F64_CANONICAL_NAN
}

/// Whether one result matches one expected pattern.
pub fn matches(expected: &WastRetCore<'_>, got: &Value) -> bool {
    match (expected, got) {
        (WastRetCore::I32(want), Value::I32(v)) => want == v,
        (WastRetCore::I64(want), Value::I64(v)) => want == v,
        (WastRetCore::F32(pattern), Value::F32(bits)) => match pattern {
            NanPattern::CanonicalNan => is_canonical_nan_f32(*bits),
            NanPattern::ArithmeticNan => is_arithmetic_nan_f32(*bits),
            NanPattern::Value(want) => want.bits == *bits,
        },
        (WastRetCore::F64(pattern), Value::F64(bits)) => match pattern {
            NanPattern::CanonicalNan => is_canonical_nan_f64(*bits),
            NanPattern::ArithmeticNan => is_arithmetic_nan_f64(*bits),
            NanPattern::Value(want) => want.bits == *bits,
        },
        (WastRetCore::RefNull(None), Value::FuncRef(None) | Value::ExternRef(None)) => true,
        (WastRetCore::RefNull(Some(heap)), Value::FuncRef(None)) => {
            matches!(
                abstract_heap(heap),
                Some(AbstractHeapType::Func | AbstractHeapType::NoFunc)
            )
        }
        (WastRetCore::RefNull(Some(heap)), Value::ExternRef(None)) => {
            matches!(
                abstract_heap(heap),
                Some(AbstractHeapType::Extern | AbstractHeapType::NoExtern)
            )
        }
        (WastRetCore::RefExtern(None), Value::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(want)), Value::ExternRef(Some(handle))) => {
            u64::from(*want) == *handle
        }
        // Function identities are session-specific: a `ref.func` pattern checks non-null only.
        (WastRetCore::RefFunc(_), Value::FuncRef(Some(_))) => true,
        (WastRetCore::Either(options), value) => options.iter().any(|o| matches(o, value)),
        _ => false,
    }
}

/// Checks a whole result list; on mismatch returns the reason.
pub fn check_results(expected: &[WastRet<'_>], got: &[Value]) -> Result<(), String> {
    if expected.len() != got.len() {
        return Err(format!(
            "expected {} results {}, got {} {}",
            expected.len(),
            describe_expected(expected),
            got.len(),
            baton_engine::format_values(got)
        ));
    }
    for (index, (want, value)) in expected.iter().zip(got).enumerate() {
        let ok = match want {
            WastRet::Core(core) => matches(core, value),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "result {index}: expected {}, got {value} (all: expected {}, got {})",
                describe_ret(want),
                describe_expected(expected),
                baton_engine::format_values(got)
            ));
        }
    }
    Ok(())
}

/// A readable form of one expected result.
pub fn describe_ret(ret: &WastRet<'_>) -> String {
    match ret {
        WastRet::Core(core) => describe_core(core),
        _ => "<component value>".to_string(),
    }
}

fn describe_core(core: &WastRetCore<'_>) -> String {
    match core {
        WastRetCore::I32(v) => format!("i32:{v}"),
        WastRetCore::I64(v) => format!("i64:{v}"),
        WastRetCore::F32(NanPattern::CanonicalNan) => "f32:nan:canonical".into(),
        WastRetCore::F32(NanPattern::ArithmeticNan) => "f32:nan:arithmetic".into(),
        WastRetCore::F32(NanPattern::Value(v)) => {
            format!("f32:{}(0x{:08x})", f32::from_bits(v.bits), v.bits)
        }
        WastRetCore::F64(NanPattern::CanonicalNan) => "f64:nan:canonical".into(),
        WastRetCore::F64(NanPattern::ArithmeticNan) => "f64:nan:arithmetic".into(),
        WastRetCore::F64(NanPattern::Value(v)) => {
            format!("f64:{}(0x{:016x})", f64::from_bits(v.bits), v.bits)
        }
        WastRetCore::RefNull(heap) => format!("ref.null {heap:?}"),
        WastRetCore::RefExtern(Some(h)) => format!("ref.extern {h}"),
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        WastRetCore::Either(options) => {
            let parts: Vec<String> = options.iter().map(describe_core).collect();
            format!("either({})", parts.join(" | "))
        }
        other => format!("{other:?}"),
    }
}

/// A readable form of an expected result list.
pub fn describe_expected(expected: &[WastRet<'_>]) -> String {
    let parts: Vec<String> = expected.iter().map(describe_ret).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wast::token::{F32, F64};

    #[test]
    fn canonical_nan_accepts_only_the_canonical_payload() {
        assert!(is_canonical_nan_f32(0x7fc0_0000));
        assert!(is_canonical_nan_f32(0xffc0_0000));
        assert!(!is_canonical_nan_f32(0x7fc0_0001));
        assert!(!is_canonical_nan_f32(0x7fa0_0000));
        assert!(!is_canonical_nan_f32(0x7f80_0000)); // infinity
        assert!(is_canonical_nan_f64(0xfff8_0000_0000_0000));
        assert!(!is_canonical_nan_f64(0x7ff8_0000_0000_0001));
    }

    #[test]
    fn arithmetic_nan_requires_the_quiet_bit() {
        assert!(is_arithmetic_nan_f32(0x7fc0_0001));
        assert!(is_arithmetic_nan_f32(0xffff_ffff));
        assert!(!is_arithmetic_nan_f32(0x7fa0_0000)); // signalling NaN
        assert!(!is_arithmetic_nan_f32(0x3fc0_0000)); // a number
        assert!(is_arithmetic_nan_f64(0x7ff8_0000_0000_0001));
        assert!(!is_arithmetic_nan_f64(0x7ff4_0000_0000_0000));
    }

    #[test]
    fn patterns_check_type_and_bits() {
        let nan = WastRetCore::F32(NanPattern::CanonicalNan);
        assert!(matches(&nan, &Value::F32(0x7fc0_0000)));
        assert!(!matches(&nan, &Value::F64(0x7ff8_0000_0000_0000)));
        let exact = WastRetCore::F64(NanPattern::Value(F64 { bits: 1 }));
        assert!(matches(&exact, &Value::F64(1)));
        assert!(!matches(&exact, &Value::F64(2)));
        let neg_zero = WastRetCore::F32(NanPattern::Value(F32 { bits: 0x8000_0000 }));
        assert!(!matches(&neg_zero, &Value::F32(0)));
        assert!(matches(
            &WastRetCore::RefFunc(None),
            &Value::FuncRef(Some(3))
        ));
        assert!(!matches(&WastRetCore::RefFunc(None), &Value::FuncRef(None)));
        assert!(!matches(
            &WastRetCore::RefExtern(Some(1)),
            &Value::ExternRef(Some(2))
        ));
        let func_null = WastRetCore::RefNull(Some(HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Func,
        }));
        assert!(matches(&func_null, &Value::FuncRef(None)));
        assert!(!matches(&func_null, &Value::ExternRef(None)));
    }
}
