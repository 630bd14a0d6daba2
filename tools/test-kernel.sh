#!/bin/sh
# test-kernel.sh ISO TIMEOUT QEMU-ARGS... : boot the test image headless
# and turn its serial log into results. Fails on any failed test, a
# missing summary (crash or hang), a QEMU exit status other than the
# kernel's "success", or a boot-log pattern from tests/expect/ that does
# not appear. Last line: RESULT kernel <passed> <failed>.
set -u
iso=$1; timeout_s=$2; shift 2
log=${LOG:-build/ktest.log}
prefix=${PREFIX:-}
T_PREFIX=$prefix T_SUITE=kernel
. "$(dirname "$0")/test-lib.sh"
start=$(date +%s)
tools/run-qemu.sh "$iso" "$log" "$timeout_s" "$@"
rc=$?
secs=$(( $(date +%s) - start ))

pass=$(grep -c '^KTEST PASS ' "$log")
fail=$(grep -c '^KTEST FAIL ' "$log")
grep -E '^KTEST (PASS|FAIL) ' "$log" | sed "s|^KTEST \(PASS\|FAIL\) |  \1 $prefix|"

summary=$(grep '^KTEST SUMMARY' "$log" | tail -1)
if [ -z "$summary" ]; then
	case $rc in
	124) why="hung (no summary after ${timeout_s}s)";;
	*) why="crashed (QEMU exit $rc, no summary)";;
	esac
	bad kernel-run "$why; last lines of $log:"
	tail -20 "$log" | sed 's/^/    | /'
elif [ "$rc" != 33 ] && [ "$fail" = 0 ]; then
	bad kernel-run "kernel reported failure (QEMU exit $rc)"
fi
registered=$(sed -n 's/^KTEST START \([0-9]*\) tests registered.*/\1/p' "$log")
if [ -n "$summary" ] && [ -n "$registered" ] && [ $((pass + $(grep -c '^KTEST FAIL ' "$log"))) -ne "$registered" ]; then
	bad kernel-run "$registered tests registered but $((pass + fail)) reported"
fi

# reports the fault tests provoke must appear in the log, as a user sees them
while IFS='|' read -r name pattern; do
	case $name in ''|'#'*) continue;; esac
	expect_line "log/$name" "$pattern" "$log"
done < tests/expect/ktest.patterns

echo "  (kernel tests took ${secs}s under QEMU)"
finish
