#!/bin/sh
# fuzz.sh [SECONDS]: build the libFuzzer targets (clang, ASan+UBSan) and
# run each for SECONDS (default 600) on 2 workers, starting from and adding
# to the corpus kept in tests/fuzz/corpus/<target>/ (seeded with the real
# cell objects). Last line: RESULT fuzz <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
secs=${1:-${FUZZ_SECONDS:-600}}
out=build/fuzz
mkdir -p "$out" tests/fuzz/corpus/elf
pass=0; fail=0
make -s cells >/dev/null 2>&1 || true
for c in build/cells/*.o; do
	[ -f "$c" ] && strip --strip-debug -o "tests/fuzz/corpus/elf/seed-$(basename "$c")" "$c" 2>/dev/null
done
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Ilibs/base -Ilibs/klibc -Ilibs/fmt -Ilibs/elf -Dsnprintf=k_snprintf -Dvsnprintf=k_vsnprintf"
if ! clang $FLAGS tests/fuzz/fuzz_elf.c libs/elf/elf_parse.c libs/elf/elf_reloc.c \
	libs/fmt/fmt.c libs/base/err.c -o "$out/fuzz_elf" 2>"$out/build.log"; then
	cat "$out/build.log"
	echo "RESULT fuzz 0 1"
	exit 1
fi
echo "fuzzing elf_parse for ${secs}s"
root=$(pwd)
rm -f "$out"/fuzz-*.log "$out"/crash-* "$out"/timeout-*
if (cd "$out" && ./fuzz_elf -max_total_time="$secs" -max_len=65536 -timeout=5 -jobs=2 -workers=2 \
	-artifact_prefix="$root/$out/" "$root/tests/fuzz/corpus/elf" >elf.log 2>&1) && \
	! ls "$out"/crash-* "$out"/timeout-* >/dev/null 2>&1; then
	runs=$(grep -h -o 'Done [0-9]* runs' "$out"/fuzz-*.log | awk '{s+=$2} END {print s+0}')
	# keep the committed corpus small: only inputs that add coverage
	rm -rf "$out/merged" && mkdir -p "$out/merged"
	(cd "$out" && ./fuzz_elf -merge=1 merged "$root/tests/fuzz/corpus/elf" >merge.log 2>&1) &&
		rm -f tests/fuzz/corpus/elf/* && cp "$out"/merged/* tests/fuzz/corpus/elf/
	echo "PASS fuzz/elf_parse: $runs executions in ${secs}s, no crash or hang; corpus $(ls tests/fuzz/corpus/elf | wc -l) inputs"
	pass=1
else
	echo "FAIL fuzz/elf_parse: see $out/ (crash-*/timeout-* files, fuzz-*.log)"
	tail -20 "$out"/fuzz-0.log 2>/dev/null
	fail=1
fi
echo "RESULT fuzz $pass $fail"
[ $fail = 0 ]
