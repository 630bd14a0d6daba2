#!/bin/sh
# test-suite-live.sh [RUNS]: the in-OS test suite typed into the shell of a
# normal boot while background jobs run (`spin &`, `chan-bench 100000 &`),
# RUNS times in one boot (default 3), under each scheduler policy (the
# normal image, and build/theseus-prio.iso: the same with sched=prio).
# Checks per policy: every run ends "N passed, 0 failed" with N > 0, and
# the console still answers afterwards (an `echo` typed after the last run
# comes back, then the prompt). Memory checks hold with the jobs running
# because each test is charged only for what it allocated (docs/testing.md).
# Last line: RESULT live-suite <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
runs=${1:-3}
mkdir -p build
pass=0
fail=0
ok() { echo "  PASS live-suite/$1"; pass=$((pass + 1)); }
bad() { echo "  FAIL live-suite/$1"; fail=$((fail + 1)); }

for policy in rr prio; do
	iso=build/theseus.iso
	[ $policy = prio ] && iso=build/theseus-prio.iso
	log=build/live-suite-$policy.log
	if [ ! -e "$iso" ]; then
		bad "$policy: $iso is missing"
		continue
	fi
	set -- "spin &" "chan-bench 100000 &"
	i=0
	while [ $i -lt "$runs" ]; do
		set -- "$@" test
		i=$((i + 1))
	done
	# each full run takes tens of seconds; the timeout is per command
	tools/run-commands --iso "$iso" --timeout 300 "$@" "echo console-answers-$policy" jobs >"$log" 2>&1
	rc=$?
	sums=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log")
	i=1
	while [ $i -le "$runs" ]; do
		line=$(printf '%s\n' "$sums" | sed -n "${i}p")
		if printf '%s\n' "$line" | grep -qE '^[1-9][0-9]* passed, 0 failed'; then
			ok "$policy/run$i ($line)"
		else
			bad "$policy/run$i: ${line:-no summary} (see $log)"
			grep -E '^KTEST FAIL' "$log" | sed -n '1,10p' | sed 's/^/      /'
		fi
		i=$((i + 1))
	done
	if grep -q "^console-answers-$policy" "$log" && [ $rc = 0 ]; then
		ok "$policy/console_answers_after"
	else
		bad "$policy/console_answers_after: run-commands exit $rc (see $log)"
		tail -3 "$log" | sed 's/^/      /'
	fi
done
echo "RESULT live-suite $pass $fail"
[ $fail = 0 ]
