#!/bin/sh
# test-fat32.sh: the FAT32 cell checked by Debian's tools (issue 19). The
# host makes the image (mkfs.fat -F 32, 512-byte clusters) and puts files
# in with mtools (long names, nested directories, sizes at and across
# cluster boundaries); a normal boot with it as hdb (tools/qemu-devices.sh)
# reads them byte for byte with the `fat` app, makes directories and
# files with long names, writes, appends, truncates, removes, renames
# (also while a background job writes through a mount of its own),
# and runs the fat32 in-OS tests (test_fat32: a fault in the cell in the
# middle of a write, recovered while another task reads). After the OS
# halts: `fsck.fat -n` must find nothing to say, and mcopy must read back
# exactly the bytes the OS wrote (the pattern is fat32_pattern, computed
# here too), and what the OS removed or renamed away must be gone.
# Last line: RESULT fat32 <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
T_PREFIX=fat32/ T_SUITE=fat32
. "$(dirname "$0")/test-lib.sh"
PATH=$PATH:/usr/sbin:/sbin
export MTOOLS_SKIP_CHECK=1
disks=build/disks/fat32-test
log=build/fat32-session.log
img=$disks/fat.img
rm -rf "$disks" && mkdir -p "$disks/host"
truncate -s 40M "$img" && mkfs.fat -F 32 -s 1 -n THESEUS "$img" >/dev/null || { bad mkfs "mkfs.fat failed"; finish; }

