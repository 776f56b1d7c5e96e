"""Each Wasm3 trap the adapter maps, produced by real Wasm3 code and checked against the
mapping table of baton_wasm3/traps.py; plus the unmapped path."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gen"))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

import adapter_pb2 as pb  # noqa: E402
import modules as m  # noqa: E402
from baton_wasm3 import bigstack, session, traps, wasmbin  # noqa: E402
import wasm3  # noqa: E402


def run(wasm, host_call=None):
    """Compiles, instantiates and invokes `run`; returns the `RunReport`."""
    s = session.Session(host_call or (lambda func, args: []))
    module = s.compile(wasm)
    instance = s.instantiate(module, [])
    request = pb.Invoke(instance=instance, export="run")
    report = pb.RunReport()
    bigstack.run(s.invoke, request, report)
    return report


class TrapMapping(unittest.TestCase):
    def assert_trap(self, wasm, code):
        report = run(wasm)
        self.assertEqual(report.WhichOneof("outcome"), "trapped", report)
        self.assertEqual(pb.TrapCode.Name(report.trapped.code), pb.TrapCode.Name(code))
        self.assertEqual(report.trapped.message, "")

    def test_unreachable(self):
        self.assert_trap(m.trapping(m.UNREACHABLE), pb.TRAP_CODE_UNREACHABLE)

    def test_integer_divide_by_zero(self):
        self.assert_trap(m.trapping(m.DIV_BY_ZERO), pb.TRAP_CODE_INTEGER_DIVIDE_BY_ZERO)

    def test_integer_overflow(self):
        self.assert_trap(m.trapping(m.OVERFLOW), pb.TRAP_CODE_INTEGER_OVERFLOW)

    def test_invalid_conversion(self):
        self.assert_trap(m.trapping(m.BAD_CONVERSION), pb.TRAP_CODE_INVALID_CONVERSION_TO_INTEGER)

    def test_memory_out_of_bounds(self):
        self.assert_trap(m.trapping(m.MEMORY_OOB, memory=1), pb.TRAP_CODE_MEMORY_OUT_OF_BOUNDS)

    def test_undefined_element(self):
        self.assert_trap(m.trapping(m.call_indirect(5), table=2), pb.TRAP_CODE_UNDEFINED_ELEMENT)

    def test_uninitialized_element(self):
        wasm = m.trapping(m.call_indirect(1), table=3, elements=[(0, [0]), (2, [0])])
        self.assert_trap(wasm, pb.TRAP_CODE_UNINITIALIZED_ELEMENT)

    def test_indirect_call_type_mismatch(self):
        wasm = m.trapping(m.call_indirect(0), table=2, elements=[(0, [1])])
        self.assert_trap(wasm, pb.TRAP_CODE_INDIRECT_CALL_TYPE_MISMATCH)

    def test_call_stack_exhausted(self):
        self.assert_trap(m.trapping(m.RECURSE), pb.TRAP_CODE_CALL_STACK_EXHAUSTED)

    def test_host_trap_keeps_its_message(self):
        wasm = m.module(
            [((), (m.I32,))],
            [(0, m.NO_LOCALS, b"\x10\x00")],
            imports=[("env", "f", 0)],
            exports=[("run", 0, 1)],
        )
        s = session.Session(lambda func, args: session.HostTrap("host said no"))
        handle = s.host_func(pb.FuncType(results=[pb.VAL_TYPE_I32]))
        instance = s.instantiate(s.compile(wasm), [handle])
        report = pb.RunReport()
        s.invoke(pb.Invoke(instance=instance, export="run"), report)
        self.assertEqual(report.trapped.code, pb.TRAP_CODE_HOST)
        self.assertEqual(report.trapped.message, "host said no")


class Table(unittest.TestCase):
    def test_every_mapping_is_a_wasm3_trap_and_distinct(self):
        self.assertEqual(len(set(traps.MAPPING.values())), len(traps.MAPPING))
        for wasm3_message in traps.MAPPING:
            self.assertTrue(traps.is_trap(wasm3_message))

    def test_detail_suffix_is_ignored(self):
        self.assertEqual(
            traps.classify("[trap] integer overflow (in function 3)"), (traps.INTEGER_OVERFLOW, None)
        )

    def test_unmapped_trap_is_reported_not_guessed(self):
        spec, host = traps.classify("[trap] program called exit")
        self.assertIsNone(spec)
        self.assertEqual(host, traps.UNMAPPED_PREFIX + "[trap] program called exit")
        trap = pb.Trap()
        session.trap_message(trap, "[trap] something new")
        self.assertEqual(trap.code, pb.TRAP_CODE_HOST)
        self.assertTrue(trap.message.startswith(traps.UNMAPPED_PREFIX))

    def test_load_errors_that_wasm_2_makes_traps(self):
        self.assertEqual(traps.load_trap("data segment out of bounds"), traps.MEMORY_OUT_OF_BOUNDS)
        self.assertEqual(traps.load_trap("table underflow"), traps.TABLE_OUT_OF_BOUNDS)
        self.assertIsNone(traps.load_trap("memory allocation failed"))
        failure = session.Session(None)._load_failure("data segment out of bounds")
        self.assertEqual(failure.kind, "instantiation_trap")
        self.assertEqual(failure.detail.code, pb.TRAP_CODE_MEMORY_OUT_OF_BOUNDS)

    def test_prefix_of_a_known_message_is_not_mapped(self):
        self.assertEqual(traps.classify("[trap] integer overflowing")[0], None)


class ElementSegments(unittest.TestCase):
    # A table of one funcref and an active segment putting function 0 at index 0, encoded with
    # flags 2 (explicit table index 0, element kind funcref).
    FLAGS_2 = (
        b"\0asm\x01\0\0\0"
        + b"\x01\x04\x01\x60\x00\x00"  # type () -> ()
        + b"\x03\x02\x01\x00"  # function 0 of type 0
        + b"\x04\x04\x01\x70\x00\x01"  # table funcref min 1
        + b"\x09\x09\x01\x02\x00\x41\x00\x0b\x00\x01\x00"  # elem flags 2
        + b"\x0a\x04\x01\x02\x00\x0b"  # code: empty body
    )

    def test_flags_2_for_table_0_becomes_the_mvp_form(self):
        mvp = wasmbin.mvp_element_segments(self.FLAGS_2)
        self.assertIn(b"\x09\x07\x01\x00\x41\x00\x0b\x01\x00", mvp)
        env = wasm3.Environment()
        with self.assertRaises(RuntimeError):
            env.new_runtime(4096).load(env.parse_module(self.FLAGS_2))
        s = session.Session(None)
        s.instantiate(s.compile(self.FLAGS_2), [])

    def test_other_forms_and_malformed_bytes_are_left_alone(self):
        other_table = self.FLAGS_2.replace(b"\x01\x02\x00\x41", b"\x01\x02\x01\x41")
        self.assertEqual(wasmbin.mvp_element_segments(other_table), other_table)
        truncated = self.FLAGS_2[:-3]
        self.assertEqual(wasmbin.mvp_element_segments(truncated), truncated)


if __name__ == "__main__":
    unittest.main()
