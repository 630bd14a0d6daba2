#!/bin/sh
# test-stress.sh: evolution and recovery machinery in a live, busy system
# (issue 13). One normal boot: background jobs (a spinner, a channel
# benchmark) and `test stress` (tests/kernel/test_stress: 18 tasks
# computing, spawning, exchanging numbered messages and using the state_db
# while 50 policy swaps and 100 reloads of sched_rr, sched_prio,
# chan_buffered, chan_rendezvous and state_db run, and an app cell is
# loaded and unloaded), while the shell runs commands and the host evolves
# a cell over COM2; then every nano_core cell but two swapped for a loaded
# copy, twice (test_nanoswap), and the shell used again.
# Last line: RESULT stress <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
log=build/stress-session.log
evo=build/stress-evolve
rm -rf "$evo" && mkdir -p "$evo"
cp build/cells/*.o "$evo/" &&
tools/evolve-variant.sh "$evo" apps/hello 's/Hello from the hello cell!/Hello from the stressed hello cell!/' ||
	echo "  (could not build the evolve variant)"
sock=build/stress-evolve.sock
# (the evolve runs beside 150 swaps and reloads: on a loaded host its
# answer took over a minute of wall time once, hence --timeout 180)
rm -f "$sock"
QEMU_EXTRA="-serial unix:$sock,server=on,wait=off" \
tools/run-commands --timeout 600 \
	"spin &" "chan-bench 100000 &" "test stress &" ps hello "deps task" mem \
	"!tools/evolve --sock $sock --manifest $evo/manifest.txt --cells $evo --timeout 180" \
	hello rq ps states "~(passed|failed), [0-9]+ failed" \
	"test test_nanoswap" hello rq "deps heap" jobs mem faults halt > "$log" 2>&1
rc=$?
T_PREFIX=stress/ T_SUITE=stress
. "$(dirname "$0")/test-lib.sh"
if [ $rc = 0 ]; then
	ok "session (every command returned to the prompt, halt)"
else
	bad session "run-commands exit $rc"
	tail -5 "$log" | sed 's/^/    | /'
fi
# (the line may follow a prompt on the same row: the job ends while the shell waits)
# (the host's evolve output may land inside the line in the transcript:
# its two ends are checked apart)
if grep -Eq '^(theseus> )?STRESS 50 policy swaps, 100 reloads, ' "$log" &&
	grep -Eq '(^|, )[0-9]+ state_db ops, 0 errors$' "$log"; then
	ok swaps_and_reloads
else
	bad swaps_and_reloads "no 'STRESS 50 policy swaps, 100 reloads, ... 0 errors' in $log"
fi
expect_line stress_passed '^1 passed, 0 failed' "$log"
expect_line evolved_meanwhile '^Hello from the stressed hello cell!' "$log"
# the nano_core's cells swapped for loaded copies while the jobs run, and
# the shell, the scheduler and the heap's users going on afterwards
expect_line nano_core_swapped '^KTEST PASS nano_core_cells_swapped_for_loaded_copies_under_load' "$log"
for c in heap logger unwind exceptions; do
	expect_line "nano_core_swapped_$c" "^NANOSWAP $c round 2: .* total [0-9]+ us\$" "$log"
done
after=$(awk '/^KTEST PASS nano_core/ { f = 1 } f && /^Hello from/ { print "^Hello from"; exit }' "$log")
expect_line after_nano_swap_hello "${after:-NO-HELLO-AFTER-THE-NANO-SWAP}" "$log"
# `deps heap` after the swap: a loaded copy (no "(nano_core)"), with edges
expect_line heap_is_a_copy '^cell heap: [0-9]+ sections$' "$log"
if grep -A1 -E '^cell heap: [0-9]+ sections$' "$log" | grep -Eq '^  depends on [1-9][0-9]* cells:'; then
	ok heap_copy_has_edges
else
	bad heap_copy_has_edges "$(grep -A1 -E '^cell heap: ' "$log" | tail -1)"
fi
# the faults the nano_core test provokes (its crasher tasks) are expected;
# any other is not
unexpected=$(awk '/!!! EXCEPTION|PANIC|CPU [0-9]+ stops/ { held = $0; n = 4; next }
	n > 0 { n--; if (/crasher\+0x/) { held = ""; n = 0 } else if (n == 0 && held != "") { print held; held = "" } }
	END { if (held != "") print held }' "$log" | head -1)
if [ -n "$unexpected" ]; then
	bad no_unexpected_fault "$unexpected"
	grep -F -A6 "$unexpected" "$log" | head -8 | sed "s/^/    | /"
else
	ok no_unexpected_fault
fi
finish
