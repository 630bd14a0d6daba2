#!/bin/sh
# fetch-font.sh OUT.psf: the console font the framebuffer terminal draws
# with (kernel/display/font embeds OUT.psf). It comes from Debian's
# console-setup-linux package, fetched with apt-get at build time and
# checked against the checksum pinned here, never kept in the repository:
# Terminus 8x16 (Lat15 set, PSF1 with a Unicode table, SIL OFL 1.1).
set -eu
out=$1
PKG=console-setup-linux
VER=1.221
SHA256=65fac4777b0d36e48d90c577ba296c9ceeb051210aa1bf405925e2bf6bc6fecd
FONT=./usr/share/consolefonts/Lat15-Terminus16.psf.gz
dir=$(dirname "$out")
mkdir -p "$dir"
deb="$dir/${PKG}_${VER}_all.deb"
if [ ! -f "$deb" ]; then
	echo "  FONT  apt-get download $PKG=$VER"
	if ! (cd "$dir" && apt-get download -qq "$PKG=$VER") >"$dir/apt.log" 2>&1; then
		cat "$dir/apt.log" >&2
		echo "fetch-font: could not download $PKG $VER with apt-get (a Debian 12 package source is needed)" >&2
		exit 1
	fi
fi
if ! echo "$SHA256  $deb" | sha256sum -c --quiet >/dev/null 2>&1; then
	echo "fetch-font: $deb does not match its pinned SHA-256 $SHA256; removed" >&2
	rm -f "$deb"
	exit 1
fi
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$FONT" | gunzip > "$out.tmp"
mv "$out.tmp" "$out"
