#!/bin/sh
# test-all.sh: what `make test` runs. Builds everything, then the host
# unit tests, the analyzer checks and the in-kernel tests under QEMU, and
# sums their RESULT lines. Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
t0=$(date +%s)
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0

run_suite() { # name command...
	name=$1; shift
	echo "== $name"
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^RESULT '
	lines=$(printf '%s\n' "$out" | grep '^RESULT ')
	if [ -z "$lines" ]; then
		echo "  FAIL $name: no RESULT line (exit $rc)"
		lines="RESULT $name 0 1"
	fi
	[ $rc -ne 0 ] && status=1
	printf '%s\n' "$lines" >> "$results"
}

echo "== build"
if ! make -s -j2 all build/theseus-test.iso build/theseus-test-prio.iso build/theseus-workload.iso >build/build.log 2>&1 && \
   ! { mkdir -p build && make -s -j2 all build/theseus-test.iso build/theseus-test-prio.iso build/theseus-workload.iso >build/build.log 2>&1; }; then
	cat build/build.log
	echo "RESULT build 0 1" >> "$results"
	status=1
else
	echo "  PASS build ($(grep -c '' build/build.log) lines of build output)"
	echo "RESULT build 1 0" >> "$results"
fi

run_suite deps tools/test-deps.sh
run_suite host tools/test-host.sh
run_suite analyzer tools/test-analyzer.sh
if [ -f build/theseus-test.iso ]; then
	run_suite kernel make -s test-kernel
fi
if [ -f build/theseus.iso ]; then
	run_suite shell tools/test-shell.sh
fi
if [ -f build/theseus-workload.iso ]; then
	run_suite faults tools/test-faults.sh
fi

pass=$(awk '{p += $3} END {print p + 0}' "$results")
fail=$(awk '{f += $4} END {print f + 0}' "$results")
echo "== summary ($(( $(date +%s) - t0 ))s)"
awk '{p[$2] += $3; f[$2] += $4} END {for (k in p) printf "  %-10s %4d passed, %d failed\n", k, p[k], f[k]}' "$results"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ $status = 0 ]
