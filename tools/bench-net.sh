#!/bin/sh
# bench-net.sh BUILD ours|linux [BYTES]: TCP bulk transfer over the
# emulated e1000 on QEMU's user-mode network (docs/performance.md),
# host -> guest and guest -> host, BYTES each way (default 4 MiB), timed
# on the host by tools/net-host.py (connect to the forwarded port of the
# host's loopback; host -> guest: from the first byte sent to the guest's
# close after it has read everything; guest -> host: from the first byte
# to the last). Writes BUILD/bench-net.log (ours) or
# BUILD/bench-net-linux.log with the lines
#   BENCH tcp_host_to_os N KB/s
#   BENCH tcp_os_to_host N KB/s
# ours: build/theseus.iso through the shell (nc -l PORT -c, nc -l PORT -n).
# linux: Debian's kernel as tools/bench-linux.sh fetches it, its e1000
# module, busybox's ifconfig and nc, under the same QEMU arguments.
set -u
build=$1; os=$2; bytes=${3:-4194304}
cd "$(dirname "$0")/.." || exit 2
ports=$(python3 -c 'import socket
ss=[socket.socket() for _ in range(2)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
IN=$1 OUT=$2
FWD="tcp:127.0.0.1:$IN-:7003 tcp:127.0.0.1:$OUT-:7004"
H="python3 tools/net-host.py"
rate() { sed -n "s/.*host $1 [0-9]* bytes in [0-9.]* s: \([0-9]*\) KB\/s.*/\1/p" "$2" | head -1; }
if [ "$os" = ours ]; then
	log=$build/bench-net.log
	tlog=$build/bench-net-session.log
	NET_HOSTFWD=$FWD tools/run-commands --timeout 300 "net up" \
		"nc -l 7003 -c &" "!$H send $IN $bytes" "~nc: received [0-9]+ bytes" \
		"nc -l 7004 -n $bytes &" "!$H recv $OUT $bytes" "~nc: sent [0-9]+ bytes" "halt" > "$tlog" 2>&1
	rc=$?
else
	log=$build/bench-net-linux.log
	tlog=$build/bench-net-linux-serial.log
	dir=$(cd "$build/linux" 2>/dev/null && pwd) || dir=$build/linux
	if [ ! -f "$dir/vmlinuz" ] || [ ! -f "$dir/e1000.ko" ]; then
		echo "bench-net: no Linux guest in $dir: run make bench-linux first" >&2
		exit 1
	fi
	count=$((bytes / 65536))
	rm -rf "$dir/netroot"
	mkdir -p "$dir/netroot/bin" "$dir/netroot/proc" "$dir/netroot/sys" "$dir/netroot/dev"
	cp "$dir/busybox" "$dir/netroot/bin/busybox"
	cp "$dir/e1000.ko" "$dir/netroot/e1000.ko"
	cat > "$dir/netroot/init" <<INIT
#!/bin/busybox sh
B=/bin/busybox
\$B mount -t proc proc /proc
\$B mount -t sysfs sys /sys
\$B mount -t devtmpfs dev /dev
\$B insmod /e1000.ko
\$B ifconfig lo 127.0.0.1 up
\$B ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
\$B sleep 1
\$B nc -l -p 7003 > /dev/null &
\$B sleep 1
echo NET READY
wait
echo RECV DONE
\$B dd if=/dev/zero bs=65536 count=$count 2>/dev/null | \$B nc -l -p 7004
echo SEND DONE
\$B reboot -f
INIT
	chmod +x "$dir/netroot/init"
	(cd "$dir/netroot" && find . | "$dir/busybox" cpio -o -H newc 2>/dev/null) > "$dir/netinitrd.cpio"
	: > "$tlog"
	shift $#
	# the QEMU arguments of the Makefile's QEMU_BASE, with only the e1000
	timeout -k 5 300 qemu-system-x86_64 -m 512M -smp 4 -cpu qemu64,+nx -no-reboot \
		-kernel "$dir/vmlinuz" -initrd "$dir/netinitrd.cpio" -append "console=ttyS0 quiet panic=-1" \
		-netdev "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:$IN-:7003,hostfwd=tcp:127.0.0.1:$OUT-:7004" \
		-device e1000,netdev=net0,romfile=,mac=52:54:00:12:34:56 \
		-display none -serial "file:$tlog" -monitor none </dev/null &
	qpid=$!
	n=0
	until grep -q 'NET READY' "$tlog" 2>/dev/null; do
		n=$((n + 1)); sleep 1
		[ $n -lt 240 ] && kill -0 $qpid 2>/dev/null || break
	done
	hlog=$build/bench-net-linux-host.log
	$H send "$IN" "$bytes" > "$hlog" 2>&1
	n=0
	until grep -q 'RECV DONE' "$tlog" 2>/dev/null; do
		n=$((n + 1)); sleep 1
		[ $n -lt 60 ] && kill -0 $qpid 2>/dev/null || break
	done
	sleep 1
	$H recv "$OUT" "$bytes" >> "$hlog" 2>&1
	n=0
	while kill -0 $qpid 2>/dev/null && [ $n -lt 30 ]; do n=$((n + 1)); sleep 1; done
	kill $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	rc=0
	tlog=$hlog
fi
a=$(rate sent "$tlog"); b=$(rate received "$tlog")
{
	[ -n "$a" ] && echo "BENCH tcp_host_to_os $a KB/s ($bytes bytes, timed on the host)"
	[ -n "$b" ] && echo "BENCH tcp_os_to_host $b KB/s ($bytes bytes, timed on the host)"
} > "$log"
cat "$log"
if [ $rc != 0 ] || [ -z "$a" ] || [ -z "$b" ]; then
	echo "bench-net $os: FAILED (see $tlog)"
	exit 1
fi
