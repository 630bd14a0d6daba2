#!/usr/bin/env bash
# analyze.sh DIR... -- CFLAGS...
#
# Run gcc's static analyzer (-fanalyzer) over every .c file directly in the
# given cell directories (an argument may also be a single .c file, which
# tools/test-analyzer.sh uses), compiled with CFLAGS (the kernel's CELL_CFLAGS),
# objects to /dev/null. The allocators' OWNED_BY / malloc(dealloc)
# annotations make it check ownership: leaks, double drops, use after drop.
# Prints every diagnostic; exits 1 if any file produced one (or failed to
# compile), 2 on bad usage.
#
# Flags changed relative to the build, and why:
#   -MMD/-MD/-MP/-MF/-MT/-MQ  dropped: no dependency files from this pass.
#   -fno-exceptions -fno-non-call-exceptions  appended: gcc 12's analyzer
#       does not model exception edges. With -fexceptions every call made
#       while a _cleanup_ variable is live gets an EH edge to a landing pad,
#       and the analyzer follows that edge as if the call had returned, so
#       every `_cleanup_(x_p) T *b = alloc();` after an earlier _cleanup_
#       variable is reported as a leak at the allocation itself. Normal
#       exit paths (including the cleanups on them) are analyzed the same
#       either way; unwinding paths are not analyzed at all.
#
# Environment: ANALYZE_CC (default gcc), ANALYZE_JOBS (default nproc).

set -u

usage() { echo "usage: $0 DIR|FILE.c... -- CFLAGS..." >&2; exit 2; }

# internal: analyze one file (called through xargs), output into $outdir
if [ "${1:-}" = "--one" ]; then
	outdir=$2; shift 2
	file=${*: -1}
	set -- "${@:1:$#-1}"
	out="$outdir/${file//\//%}.log"
	"${ANALYZE_CC:-gcc}" "$@" -c "$file" -o /dev/null >"$out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ ! -s "$out" ]; then
		echo "$file: compiler exited with status $rc" >"$out"
	fi
	exit 0
fi

dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	dirs+=("$1"); shift
done
[ $# -gt 0 ] || usage
shift
[ ${#dirs[@]} -gt 0 ] || usage

cflags=()
while [ $# -gt 0 ]; do
	case $1 in
	-MMD|-MD|-MP) ;;
	-MF|-MT|-MQ) shift ;;
	-MF*|-MT*|-MQ*) ;;
	*) cflags+=("$1") ;;
	esac
	shift
done
cflags+=(-fanalyzer -fno-exceptions -fno-non-call-exceptions -fdiagnostics-color=never)

files=()
for d in "${dirs[@]}"; do
	if [ -f "$d" ] && [ "${d%.c}" != "$d" ]; then
		files+=("$d")
		continue
	fi
	[ -d "$d" ] || { echo "analyze: no such directory or .c file: $d" >&2; exit 2; }
	while IFS= read -r f; do
		files+=("$f")
	done < <(find "$d" -maxdepth 1 -type f -name '*.c' | LC_ALL=C sort)
done

if [ ${#files[@]} -eq 0 ]; then
	echo "analyze: no .c files in: ${dirs[*]}"
	exit 0
fi

outdir=$(mktemp -d "${TMPDIR:-/tmp}/analyze.XXXXXX") || exit 2
trap 'rm -rf "$outdir"' EXIT

njobs=${ANALYZE_JOBS:-$(nproc 2>/dev/null || echo 2)}
start=$(date +%s)
printf '%s\0' "${files[@]}" |
	xargs -0 -n1 -P "$njobs" bash "$0" --one "$outdir" "${cflags[@]}"
secs=$(( $(date +%s) - start ))

bad=()
for f in "${files[@]}"; do
	out="$outdir/${f//\//%}.log"
	if [ -s "$out" ]; then
		cat "$out"
		bad+=("$f")
	fi
done

if [ ${#bad[@]} -ne 0 ]; then
	echo "analyze: FAILED: diagnostics in ${#bad[@]} of ${#files[@]} files (${secs}s): ${bad[*]}"
	exit 1
fi
echo "analyze: ${#files[@]} files clean (${secs}s)"
exit 0
