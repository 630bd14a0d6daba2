#!/bin/sh
# test-host.sh: build and run the host unit tests (tests/host/test_*.c,
# cmocka) against the pure-logic kernel sources, with ASan and UBSan, and
# the python ones (tests/host/test_*.py: the fault campaign's classifier).
#
# Each test file names the kernel sources it links in a comment line
#   HOST_TEST_SOURCES: libs/range/range.c libs/base/err.c
# and optionally flags used only for those sources (not the test itself)
#   HOST_TEST_SOURCE_CFLAGS: -Dsnprintf=k_snprintf
#
# Prints every binary's cmocka output and ends with exactly one line
#   RESULT host <passed> <failed>
# counting individual test cases. A binary that fails to build, crashes,
# or exits non-zero without a reported failure counts as (at least) one
# failure; tests that never ran because their binary died count as failed.
# Exit status: 0 iff nothing failed.
set -u

cd "$(dirname "$0")/.." || exit 2

CC=${CC:-gcc}
OUT=build/host
INCS="-Ilibs/base -Ilibs/klibc -Ilibs/range -Ilibs/fmt -Ilibs/elf -Ikernel/arch/multiboot2 -Ikernel/mm/page_table"
CFLAGS="-std=gnu11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all $INCS"
LIBS="-lcmocka"

# abort on the first sanitizer report; leak checking is pointless here and
# LeakSanitizer does not work under every sandbox/ptrace setup
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
CMOCKA_MESSAGE_OUTPUT=stdout
export ASAN_OPTIONS UBSAN_OPTIONS CMOCKA_MESSAGE_OUTPUT

mkdir -p "$OUT" || exit 2

passed=0
failed=0

# value of an annotation line "<tag>: value" in a test source
annotation() {
	sed -n "s/^.*$1:[[:space:]]*//p" "$2" | head -n 1
}

if command -v timeout >/dev/null 2>&1; then
	TIMEOUT="timeout 60"
else
	TIMEOUT=""
fi

found=0
for src in tests/host/test_*.c; do
	[ -f "$src" ] || continue
	found=1
	name=$(basename "$src" .c)
	objdir="$OUT/obj/$name"
	bin="$OUT/$name"
	log="$OUT/$name.log"
	rm -rf "$objdir" "$bin" "$log"
	mkdir -p "$objdir"

	sources=$(annotation HOST_TEST_SOURCES "$src")
	srcflags=$(annotation HOST_TEST_SOURCE_CFLAGS "$src")

	echo "=== $name"
	objs=""
	ok=1
	for ks in $sources; do
		o="$objdir/$(echo "$ks" | tr '/' '_' | sed 's/\.c$/.o/')"
		# shellcheck disable=SC2086
		if ! $CC $CFLAGS $srcflags -c "$ks" -o "$o" >>"$log" 2>&1; then
			ok=0
			break
		fi
		objs="$objs $o"
	done
	if [ $ok = 1 ]; then
		# shellcheck disable=SC2086
		$CC $CFLAGS -c "$src" -o "$objdir/$name.o" >>"$log" 2>&1 &&
			$CC $CFLAGS -o "$bin" "$objdir/$name.o" $objs $LIBS >>"$log" 2>&1 ||
			ok=0
	fi
	if [ $ok = 0 ]; then
		cat "$log"
		echo "[  FAILED  ] $name (build)"
		failed=$((failed + 1))
		continue
	fi

	$TIMEOUT "./$bin" >"$log" 2>&1
	rc=$?
	cat "$log"

	# "[==========] Running N test(s)." then one "[       OK ] name" per pass
	total=$(sed -n 's/^\[==========\] Running \([0-9][0-9]*\) test(s)\.$/\1/p' "$log" | head -n 1)
	ok_n=$(grep -c '^\[       OK \] ' "$log")
	skip_n=$(grep -c '^\[  SKIPPED \] ' "$log")
	[ -n "$total" ] || total=0
	fail_n=$((total - ok_n - skip_n))
	[ $fail_n -ge 0 ] || fail_n=0
	if [ $rc -ne 0 ] && [ $fail_n -eq 0 ]; then
		echo "[  FAILED  ] $name exited with status $rc"
		fail_n=1
	fi
	if [ $rc -eq 0 ] && [ $fail_n -gt 0 ]; then
		echo "[  FAILED  ] $name: $fail_n test(s) did not report OK"
	fi
	passed=$((passed + ok_n))
	failed=$((failed + fail_n))
done

# the fault campaign's classifier (python unittest): "... ok" per pass
for src in tests/host/test_*.py; do
	[ -f "$src" ] || continue
	found=1
	name=$(basename "$src" .py)
	log="$OUT/$name.log"
	echo "=== $name"
	$TIMEOUT python3 "$src" >"$log" 2>&1
	rc=$?
	cat "$log"
	ok_n=$(grep -c '\.\.\. ok$' "$log")
	total=$(sed -n 's/^Ran \([0-9][0-9]*\) tests\? in .*/\1/p' "$log" | head -n 1)
	[ -n "$total" ] || total=0
	fail_n=$((total - ok_n))
	if [ $rc -ne 0 ] && [ $fail_n -le 0 ]; then
		fail_n=1
	fi
	passed=$((passed + ok_n))
	failed=$((failed + fail_n))
done

if [ $found = 0 ]; then
	echo "no tests found in tests/host/"
	failed=$((failed + 1))
fi

echo "RESULT host $passed $failed"
[ $failed -eq 0 ]
