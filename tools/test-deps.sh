#!/bin/sh
# test-deps.sh: the build enforces declared dependencies (docs/cells.md,
# "Declared dependencies"). In a throwaway copy of the tree, a new cell
# tests/kernel/depsfix:
#   declared     includes vga.h and declares vga: compiles (the control)
#   undeclared   includes vga.h without declaring vga: fails, naming the
#                cell, the header and the undeclared cell
#   internal     includes task_int.h (task's internal header) though it
#                declares task: fails, naming the header and its cell
#   no_deps_file has no deps file: fails, saying so
#   link         calls vga_init through its own prototype without declaring
#                vga: the link check (tools/cell-deps-check.sh over this
#                build's cell objects) fails, naming both cells and the symbol
#   link_ok      the same with vga declared: the link check passes
# Needs `make cells` to have run (it reuses build/cells). Last line:
# RESULT deps <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
T_PREFIX=deps/ T_SUITE=deps
. "$(dirname "$0")/test-lib.sh"

if [ ! -f build/cells/vga.o ] || [ ! -d build/deps ]; then
	bad setup "build/cells is missing: run make cells first"
	finish
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-deps.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$tmp"
mkdir -p "$tmp/build/cells" "$tmp/build/deps"
cp build/cells/*.o "$tmp/build/cells/"
cp build/deps/* "$tmp/build/deps/"
fix=tests/kernel/depsfix
mkdir -p "$tmp/$fix"
log=$tmp/log

# compile the fixture's one source with the given body and deps (or none)
compile() { # source-text deps-text|-
	printf '%s\n' "$1" > "$tmp/$fix/depsfix.c"
	rm -f "$tmp/$fix/deps"
	[ "$2" = - ] || printf '%s\n' "$2" > "$tmp/$fix/deps"
	submake -s -C "$tmp" build/obj/$fix/depsfix.o >"$log" 2>&1
}
expect_fail() { # name pattern (fixed string)
	if [ $rc -eq 0 ]; then
		bad "$1" "the build succeeded"
	elif grep -qF -- "$2" "$log"; then
		ok "$1"
	else
		bad "$1" "no message '$2' in: $(head -n 3 "$log")"
	fi
}

VGA='#include "vga.h"
int depsfix_x(void);
int depsfix_x(void) { return 0; }'

compile "$VGA" "# test
base
vga"; rc=$?
if [ $rc -eq 0 ]; then ok declared; else bad declared "did not compile: $(head -n 3 "$log")"; fi

compile "$VGA" "# vga left out
base"; rc=$?
expect_fail undeclared "cell depsfix includes vga.h, the public header of cell vga, which depsfix does not declare: add vga to $fix/deps"

compile '#include "task.h"
#include "task_int.h"
int depsfix_x(void);
int depsfix_x(void) { return 0; }' "base
task"; rc=$?
expect_fail internal "cell depsfix includes task_int.h, an internal header of cell task: only task's own sources may include it"

compile "$VGA" -; rc=$?
expect_fail no_deps_file "cell depsfix has no deps file: create $fix/deps"

# link level: the object of a cell that declares its own prototype
LINK='int vga_init(void);
int depsfix_x(void);
int depsfix_x(void) { return vga_init(); }'
dirs=$(submake -s -C "$tmp" print-cell-dirs)
link_check() { # deps-text
	compile "$LINK" "$1" || return 2
	submake -s -C "$tmp" build/cells/depsfix.o >"$log" 2>&1 || return 2
	# shellcheck disable=SC2086
	(cd "$tmp" && tools/cell-deps-check.sh build "" -- $dirs) >"$log" 2>&1
}
link_check "base"; rc=$?
if [ $rc -eq 2 ]; then bad link "the fixture did not build: $(head -n 3 "$log")"; else
	expect_fail link "error: cell depsfix links to symbol vga_init of cell vga, which depsfix does not declare"
fi
link_check "vga"; rc=$?
# (other cells' notes and warnings do not concern this test)
if [ $rc -ne 2 ] && ! grep -q 'cell depsfix' "$log"; then ok link_ok; else bad link_ok "$(grep -m1 'depsfix' "$log")"; fi
finish
