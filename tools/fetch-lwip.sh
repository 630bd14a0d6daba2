#!/bin/sh
# fetch-lwip.sh DIR: lwIP's sources, from Debian's source package `lwip`
# 2.1.3+dfsg1-2, unpacked in DIR/lwip-2.1.3 (DIR/.ok when done). Nothing of
# lwIP is kept in the repository: the build compiles it into the lwip cell
# (kernel/net/lwip, docs/network.md).
#
# The package is downloaded with `apt-get source --download-only` into
# CACHE (default ~/.cache/theseus/lwip, outside the repository), after
# adding Debian's source index (a deb-src entry beside the system's
# debian.sources) when apt knows no source for lwip and we run as root.
# The .dsc is checked against the SHA-256 pinned here, and the upstream
# tarball against the .dsc's Checksums-Sha256 line; a mismatch removes the
# files and stops the build. Only the upstream tarball is unpacked (the
# Debian patches are its CMake build and the Hurd port, which we do not use).
set -eu
dir=$1
PKG=lwip
VER=2.1.3+dfsg1-2
DSC_SHA256=8d8f944db8e6d542fc2d6f01559078fb1b5dda71651c67ee5fa3571ed1342c50
ORIG=lwip_2.1.3+dfsg1.orig.tar.xz
cache=${THESEUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/theseus}/lwip
mkdir -p "$cache" "$dir"
dsc="$cache/${PKG}_$VER.dsc"
if [ ! -f "$dsc" ] || [ ! -f "$cache/$ORIG" ]; then
	if ! apt-cache showsrc "$PKG" 2>/dev/null | grep -q "^Version: $VER\$"; then
		if [ "$(id -u)" != 0 ]; then
			echo "fetch-lwip: apt has no source index with $PKG $VER. As root, add a 'Types: deb-src' entry" >&2
			echo "  (like /etc/apt/sources.list.d/debian.sources) and run apt-get update, or run make as root" >&2
			exit 1
		fi
		src=/etc/apt/sources.list.d/theseus-deb-src.sources
		echo "  LWIP  adding Debian's source index ($src)"
		{
			echo "Types: deb-src"
			echo "URIs: http://deb.debian.org/debian"
			echo "Suites: bookworm bookworm-updates"
			echo "Components: main"
			echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		} > "$src"
		apt-get update -qq >/dev/null
	fi
	echo "  LWIP  apt-get source --download-only $PKG=$VER"
	if ! (cd "$cache" && apt-get source -qq --download-only "$PKG=$VER") >"$cache/apt.log" 2>&1; then
		cat "$cache/apt.log" >&2
		echo "fetch-lwip: could not download $PKG $VER with apt-get source" >&2
		exit 1
	fi
fi
bad() { echo "fetch-lwip: $1; removed" >&2; rm -f "$dsc" "$cache/$ORIG"; exit 1; }
echo "$DSC_SHA256  $dsc" | sha256sum -c --quiet >/dev/null 2>&1 ||
	bad "$dsc does not match its pinned SHA-256 $DSC_SHA256"
want=$(sed -n '/^Checksums-Sha256:/,/^[^ ]/p' "$dsc" | awk -v f="$ORIG" '$3 == f { print $1 }')
[ -n "$want" ] || bad "$dsc names no SHA-256 for $ORIG"
echo "$want  $cache/$ORIG" | sha256sum -c --quiet >/dev/null 2>&1 ||
	bad "$ORIG does not match the SHA-256 in $dsc ($want)"
rm -rf "$dir/lwip-2.1.3" "$dir/.ok"
tar -C "$dir" -xJf "$cache/$ORIG"
touch "$dir/.ok"
