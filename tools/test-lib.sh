# test-lib.sh: what every tools/test-*.sh suite shares, sourced (POSIX sh)
# after setting T_PREFIX, what stands before each test's name in its
# PASS/FAIL line ("shell/", "deps/"), and T_SUITE, the suite's name in the
# RESULT line. T_INDENT (default two spaces) indents the PASS/FAIL lines.
#   ok NAME             "PASS <prefix>NAME", counts a pass
#   bad NAME [WHY]      "FAIL <prefix>NAME: WHY", counts a failure
#   expect_line NAME ERE FILE
#                       ok if a line of FILE matches ERE, else bad, saying so
#   submake ARGS...     make, standalone even when the suite runs under make -jN
#   finish              the RESULT line, then exit 0 if nothing failed, else 1
# The counters are $pass and $fail (a suite may start them elsewhere).
pass=0
fail=0
: "${T_INDENT=  }"
ok() { echo "${T_INDENT}PASS $T_PREFIX$1"; pass=$((pass + 1)); }
bad() { echo "${T_INDENT}FAIL $T_PREFIX$1${2:+: $2}"; fail=$((fail + 1)); }
expect_line() {
	if grep -Eq -- "$2" "$3"; then ok "$1"; else bad "$1" "no line matches /$2/"; fi
}
submake() { MAKEFLAGS='' MAKELEVEL='' make --no-print-directory "$@"; }
finish() {
	echo "RESULT $T_SUITE $pass $fail"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}
