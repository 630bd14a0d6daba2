#!/bin/sh
# cell-inc.sh BUILD CELLDIR CELLDIR... : a cell's view of the other cells'
# headers (docs/cells.md, "Declared dependencies").
#
# The first CELLDIR is the cell; the rest are all cell folders. Reads the
# cell's `deps` file and writes
#   BUILD/inc/<cell>/<h>    for every other cell's headers: a one-line file
#                           that includes the real public header if the
#                           cell declares its owner, else an #error naming
#                           the cell, the header and the undeclared cell
#                           (internal headers always give an #error)
#   BUILD/deps/<cell>.list  the declared cells, one per line
#   BUILD/deps/<cell>.bin   the same as NUL-terminated names, first the
#                           cell's own: the .cell_deps section of its object
#   BUILD/inc/<cell>.stamp  touched only when one of these changed, so
#                           editing one deps file recompiles only that cell
#   BUILD/inc/<cell>.ran    touched always (the make target)
# The build compiles the cell with -I<its folder> -IBUILD/inc/<cell> only.
# A forwarding file includes the real header by a path relative to itself,
# so the real header's own quote-includes (its internal headers) resolve in
# its own folder. Exits 1 with a message on a missing deps file or an
# unknown or self-declared cell.
set -eu
build=$1; dir=$2; shift 2
cell=${dir##*/}
deps=$dir/deps
if [ ! -f "$deps" ]; then
	echo "error: cell $cell has no deps file: create $deps listing the cells it uses, one per line (docs/cells.md)" >&2
	exit 1
fi
declared=$(sed 's/#.*//' "$deps" | tr -s ' \t' '\n\n' | sed '/^$/d' | LC_ALL=C sort -u)
for d in $declared; do
	found=
	for o in "$@"; do [ "${o##*/}" = "$d" ] && found=1 && break; done
	[ -n "$found" ] || { echo "error: $deps: no cell named '$d'" >&2; exit 1; }
	[ "$d" != "$cell" ] || { echo "error: $deps: a cell does not declare itself" >&2; exit 1; }
done

out=$build/inc/$cell
tmp=$build/inc/.$cell.tmp
rm -rf "$tmp"
mkdir -p "$tmp" "$build/deps"
up=$(printf '%s\n' "$out" | sed 's#[^/][^/]*#..#g')

is_declared() {
	for d in $declared; do [ "$d" = "$1" ] && return 0; done
	return 1
}

# internal headers first, so a public header of the same name wins
for o in "$@"; do
	n=${o##*/}
	[ "$n" != "$cell" ] || continue
	for h in "$o"/*.h; do
		[ -f "$h" ] || continue
		b=${h##*/}
		[ "$b" != "$n.h" ] || continue
		printf '#error "cell %s includes %s, an internal header of cell %s: only %s'"'"'s own sources may include it (its public header is %s.h)"\n' \
			"$cell" "$b" "$n" "$n" "$n" > "$tmp/$b"
	done
done
for o in "$@"; do
	n=${o##*/}
	[ "$n" != "$cell" ] || continue
	[ -f "$o/$n.h" ] || continue
	if is_declared "$n"; then
		printf '#include "%s/%s/%s.h"\n' "$up" "$o" "$n" > "$tmp/$n.h"
	else
		printf '#error "cell %s includes %s.h, the public header of cell %s, which %s does not declare: add %s to %s"\n' \
			"$cell" "$n" "$n" "$cell" "$n" "$deps" > "$tmp/$n.h"
	fi
done

changed=
if [ -d "$out" ] && diff -r -q "$tmp" "$out" >/dev/null 2>&1; then
	rm -rf "$tmp"
else
	rm -rf "$out"
	mv "$tmp" "$out"
	changed=1
fi
list=$build/deps/$cell.list
printf '%s\n' $declared > "$list.tmp"
if ! cmp -s "$list.tmp" "$list"; then
	mv "$list.tmp" "$list"
	{ printf '%s\0' "$cell"; for d in $declared; do printf '%s\0' "$d"; done; } > "$build/deps/$cell.bin"
	changed=1
else
	rm -f "$list.tmp"
fi
if [ -n "$changed" ] || [ ! -f "$build/inc/$cell.stamp" ]; then
	touch "$build/inc/$cell.stamp"
fi
touch "$build/inc/$cell.ran"
