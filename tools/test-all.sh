#!/bin/sh
# test-all.sh: what `make test` runs. Builds everything, then the host
# unit tests, the analyzer checks and the in-kernel tests under QEMU, and
# sums their RESULT lines. Last line: "N passed, N failed". A suite that
# cannot run (its image is missing), prints no RESULT line, or exits
# non-zero without a failed test counts as a failure.
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
	elif [ $rc -ne 0 ] && [ "$(printf '%s\n' "$lines" | awk '{f += $4} END {print f + 0}')" = 0 ]; then
		echo "  FAIL $name: exit status $rc, though no test failed"
		lines="$lines
RESULT $name 0 1"
	fi
	[ $rc -ne 0 ] && status=1
	printf '%s\n' "$lines" >> "$results"
}

# a suite that cannot run is a failure, with the reason
cannot_run() { # name reason
	echo "== $1"
	echo "  FAIL $1: cannot run: $2"
	echo "RESULT $1 0 1" >> "$results"
	status=1
}

# run_suite if the file exists, else cannot_run
run_with() { # name needed-file command...
	name=$1; need=$2; shift 2
	if [ -e "$need" ]; then
		run_suite "$name" "$@"
	else
		cannot_run "$name" "$need is missing (see the build above)"
	fi
}

echo "== build"
mkdir -p build
make -s -j2 all build/theseus-run.iso build/theseus-prio.iso build/theseus-test.iso build/theseus-test-prio.iso build/theseus-workload.iso >build/build.log 2>&1
rc=$?
if [ $rc = 0 ]; then
	echo "  PASS build ($(grep -c '' build/build.log) lines of build output)"
	echo "RESULT build 1 0" >> "$results"
else
	cat build/build.log
	echo "  FAIL build: make exit status $rc"
	echo "RESULT build 0 1" >> "$results"
	status=1
fi

run_suite deps tools/test-deps.sh
run_suite host tools/test-host.sh
# the FAT32 core fuzzed from its corpus for a bounded time (issue 19)
run_suite fuzz env FUZZ_QUICK=1 tools/fuzz.sh "${FUZZ_QUICK_SECONDS:-30}" fat32
run_suite analyzer tools/test-analyzer.sh
run_with kernel build/theseus-test.iso make -s test-kernel
run_with shell build/theseus.iso tools/test-shell.sh
# files: the vfs, memfs, /sys and the file commands; each fs cell swapped under open files (issue 19)
run_with files build/theseus.iso tools/test-files.sh
run_with stress build/theseus.iso tools/test-stress.sh
run_with live-suite build/theseus-prio.iso tools/test-suite-live.sh 1
run_with input build/theseus.iso tools/test-devices-input.sh
run_with faults build/theseus-workload.iso tools/test-faults.sh
# the drivers in a normal boot, disk images read back on the host (issue 17)
run_with devices build/theseus.iso tools/test-devices.sh
# FAT32 on a disk mkfs.fat made; fsck.fat and mtools check it (issue 19)
run_with fat32 build/theseus.iso tools/test-fat32.sh
# the network: lwIP, sockets, nc, the status page from the host, two instances (issue 18)
run_with net build/theseus-run.iso tools/test-net.sh
run_with gdb build/theseus.iso tools/test-gdb
run_suite make tools/test-make.sh

pass=$(awk '{p += $3} END {print p + 0}' "$results")
fail=$(awk '{f += $4} END {print f + 0}' "$results")
echo "== summary ($(( $(date +%s) - t0 ))s)"
awk '{p[$2] += $3; f[$2] += $4} END {for (k in p) printf "  %-10s %4d passed, %d failed\n", k, p[k], f[k]}' "$results"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ $status = 0 ]