# pattern FILE SIZE SEED: what fat32_pattern gives
pattern() {
	python3 -c "import sys
n, seed = int(sys.argv[2]), int(sys.argv[3])
open(sys.argv[1], 'wb').write(bytes(((o * 7 + (o >> 9) * 13 + seed) & 255) for o in range(n)))" "$@"
}
# the host's files: path size seed
HOST_FILES="Host Directory/Nested deeper/a file the host wrote.bin|70001|11
Host Directory/tiny.txt|1|12
EXACT.BIN|1024|13
crossing a cluster.dat|513|14
empty file|0|15"
mmd -i "$img" "::Host Directory" "::Host Directory/Nested deeper" || bad mmd
cmds=""
IFS='
'
for f in $HOST_FILES; do
	p=${f%%|*}; rest=${f#*|}; size=${rest%%|*}; seed=${rest#*|}
	pattern "$disks/host/f" "$size" "$seed"
	mcopy -i "$img" "$disks/host/f" "::$p" || bad "mcopy-$p"
done
unset IFS

QEMU_DISKS=$disks tools/run-commands --timeout 400 \
	"fat hdb ls" \
	"fat hdb check \"Host Directory/Nested deeper/a file the host wrote.bin\" 70001 11" \
	"fat hdb check \"host directory/TINY.TXT\" 1 12" \
	"fat hdb check EXACT.BIN 1024 13" \
	"fat hdb check \"crossing a cluster.dat\" 513 14" \
	"fat hdb check \"empty file\" 0 15" \
	"fat hdb mkdir \"OS Directory\"" \
	"fat hdb mkdir \"OS Directory/second level with a rather long name\"" \
	"fat hdb write \"OS Directory/second level with a rather long name/written by Theseus.bin\" 100000 21" \
	"fat hdb write \"OS Directory/short.txt\" 511 22" \
	"fat hdb append \"OS Directory/short.txt\" 1000 22" \
	"fat hdb write \"to be truncated.dat\" 9000 23" \
	"fat hdb trunc \"to be truncated.dat\" 4097" \
	"fat hdb write \"to be deleted\" 3000 24" \
	"fat hdb rm \"to be deleted\"" \
	"fat hdb write \"old name.txt\" 2000 25" \
	"fat hdb mv \"old name.txt\" \"OS Directory/new name after the rename.txt\"" \
	"fat hdb rm \"Host Directory/tiny.txt\"" \
	"fat hdb write EXACT.BIN 700 26" \
	"fat hdb check \"OS Directory/second level with a rather long name/written by Theseus.bin\" 100000 21" \
	"fat hdb check \"OS Directory/short.txt\" 1511 22" \
	"fat hdb rm \"OS Directory\"" \
	"fat hdb write \"background job file\" 300000 9 &" \
	"fat hdb mkdir \"made while it writes\"" \
	"fat hdb write \"another at once\" 50000 4" \
	"~fat: wrote 300000 bytes" \
	"fat hdb check \"background job file\" 300000 9" \
	"test fat32" \
	"fat hdb ls \"OS Directory\"" \
	mount "ls /disk" "echo written through the vfs > /disk/vfs.txt" "cat /disk/vfs.txt" \
	"mkdir /disk/vfsdir" "cp \"/disk/crossing a cluster.dat\" /disk/vfsdir/copy.dat" \
	"mv /disk/vfs.txt /disk/vfsdir/moved.txt" "ls /disk/vfsdir" \
	"echo history marker 4242" \
	"halt" > "$log" 2>&1
rc=$?
# a second boot on the same disk: the shell's history came back from
# /disk/.history (two lines up: the last one was `halt`)
UP=$(printf '\033[A')
QEMU_DISKS=$disks tools/run-commands --timeout 200 "$UP$UP" "halt" > "$log.2" 2>&1
rc2=$?
if [ $rc = 0 ]; then ok boot; else bad boot "run-commands exit $rc; see $log"; fi
check() { expect_line "$1" "$2" "$log"; }
check os-reads-host-nested '^fat: checked 70001 bytes of Host Directory/Nested deeper/a file the host wrote\.bin \(seed 11\)'
check os-reads-host-case-insensitive '^fat: checked 1 bytes of host directory/TINY\.TXT'
check os-reads-host-two-clusters '^fat: checked 1024 bytes of EXACT\.BIN'
check os-reads-host-crossing '^fat: checked 513 bytes of crossing a cluster\.dat'
check os-reads-host-empty '^fat: checked 0 bytes of empty file'
check os-reads-its-own '^fat: checked 100000 bytes of OS Directory/second level'
check os-reads-append '^fat: checked 1511 bytes of OS Directory/short\.txt'
check rm-nonempty-refused '^fat: rm OS Directory: directory not empty'
check two-mounts-at-once '^fat: checked 300000 bytes of background job file'
check in-os-tests '^3 passed, 0 failed'
check fault-reloaded 'stage 3: reloaded fat32'
check listing '^-          0  empty file'
# the same disk through the VFS (mounted at /disk at boot) and the shell
check vfs-mounted '^hdb on /disk type fat32 '
check vfs-ls-host-file 'crossing a cluster\.dat$'
check vfs-cat '^written through the vfs$'
check vfs-ls-moved 'moved\.txt$'
if [ $rc2 = 0 ] && [ "$(grep -c '^history marker 4242$' "$log.2")" -ge 1 ]; then
	ok history-across-reboot
else
	bad history-across-reboot "second boot (run-commands exit $rc2): no 'history marker 4242' in $log.2"
fi
n_exc=$(grep -c '^!!! EXCEPTION' "$log")
if [ "$n_exc" = 1 ] && grep -q 'RIP .*<fat_fault_point' "$log"; then
	ok only-the-injected-fault
else
	bad only-the-injected-fault "$n_exc exceptions in $log (expected the one injected)"
fi

# fsck.fat -n: exit 0 and nothing but its version and summary lines
if fsck.fat -n "$img" > "$disks/fsck.log" 2>&1 && [ "$(grep -vc -e '^fsck.fat ' -e ' files, ' "$disks/fsck.log")" = 0 ]; then
	ok fsck-clean
else
	bad fsck-clean "$(tr '\n' ' ' < "$disks/fsck.log")"
fi
# mtools reads back what the OS wrote
readback() { # name path size seed
	rm -f "$disks/got" && pattern "$disks/want" "$3" "$4"
	if mcopy -n -i "$img" "::$2" "$disks/got" 2>"$disks/mcopy.log" && cmp -s "$disks/want" "$disks/got"; then
		ok "$1"
	else
		bad "$1" "$(cat "$disks/mcopy.log") $(cmp "$disks/want" "$disks/got" 2>&1 | head -1)"
	fi
}
readback host-reads-100000 "OS Directory/second level with a rather long name/written by Theseus.bin" 100000 21
readback host-reads-appended "OS Directory/short.txt" 1511 22
readback host-reads-truncated "to be truncated.dat" 4097 23
readback host-reads-renamed "OS Directory/new name after the rename.txt" 2000 25
readback host-reads-rewritten "EXACT.BIN" 700 26
readback host-reads-background-job "background job file" 300000 9
readback host-reads-written-meanwhile "another at once" 50000 4
readback host-file-untouched "Host Directory/Nested deeper/a file the host wrote.bin" 70001 11
readback host-reads-vfs-copy "vfsdir/copy.dat" 513 14
if [ "$(mtype -i "$img" ::/vfsdir/moved.txt 2>/dev/null)" = "written through the vfs" ]; then
	ok host-reads-vfs-redirect
else
	bad host-reads-vfs-redirect "::/vfsdir/moved.txt: $(mtype -i "$img" ::/vfsdir/moved.txt 2>&1 | head -1)"
fi
if mtype -i "$img" ::/.history 2>/dev/null | grep -qx 'echo history marker 4242'; then
	ok host-reads-history-file
else
	bad host-reads-history-file "no 'echo history marker 4242' line in ::/.history"
fi
gone() { # name path
	if mdir -i "$img" "::$2" >/dev/null 2>&1; then bad "$1" "$2 is still there"; else ok "$1"; fi
}
gone removed-is-gone "to be deleted"
gone host-file-removed "Host Directory/tiny.txt"
gone renamed-away "old name.txt"
gone test-files-removed "ktest fault victim"
# the long names as mtools lists them
mdir -i "$img" -/ :: > "$disks/mdir.log" 2>&1
for name in "second level with a rather long name" "written by Theseus.bin" "new name after the rename.txt" \
	"to be truncated.dat"; do
	if grep -qF "$name" "$disks/mdir.log"; then ok "mdir-lists-$name"; else bad "mdir-lists-$name" "see $disks/mdir.log"; fi
done
finish
