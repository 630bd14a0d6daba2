#!/usr/bin/env bash
# test-analyzer.sh: check that the ownership analysis (tools/analyze.sh:
# gcc -fanalyzer with the kernel's cell flags) rejects the deliberately
# wrong snippets in tests/analyzer/, accepts the correct ones, and that the
# whole tree analyzes clean (`make analyze`).
#
# Each snippet names what it must produce in a comment:
#   /* expect: -Wanalyzer-malloc-leak */   that diagnostic must appear
#                                          (several names: all must appear)
#   /* expect: clean */                    no diagnostic at all
# A name matches both its warning form [-Wfoo] and, since the cell flags
# include -Werror, its error form [-Werror=foo].
#
# Prints PASS/FAIL analyzer/<name> per case, then exactly
#   RESULT analyzer <passed> <failed>
# and exits non-zero if anything failed.

set -u
cd "$(dirname "$0")/.." || exit 2

T_PREFIX=analyzer/ T_SUITE=analyzer T_INDENT=
. "$(dirname "$0")/test-lib.sh"

cflags=$(submake -s print-cflags) || cflags=
if [ -z "$cflags" ]; then
	bad setup "could not get the cell flags from 'make -s print-cflags'"
	finish
fi
read -r -a CF <<<"$cflags"

# the option names in a compiler output, one per line, as -Wname
diag_names() {
	grep -oE '\[-W[A-Za-z0-9=_-]+\]' | sed -E 's/^\[-Werror=/[-W/; s/^\[//; s/\]$//; s/=[0-9]+$//' |
		sort -u
}

shopt -s nullglob
snippets=(tests/analyzer/*.c)
if [ ${#snippets[@]} -eq 0 ]; then
	bad snippets "no snippets in tests/analyzer/"
fi

for f in "${snippets[@]}"; do
	name=$(basename "$f" .c)
	expect=$(sed -nE 's@.*/\*[[:space:]]*expect:[[:space:]]*(.*[^[:space:]])[[:space:]]*\*/.*@\1@p' "$f" | head -n1)
	if [ -z "$expect" ]; then
		bad "$name" "no '/* expect: ... */' comment"
		continue
	fi
	out=$(tools/analyze.sh "$f" -- "${CF[@]}" -fdiagnostics-plain-output 2>&1)
	rc=$?
	got=$(printf '%s\n' "$out" | diag_names)
	if [ "$expect" = clean ]; then
		if [ $rc -eq 0 ] && [ -z "$got" ]; then
			ok "$name"
		else
			first=$(printf '%s\n' "$out" | grep -m1 -E '(error|warning):')
			bad "$name" "expected no diagnostic, got: ${first:-exit status $rc}"
		fi
		continue
	fi
	missing=
	for w in $expect; do
		printf '%s\n' "$got" | grep -qxF -- "$w" || missing="$missing $w"
	done
	if [ $rc -eq 0 ]; then
		bad "$name" "expected $expect, but it analyzed clean"
	elif [ -n "$missing" ]; then
		bad "$name" "expected${missing}, got: $(printf '%s\n' "$got" | paste -sd' ')"
	else
		ok "$name"
	fi
done

# the whole tree, exactly as `make analyze` runs it
start=$(date +%s%N)
out=$(submake -s analyze 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
secs="$((ms / 1000)).$((ms % 1000 / 100))"
if [ $rc -eq 0 ]; then
	echo "  (make analyze: ${secs}s)"
	ok tree-clean
else
	printf '%s\n' "$out" | grep -E '^[^ ].*: (error|warning): ' | sort -u | sed 's/^/  /'
	summary=$(printf '%s\n' "$out" | grep -m1 '^analyze:')
	bad tree-clean "make analyze failed (${secs}s): ${summary:-exit status $rc}"
fi

finish
