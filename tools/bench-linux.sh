#!/bin/sh
# bench-linux.sh BUILD TIMEOUT QEMU-ARGS... : the Linux side of the
# benchmarks (docs/performance.md). Boots Debian's kernel (the package
# linux-image-amd64 depends on) with a busybox-static initramfs whose
# /init runs tools/linux-bench.c (built here with the host's gcc -static)
# under the QEMU arguments given (the Makefile passes ours), serial to
# BUILD/bench-linux.log. The QEMU arguments include the devices of
# tools/qemu-devices.sh (the Makefile passes build/disks/bench-linux):
# the IDE disk hdb holds a FAT32 image made by mkfs.fat (40 MiB,
# 512-byte clusters, as bench/bench_fat32's). The kernel's IDE, SCSI disk,
# FAT and NLS drivers are modules in Debian's kernel (CONFIG_ATA_PIIX,
# CONFIG_BLK_DEV_SD, CONFIG_VFAT_FS, CONFIG_NLS_*: =m): /init loads them
# from the package (in dependency order, FAT_MODS below) and mounts the
# FAT32 disk at /fat for linux-bench's FAT32 part (the log shows the
# mount and the transfer mode libata chose for each IDE device, from
# /sys/class/ata_device/*/xfer_mode: multiword DMA 2 for the disks, where
# our ata cell uses PIO). Prints the BENCH
# lines; exits non-zero if a
# benchmark failed, the guest did not exit with success (33), or the
# packages cannot be had.
#
# The packages are fetched with `apt-get download` (apt checks each
# .deb's SHA256 against Debian's signed index) and unpacked into
# BUILD/linux with dpkg-deb: installing linux-image-amd64 on the host
# would pull in initramfs-tools, udev and systemd for nothing.
set -eu
build=$1; timeout_s=$2; shift 2
mkdir -p "$build/linux/debs"
dir=$(cd "$build/linux" && pwd)
# the modules /init loads for the FAT32 disk, each after what it depends
# on (the "depends=" of each module's .modinfo)
FAT_MODS="scsi_common scsi_mod libata ata_piix crc64 crc64-rocksoft crc64_rocksoft_generic
	crct10dif_common crct10dif_generic crc-t10dif t10-pi sd_mod fat vfat nls_cp437 nls_ascii nls_utf8"
if [ ! -f "$dir/vmlinuz" ] || [ ! -f "$dir/busybox" ] || [ ! -f "$dir/e1000.ko" ] || [ ! -f "$dir/mods/vfat.ko" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$kpkg" ]; then
		echo "bench-linux: apt knows no linux-image-amd64 (run apt-get update)" >&2
		exit 1
	fi
	rm -f "$dir"/debs/*.deb
	(cd "$dir/debs" && apt-get download "$kpkg" busybox-static >/dev/null 2>"$dir/download.err") || {
		cat "$dir/download.err" >&2
		echo "bench-linux: apt-get download $kpkg busybox-static failed" >&2
		exit 1
	}
	rm -rf "$dir/unpack"
	for d in "$dir"/debs/*.deb; do dpkg-deb -x "$d" "$dir/unpack"; done
	cp "$dir"/unpack/boot/vmlinuz-* "$dir/vmlinuz"
	cp "$dir/unpack/bin/busybox" "$dir/busybox"
	# the e1000 driver, a module in Debian's kernel (tools/bench-net.sh)
	ko=$(find "$dir/unpack" -name 'e1000.ko*' | head -1)
	case "$ko" in
	*.xz) xz -dc "$ko" > "$dir/e1000.ko" ;;
	*) cp "$ko" "$dir/e1000.ko" ;;
	esac
	rm -rf "$dir/mods"; mkdir -p "$dir/mods"
	for m in $FAT_MODS; do
		ko=$(find "$dir/unpack/lib/modules" -name "$m.ko*" | head -1)
		case "$ko" in
		"") echo "bench-linux: module $m not in $kpkg" >&2; exit 1 ;;
		*.xz) xz -dc "$ko" > "$dir/mods/$m.ko" ;;
		*) cp "$ko" "$dir/mods/$m.ko" ;;
		esac
	done
	(cd "$dir/debs" && ls *.deb) > "$dir/packages.txt"
	rm -rf "$dir/unpack"
fi
# the benchmark program and the initramfs: /init mounts what the program
# reads (CPU count, console) and runs it; it exits QEMU itself
gcc -static -O2 -Wall -Werror -pthread -o "$dir/linux-bench" tools/linux-bench.c
rm -rf "$dir/root"
mkdir -p "$dir/root/bin" "$dir/root/proc" "$dir/root/sys" "$dir/root/dev" "$dir/root/fat" "$dir/root/mods"
cp "$dir/busybox" "$dir/root/bin/busybox"
for m in $FAT_MODS; do cp "$dir/mods/$m.ko" "$dir/root/mods/"; done
cp "$dir/linux-bench" "$dir/root/linux-bench"
# the FAT32 disk: whichever sd disk mounts as vfat (hda, the blank IDE
# disk, does not; the SCSI layer probes the two asynchronously, so their
# names can come either way), waited for up to 60 s while it scans; if
# none does, the disks and the kernel's last messages go to the log, and
# linux-bench, finding /fat not a vfat mount, fails its FAT32 part
cat > "$dir/root/init" <<INIT
#!/bin/busybox sh
B=/bin/busybox
\$B mount -t proc proc /proc
\$B mount -t sysfs sys /sys
\$B mount -t devtmpfs dev /dev
for m in $(echo $FAT_MODS); do \$B insmod /mods/\$m.ko || echo "init: insmod \$m failed"; done
n=0
until \$B grep -q ' /fat vfat ' /proc/mounts || [ \$n -ge 60 ]; do
	for d in /dev/sd?; do [ -b "\$d" ] && \$B mount -t vfat "\$d" /fat 2>/dev/null && break; done
	\$B grep -q ' /fat vfat ' /proc/mounts || { n=\$((n + 1)); \$B sleep 1; }
done
for f in /sys/class/ata_device/*/xfer_mode; do echo "init: \$f \$(\$B cat \$f)"; done
if \$B grep ' /fat vfat ' /proc/mounts; then :; else
	echo "init: no vfat disk after 60 s; disks: \$(echo /dev/sd*)"
	\$B dmesg | \$B tail -20
fi
exec /linux-bench </dev/console >/dev/console 2>&1
INIT
chmod +x "$dir/root/init"
(cd "$dir/root" && find . | "$dir/busybox" cpio -o -H newc 2>/dev/null) > "$dir/initrd.cpio"
log=$build/bench-linux.log
: > "$log"
echo "bench-linux: $(tr '\n' ' ' < "$dir/packages.txt")"
rc=0
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 "$@" -kernel "$dir/vmlinuz" \
	-initrd "$dir/initrd.cpio" -append "console=ttyS0 quiet panic=-1" \
	-display none -serial "file:$log" -monitor none </dev/null || rc=$?
grep '^BENCH' "$log" || true
if [ "$rc" != 33 ] || grep -q '^BENCH ERROR' "$log" || ! grep -q '^BENCH DONE' "$log"; then
	echo "bench-linux: FAILED (QEMU exit $rc); see $log"
	exit 1
fi
