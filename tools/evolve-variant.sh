#!/bin/sh
# evolve-variant.sh OUTDIR CELLDIR 'sed-expression' : compile a one-file
# variant of a cell (its sources with the sed expression applied) into
# OUTDIR/<cell>.o, as the Makefile compiles cells. The evolve test uses it
# to make "an edited cell" without touching the tree.
set -eu
out=$1; dir=$2; expr=$3
cell=$(basename "$dir")
src=$out/src/$cell
mkdir -p "$src" "$out"
objs=""
for f in "$dir"/*.c "$dir"/*.S; do
	[ -e "$f" ] || continue
	sed "$expr" "$f" > "$src/$(basename "$f")"
	o="$src/$(basename "$f").o"
	# shellcheck disable=SC2046
	gcc $(make -s print-cflags) -I"$dir" -c "$src/$(basename "$f")" -o "$o"
	objs="$objs $o"
done
# shellcheck disable=SC2086
ld -r -o "$out/$cell.o" $objs
