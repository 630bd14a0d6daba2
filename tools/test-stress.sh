#!/bin/sh
# test-stress.sh: evolution and recovery machinery in a live, busy system
# (issue 13). One normal boot: background jobs (a spinner, a channel
# benchmark) and `test stress` (tests/kernel/test_stress: 18 tasks
# computing, spawning, exchanging numbered messages and using the state_db
# while 50 policy swaps and 100 reloads of sched_rr, sched_prio,
# chan_buffered, chan_rendezvous and state_db run, and an app cell is
# loaded and unloaded), while the shell runs commands and the host evolves
# a cell over COM2. Last line: RESULT stress <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
log=build/stress-session.log
evo=build/stress-evolve
rm -rf "$evo" && mkdir -p "$evo"
cp build/cells/*.o "$evo/" &&
tools/evolve-variant.sh "$evo" apps/hello 's/Hello from the hello cell!/Hello from the stressed hello cell!/' ||
	echo "  (could not build the evolve variant)"
sock=build/stress-evolve.sock
rm -f "$sock"
QEMU_EXTRA="-serial unix:$sock,server=on,wait=off" \
tools/run-commands --timeout 600 \
	"spin &" "chan-bench 100000 &" "test stress &" ps hello "deps task" mem \
	"!tools/evolve --sock $sock --manifest $evo/manifest.txt --cells $evo" \
	hello rq ps states "~(passed|failed), [0-9]+ failed" jobs mem faults halt > "$log" 2>&1
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
expect_line swaps_and_reloads '^(theseus> )?STRESS 50 policy swaps, 100 reloads, .* 0 errors$' "$log"
expect_line stress_passed '^1 passed, 0 failed' "$log"
expect_line evolved_meanwhile '^Hello from the stressed hello cell!' "$log"
if grep -Eq 'EXCEPTION|PANIC|CPU [0-9]+ stops' "$log"; then
	bad no_unexpected_fault "$(grep -Em1 'EXCEPTION|PANIC|CPU [0-9]+ stops' "$log")"
else
	ok no_unexpected_fault
fi
finish
