#!/bin/sh
# test-make.sh: the build's own rules. Every bench/bench_NAME has a
# bench-NAME target (one pattern rule), plain `make` builds the image, and
# `make bench` fails, naming the benchmark, when one fails: it runs it with
# BENCHES=nosuch, whose image boots "bench=nosuch" (no such cell: the
# captain prints BENCH ERROR and exits QEMU with failure).
# Last line: RESULT make <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
T_PREFIX=make/ T_SUITE=make
. "$(dirname "$0")/test-lib.sh"
m() { submake "$@"; }

[ "$(m -s -p -n -q 2>/dev/null | sed -n 's/^\.DEFAULT_GOAL := //p' | head -1)" = all ] &&
	ok "default goal is all" || bad "default goal is not all"
m -n -B 2>/dev/null | grep -q 'mkiso\.sh build/theseus\.iso ' &&
	ok "plain make builds build/theseus.iso" || bad "plain make does not build build/theseus.iso"
for d in bench/bench_*; do
	b=${d#bench/bench_}
	if m -n "bench-$b" 2>/dev/null | grep -q "theseus-bench-$b\.iso"; then
		ok "bench-$b is a target (boots theseus-bench-$b.iso)"
	else
		bad "bench-$b: no such target, or it does not boot theseus-bench-$b.iso"
	fi
done
m -s bench BENCHES=nosuch QEMU_TIMEOUT=60 > build/make-bench-fail.log 2>&1
rc=$?
if [ $rc != 0 ] && grep -q '^bench: FAILED: bench-nosuch$' build/make-bench-fail.log &&
   grep -q '^BENCH ERROR bench_nosuch' build/make-bench-fail.log; then
	ok "a failing benchmark fails make bench, named (exit $rc)"
else
	bad "a failing benchmark: make bench exit $rc; see build/make-bench-fail.log"
fi
rm -f build/theseus-bench-nosuch.iso
finish
