#!/bin/sh
# qemu-devices.sh DIR: the QEMU arguments that attach the devices the
# drivers serve (issue 17: PCI, e1000, block storage), printed on one line.
# DIR gets the disk images (created zeroed if absent, 4 MiB each):
#   DIR/virtio.img  virtio-blk disk (legacy/transitional virtio-pci)
#   DIR/ide.img     IDE disk, primary master of QEMU's PIIX3 controller
#   DIR/fat.img     IDE disk, primary slave (hdb): a FAT32 file system,
#                   40 MiB, 512-byte clusters, made by mkfs.fat if absent
#                   (the fat32 cell's tests and tools/test-fat32.sh)
# The e1000 is on QEMU's user-mode network with restrict=on: nothing
# leaves QEMU (its gateway 10.0.2.2 answers ARP). The edu device (QEMU's
# teaching device) has MSI and a DMA engine: the pci tests use it.
# -boot d: the blank IDE disk is not a boot device; boot the CD.
# The network (docs/network.md), from the environment:
#   NET_HOSTFWD="tcp:127.0.0.1:8080-:80 ..."  ports of the host's loopback
#                         forwarded to the guest (hostfwd rules of the user net)
#   NET_SOCKET=listen=127.0.0.1:PORT | connect=127.0.0.1:PORT  instead of
#                         the user net: a QEMU socket network joining two
#                         instances of the OS (no DHCP there: `net static`)
#   NET_MAC=52:54:00:12:34:57  the e1000's MAC (two instances need two)
set -eu
dir=$1
mkdir -p "$dir"
for img in virtio ide; do
	[ -f "$dir/$img.img" ] || truncate -s 4M "$dir/$img.img"
done
if [ ! -f "$dir/fat.img" ]; then
	truncate -s 40M "$dir/fat.img.tmp"
	PATH=$PATH:/usr/sbin:/sbin mkfs.fat -F 32 -s 1 -n THESEUS "$dir/fat.img.tmp" >/dev/null
	mv "$dir/fat.img.tmp" "$dir/fat.img"
fi
netdev="user,id=net0,restrict=on"
for r in ${NET_HOSTFWD:-}; do netdev="$netdev,hostfwd=$r"; done
[ -z "${NET_SOCKET:-}" ] || netdev="socket,id=net0,$NET_SOCKET"
echo "-boot d" \
	"-netdev $netdev -device e1000,netdev=net0,romfile=,mac=${NET_MAC:-52:54:00:12:34:56}" \
	"-drive file=$dir/virtio.img,format=raw,if=none,id=vd0 -device virtio-blk-pci,drive=vd0,romfile=" \
	"-drive file=$dir/ide.img,format=raw,if=ide,index=0" \
	"-drive file=$dir/fat.img,format=raw,if=ide,index=1" \
	"-device edu"
