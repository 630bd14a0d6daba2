#!/bin/sh
# cell-deps-check.sh BUILD UNCHECKED -- CELLDIR... : the link-level check
# of declared dependencies (docs/cells.md, "Declared dependencies").
#
# For every cell object BUILD/cells/<cell>.o (nano_core cells included),
# each undefined symbol is looked up (nm) among the global definitions of
# all cell objects; the cell defining it must be in the cell's declared
# list (BUILD/deps/<cell>.list, from its deps file). A symbol no cell
# defines (the nano_core linker script's __cell_* and __start_* symbols, a
# fixture's deliberately missing one) is no edge. If several cells define a
# symbol (versions of one cell for swapping), declaring any of them is
# enough.
#
# UNCHECKED: space-separated cells exempt from the error (fixtures whose
# deps omit a cell on purpose, so that the cell manager's run-time check
# can be tested); their undeclared edges are printed as notes.
#
# A declared cell that the cell neither links to nor includes a header of
# (its folder appears in none of the cell's .d files) is a warning.
# Exit 1 (after listing all) if any undeclared edge was found.
set -eu
build=$1; unchecked=$2; shift 2
[ "${1:-}" = "--" ] && shift

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for dir in "$@"; do
	cell=${dir##*/}
	obj=$build/cells/$cell.o
	[ -f "$obj" ] || continue
	printf 'C %s %s\n' "$cell" "$dir"
	if [ -f "$build/deps/$cell.list" ]; then
		while read -r d; do [ -n "$d" ] && printf 'D %s %s\n' "$cell" "$d"; done < "$build/deps/$cell.list"
	fi
	nm -P "$obj" | awk -v c="$cell" '$2 ~ /^[UwTDBRVWGSC]$/ { print "S", c, $1, $2 }'
	# headers the cell's sources reached (their folders), for the unused warning
	if [ -d "$build/obj/$dir" ]; then
		cat "$build/obj/$dir"/*.d 2>/dev/null | tr ' \\' '\n\n' | sed 's#.*\.\./##' | sed -n 's#^\(.*\)/[^/]*\.h$#H '"$cell"' \1#p' | sort -u
	fi
done > "$tmp"

awk -v unchecked=" $unchecked " '
$1 == "C" { dirof[$2] = $3; cells[$2] = 1; next }
$1 == "D" { decl[$2, $3] = 1; ndecl[$2] = ndecl[$2] " " $3; next }
$1 == "H" { hdir[$2, $3] = 1; next }
$1 == "S" && $4 ~ /^[Uw]$/ { undef[++nu] = $2 " " $3; next }
$1 == "S" { defs[$3] = defs[$3] " " $2 }
END {
	bad = 0
	for (i = 1; i <= nu; i++) {
		split(undef[i], a, " "); c = a[1]; s = a[2]
		if (!(s in defs)) continue
		n = split(defs[s], d, " "); ok = 0; self = 0
		for (k = 1; k <= n; k++) {
			if (d[k] == c) self = 1
			if ((c, d[k]) in decl) { ok = 1; used[c, d[k]] = 1 }
		}
		if (ok || self) continue
		key = c SUBSEP s
		if (key in told) continue
		told[key] = 1
		who = substr(defs[s], 2)
		if (index(unchecked, " " c " ")) {
			printf "note: cell %s links to %s of cell %s, undeclared (exempt: a run-time test fixture)\n", c, s, who
			continue
		}
		printf "error: cell %s links to symbol %s of cell %s, which %s does not declare: add %s to %s/deps\n", c, s, who, c, d[1], dirof[c] > "/dev/stderr"
		bad = 1
	}
	for (c in cells) {
		n = split(ndecl[c], d, " ")
		for (k = 1; k <= n; k++) {
			if ((c, d[k]) in used) continue
			if ((c, dirof[d[k]]) in hdir) continue
			printf "warning: cell %s declares %s but neither links to it nor includes its header\n", c, d[k] > "/dev/stderr"
		}
	}
	exit bad
}' "$tmp"
