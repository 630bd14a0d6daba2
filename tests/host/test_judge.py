"""Host tests of the fault campaign's classifier (tools/faults/judge.py)
and its target helpers, on recorded serial logs (tests/host/faults/)."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from faults import judge, targets  # noqa: E402

BASE = [12, 35, 8, 100]  # the progress row in force at activation


def log(name):
    with open(os.path.join(HERE, "faults", name + ".log")) as f:
        return f.read()


class Judge(unittest.TestCase):
    def test_masked(self):
        self.assertEqual(judge.judge(log("masked"), BASE), ("masked", "", 0))

    def test_recovered_by_restart_needs_progress_after_the_recovery(self):
        self.assertEqual(judge.judge(log("restart"), BASE), ("recovered", "restart", 2))
        # the same log without the rows after the recovery line: undecided, then a hang
        cut = log("restart").split("up 4.352")[0]
        self.assertIsNone(judge.judge(cut, BASE))
        self.assertEqual(judge.judge(cut, BASE, final=True), ("failed", "hung task", 0))

    def test_progress_before_the_event_does_not_count(self):
        # rows after the death: bchan (39) never moves again
        self.assertIsNone(judge.judge(log("progress_before_recovery"), BASE))
        self.assertEqual(judge.judge(log("progress_before_recovery"), BASE, final=True), ("failed", "hung task", 0))

    def test_baseline_is_the_one_at_activation(self):
        # measured against a later baseline the same rows are no progress
        self.assertIsNone(judge.judge(log("masked"), [16, 38, 12, 107]))

    def test_cpu_stop_in_an_interrupt_handler(self):
        self.assertEqual(judge.judge(log("irq_stop"), BASE), ("failed", "fault in interrupt context", 0))

    def test_unwinder_failure(self):
        self.assertEqual(judge.judge(log("unwinder"), BASE), ("failed", "unwinder failure", 0))

    def test_silent_corruption(self):
        self.assertEqual(judge.judge(log("corruption"), BASE), ("failed", "silent corruption", 0))

    def test_watchdog_rescue_is_reported_apart(self):
        self.assertEqual(judge.judge(log("watchdog"), BASE), ("recovered", "watchdog", 2))

    def test_a_broken_stuck_lock_is_a_recovery_of_its_own(self):
        self.assertEqual(judge.judge(log("lock_broken"), BASE), ("recovered", "stuck lock broken", 0))

    def test_a_double_fault_from_a_lost_stack_is_recovered_like_a_fault(self):
        self.assertEqual(judge.judge(log("stack_lost_df"), BASE), ("recovered", "restart", 2))

    def test_failed_cell_replacement(self):
        self.assertEqual(judge.judge(log("reload_failed"), BASE, final=True),
                         ("failed", "failed cell replacement", 0))

    def test_a_queued_or_refused_reload_is_not_a_reload(self):
        self.assertEqual(judge.judge(log("reload_refused"), BASE), ("recovered", "restart", 2))

    def test_reboot(self):
        self.assertEqual(judge.judge(log("reboot"), BASE, exited=True), ("failed", "reboot", 0))

    def test_late_failures(self):
        self.assertEqual(judge.late(log("irq_stop")), "fault in interrupt context")
        self.assertEqual(judge.late(log("corruption")), "silent corruption")
        self.assertIsNone(judge.late(log("masked")))


class Targets(unittest.TestCase):
    def test_every_touched_instruction_is_watched(self):
        starts = [0x100, 0x103, 0x105, 0x10a, 0x110]
        self.assertEqual(targets.touched(starts, 0x104, 8), [0x103, 0x105, 0x10a])
        self.assertEqual(targets.touched(starts, 0x100, 1), [0x100])

    def test_undo_keeps_what_the_program_wrote(self):
        old, injected = bytes(range(8)), bytes([0xAA] * 8)
        now = bytes([9, 9, 9, 9]) + injected[4:]  # a 4-byte write hit the low half
        self.assertEqual(targets.unwritten(old, injected, now, 8), [(4, 4), (5, 5), (6, 6), (7, 7)])
        self.assertEqual(targets.unwritten(b"\x01", b"\x03", b"\x03", 1), [])  # a byte write covers it all


class Leak(unittest.TestCase):
    MEM = ("theseus> mem\nframes: 511 MiB RAM, 9000 used, 100 free, 0 reserved free, 10 kernel metadata, 0 device\n"
           "pages:  5 free in the code zone, 6 free in the any zone, 7 metadata\n"
           "mapped: %d mappings, %d frame objects, 322 page objects\n"
           "heap:   %d bytes in %d objects, 40 slabs, 3 large, 2048 KiB mapped\ntheseus> ")

    def test_same_counts_are_no_leak(self):
        a = judge.mem_usage(self.MEM % (297, 297, 1341506, 9801))
        self.assertEqual(a["heap objects"], 9801)
        self.assertEqual(a["mappings"], 297 - 43)  # the heap's 40 slabs and 3 large regions are its own
        self.assertIsNone(judge.leak(a, judge.mem_usage(self.MEM % (297, 297, 1341506, 9801))))

    def test_one_object_more_is_a_leak(self):
        a = judge.mem_usage(self.MEM % (297, 297, 1341506, 9801))
        b = judge.mem_usage(self.MEM % (297, 297, 1341570, 9802))
        self.assertEqual(judge.leak(a, b), "leak: heap bytes +64, heap objects +1")
        c = judge.mem_usage(self.MEM % (298, 298, 1341506, 9801))
        self.assertEqual(judge.leak(a, c), "leak: mappings +1, frame objects +1")

    def test_less_is_no_leak_and_the_last_report_counts(self):
        a = judge.mem_usage(self.MEM % (297, 297, 1341506, 9801))
        b = judge.mem_usage(self.MEM % (300, 300, 1400000, 9900) + "\n" + self.MEM % (296, 296, 1341000, 9800))
        self.assertIsNone(judge.leak(a, b))

    def test_no_report_is_no_verdict(self):
        self.assertIsNone(judge.mem_usage("theseus> mem\nmem: unknown command\n"))
        self.assertIsNone(judge.leak(None, None))


if __name__ == "__main__":
    unittest.main(verbosity=2)
