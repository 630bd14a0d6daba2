#!/bin/sh
# fuzz.sh [SECONDS [TARGET...]]: build the libFuzzer targets (clang,
# ASan+UBSan) and run each for SECONDS (default 600) on 2 workers,
# starting from and adding to the corpus kept in tests/fuzz/corpus/<target>/.
# Targets: elf (elf_parse and the relocations; seeded with the real cell
# objects) and fat32 (the FAT32 cell's core on a disk image; seeded with
# small mkfs.fat images and hand-corrupted copies, tests/fat/mkseeds.c).
# FUZZ_QUICK=1 (make test's quick tier): the committed corpus is only read
# (new inputs go to build/fuzz/<target>-new) and nothing is merged back.
# Last line: RESULT fuzz <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
secs=${1:-${FUZZ_SECONDS:-600}}
[ $# -gt 0 ] && shift
targets=${*:-elf fat32}
quick=${FUZZ_QUICK:-0}
out=build/fuzz
root=$(pwd)
mkdir -p "$out"
pass=0; fail=0
BASE="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Ilibs/base -Ilibs/klibc"
FAT_SRC="kernel/fs/fat32/bpb.c kernel/fs/fat32/fat.c kernel/fs/fat32/dir.c kernel/fs/fat32/file.c \
	kernel/fs/fat32/ops.c tests/fat/fat_host.c libs/base/err.c"

# the seeds of target $1 into directory $2
seed() {
	case $1 in
	elf)
		make -s cells >/dev/null 2>&1 || true
		for c in build/cells/*.o; do
			[ -f "$c" ] && strip --strip-debug -o "$2/seed-$(basename "$c")" "$c" 2>/dev/null
		done ;;
	fat32)
		rm -f "$out/seed.img" && truncate -s 1M "$out/seed.img" &&
			mkfs.fat -F 32 -s 1 -R 8 -b 6 "$out/seed.img" >/dev/null 2>&1 &&
			gcc -std=gnu11 -O1 -Ilibs/base -Ilibs/klibc -Ikernel/fs/fat32 tests/fat/mkseeds.c $FAT_SRC \
				-o "$out/mkseeds" && "$out/mkseeds" "$out/seed.img" "$2" ;;
	esac
}

build() {
	case $1 in
	elf) clang $BASE -Ilibs/fmt -Ilibs/elf -Dsnprintf=k_snprintf -Dvsnprintf=k_vsnprintf \
		tests/fuzz/fuzz_elf.c libs/elf/elf_parse.c libs/elf/elf_reloc.c libs/fmt/fmt.c libs/base/err.c \
		-o "$out/fuzz_elf" ;;
	fat32) clang $BASE -Ikernel/fs/fat32 tests/fuzz/fuzz_fat32.c $FAT_SRC -o "$out/fuzz_fat32" ;;
	esac
}

for t in $targets; do
	corpus=tests/fuzz/corpus/$t
	mkdir -p "$corpus"
	if [ "$quick" = 1 ]; then
		work=$out/$t-new
		rm -rf "$work" && mkdir -p "$work"
		seed "$t" "$work" >"$out/$t-seed.log" 2>&1
	else
		work=$corpus
		seed "$t" "$corpus" >"$out/$t-seed.log" 2>&1
	fi
	if ! build "$t" 2>"$out/$t-build.log"; then
		cat "$out/$t-build.log"
		echo "FAIL fuzz/$t: does not build"
		fail=$((fail + 1))
		continue
	fi
	echo "fuzzing $t for ${secs}s"
	rm -rf "$out/$t-run" && mkdir -p "$out/$t-run"
	if (cd "$out/$t-run" && "$root/$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=5 -jobs=2 -workers=2 \
		-artifact_prefix="$root/$out/$t-" "$root/$work" "$root/$corpus" >run.log 2>&1) && \
		! ls "$out/$t"-crash-* "$out/$t"-timeout-* >/dev/null 2>&1; then
		runs=$(grep -h -o 'Done [0-9]* runs' "$out/$t-run"/fuzz-*.log | awk '{s+=$2} END {print s+0}')
		if [ "$quick" != 1 ]; then
			# keep the committed corpus small: only inputs that add coverage
			rm -rf "$out/merged" && mkdir -p "$out/merged"
			(cd "$out" && "./fuzz_$t" -merge=1 merged "$root/$corpus" >merge.log 2>&1) &&
				rm -f "$corpus"/* && cp "$out"/merged/* "$corpus"/
		fi
		echo "PASS fuzz/$t: $runs executions in ${secs}s, no crash or hang; corpus $(ls "$corpus" | wc -l) inputs"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz/$t: see $out/ ($t-crash-*/$t-timeout-* files, $t-run/fuzz-*.log)"
		tail -20 "$out/$t-run"/fuzz-0.log 2>/dev/null
		fail=$((fail + 1))
	fi
done
echo "RESULT fuzz $pass $fail"
[ $fail = 0 ]
