#!/bin/sh
# bootstrap.sh: install what building, running and testing need, from
# Debian's packages. As root it runs apt-get; otherwise it prints the
# exact command to run.
set -eu
need=""
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need="$need qemu-system-x86"
[ -d /usr/lib/grub/i386-pc ] || need="$need grub-pc-bin"
have grub-mkrescue || need="$need grub-common"
have xorriso || need="$need xorriso"
have mformat || need="$need mtools"
have mkfs.fat || [ -x /usr/sbin/mkfs.fat ] || need="$need dosfstools"
have gcc || need="$need gcc"
have ld || need="$need binutils"
have make || need="$need make"
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
have clang || need="$need clang"
have python3 || need="$need python3"
have curl || need="$need curl"
have chromium || need="$need chromium"  # the status page's screenshot (tools/test-net.sh)
dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || need="$need libclang-rt-14-dev"
[ -z "$need" ] && exit 0
cmd="apt-get install -y --no-install-recommends$need"
if [ "$(id -u)" = 0 ]; then
	echo "bootstrap: installing:$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >/dev/null ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >/dev/null; }
else
	echo "bootstrap: missing packages. Run as root:"
	echo "  sudo $cmd"
	exit 1
fi
