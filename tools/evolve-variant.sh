#!/bin/sh
# evolve-variant.sh OUTDIR CELLDIR 'sed-expression' : compile a one-file
# variant of a cell (its sources with the sed expression applied) into
# OUTDIR/<cell>.o, as the Makefile compiles cells. The evolve test uses it
# to make "an edited cell" without touching the tree. Like the build, it
# sees only the cell's declared cells' headers (build/inc/<cell>, made by
# `make cells`) and carries the cell's .cell_deps section.
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
	gcc $(make -s print-cell-cflags) -I"$dir" -Ibuild/inc/"$cell" -c "$src/$(basename "$f")" -o "$o"
	objs="$objs $o"
done
# shellcheck disable=SC2086
ld -r -o "$out/$cell.o.tmp" $objs
objcopy --add-section .cell_deps=build/deps/"$cell".bin \
	--set-section-flags .cell_deps=alloc,readonly,data,contents "$out/$cell.o.tmp" "$out/$cell.o"
rm -f "$out/$cell.o.tmp"
