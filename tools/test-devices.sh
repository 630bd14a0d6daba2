#!/bin/sh
# test-devices.sh: the drivers in a normal boot (issue 17), driven through
# the shell by tools/run-commands with tools/qemu-devices.sh's devices and
# fresh disk images: lspci lists the devices and their interrupt lines,
# the e1000 exchanges ARP with QEMU's user-mode gateway, both disks are
# written with the test pattern and read back, each driver is swapped
# live from the shell while a background job keeps the NIC busy; after
# the OS halts, the host compares each disk image byte for byte with the
# pattern (computed here as blk_pattern does). Then a q35 boot, whose
# ACPI has an MCFG table: lspci must go through ECAM.
# Last line: RESULT devices <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
T_PREFIX=devices/ T_SUITE=devices
. "$(dirname "$0")/test-lib.sh"
log=build/devices-session.log
disks=build/disks/devices-test
rm -rf "$disks"
VDA_N=2048 VDA_SEED=7 HDA_N=256 HDA_SEED=9
QEMU_DISKS=$disks tools/run-commands --timeout 180 \
	"lspci" "nic" "nic arp 10" "disk" \
	"disk write vda 0 $VDA_N $VDA_SEED" "disk write hda 0 $HDA_N $HDA_SEED" \
	"disk check vda 0 $VDA_N $VDA_SEED" "disk check hda 0 $HDA_N $HDA_SEED" \
	"nic arp 50000 &" \
	"swap -v e1000 e1000 -t e1000_adopt" \
	"swap virtio_blk virtio_blk -t virtio_blk_adopt" "disk check vda 0 64 $VDA_SEED" \
	"swap ata ata -t ata_adopt" "disk check hda 0 64 $HDA_SEED" \
	"~arp: 50000 requests, [0-9]+ replies" "nic" "lspci" "halt" > "$log" 2>&1
rc=$?
check() { expect_line "$1" "$2" "$log"; } # name extended-regex
if [ $rc = 0 ]; then ok boot; else bad boot "run-commands exit $rc; see $log"; fi
check lspci-e1000 '^00:03\.0 8086:100e Ethernet controller'
check lspci-virtio '^00:04\.0 1af4:1001 .*virtio block'
check lspci-ide '^00:01\.1 8086:7010 IDE controller'
check lspci-edu '^00:05\.0 1234:11e8 '
check irq-e1000-intx '^interrupt vector 0x[0-9a-f]+: INTx, cell e1000, [1-9][0-9]* interrupts'
check irq-virtio-msix '^interrupt vector 0x[0-9a-f]+: MSI-X, cell virtio_blk'
check irq-ata-isa '^interrupt vector 0x[0-9a-f]+: ISA, cell ata'
check nic-link '^nic 0: e1000 MAC 52:54:00:12:34:56 link up'
check arp-10 '^arp: 10 requests, 10 replies from 10\.0\.2\.2 at 52:55:0a:00:02:02'
check disk-list-vda '^vda +virtio-blk +8192 sectors'
check disk-list-hda '^hda +ata +8192 sectors'
check vda-checked "^disk: checked $VDA_N sectors at 0 on vda"
check hda-checked "^disk: checked $HDA_N sectors at 0 on hda"
check swap-e1000 '^swapped: e1000 -> e1000'
check swap-virtio '^swapped: virtio_blk -> virtio_blk'
check swap-ata '^swapped: ata -> ata'
check after-swap-vda '^disk: checked 64 sectors at 0 on vda'
check after-swap-hda '^disk: checked 64 sectors at 0 on hda'
# (the job's line may follow a prompt on the same row)
check arp-50000-during-swaps 'arp: 50000 requests, 50000 replies'
# the job was still running when the e1000 had been swapped
swapped=$(grep -n '^swapped: e1000 -> e1000' "$log" | head -1 | cut -d: -f1)
done_at=$(grep -n 'arp: 50000 requests' "$log" | head -1 | cut -d: -f1)
if [ -n "$swapped" ] && [ -n "$done_at" ] && [ "$swapped" -lt "$done_at" ]; then
	ok swaps-during-traffic
else
	bad swaps-during-traffic "the ARP job ended (line ${done_at:-none}) before the e1000's swap (line ${swapped:-none})"
fi
# the host reads the images back: the pattern where the OS wrote, zeros after
for d in "virtio $VDA_N $VDA_SEED" "ide $HDA_N $HDA_SEED"; do
	set -- $d
	python3 - "$disks/$1.img.expect" "$2" "$3" <<'PY'
import sys
out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
img = bytearray(4 * 1024 * 1024)
for o in range(n * 512):
    img[o] = ((o // 512) * 7 + (o % 512) * 3 + seed) & 0xFF
open(out, "wb").write(img)
PY
	if cmp "$disks/$1.img.expect" "$disks/$1.img" >/dev/null 2>&1; then
		ok "host-reads-$1-image"
	else
		bad "host-reads-$1-image" "$(cmp "$disks/$1.img.expect" "$disks/$1.img" 2>&1 | head -1)"
	fi
done
# q35: PCI Express, ACPI MCFG -> ECAM
qlog=build/devices-q35.log
QEMU_DEVICES=0 QEMU_EXTRA="-machine q35" tools/run-commands --timeout 120 "lspci -v" "halt" > "$qlog" 2>&1
rc=$?
if [ $rc = 0 ]; then ok q35-boot; else bad q35-boot "run-commands exit $rc; see $qlog"; fi
expect_line q35-ecam '^PCI configuration space: ECAM at 0x[0-9a-f]+ \(buses 0-[0-9]+, from ACPI MCFG\)' "$qlog"
expect_line q35-host-bridge '^00:00\.0 8086:29c0 host bridge' "$qlog"
expect_line q35-extended-config '^    extended configuration space \(4 KiB\)' "$qlog"
finish
