#!/bin/sh
# mkiso.sh OUT.iso CMDLINE BUILD_DIR MODULE_CELL... : a GRUB BIOS ISO that
# boots the nano_core with CMDLINE and carries, as multiboot2 modules, the
# nano_core's symbol table and every other cell object (one module2 line
# per cell), copies of the nano_core cells nano_core/replaceable names, and
# the SIMD personality's builds (kernel/cells/personality/simd.cells).
set -eu
out=$1; cmdline=$2; build=$3; shift 3
stage=$(mktemp -d "${TMPDIR:-/tmp}/theseus-iso.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub" "$stage/cells"
strip -s -o "$stage/boot/nano_core.elf" "$build/nano_core.elf"
cp "$build/nano_core.syms" "$stage/boot/nano_core.syms"
{
	echo "set timeout=0"
	echo "set default=0"
	echo "serial --unit=0 --speed=115200"
	echo "terminal_output serial console"
	# a linear framebuffer for the fbterm cell (multiboot2 framebuffer tag)
	echo "insmod all_video"
	echo "menuentry \"Theseus/C\" {"
	echo "	set gfxpayload=800x600x32"
	echo "	multiboot2 /boot/nano_core.elf $cmdline"
	echo "	module2 /boot/nano_core.syms nano_core.syms"
	for cell in "$@"; do
		strip --strip-debug -o "$stage/cells/$cell.o" "$build/cells/$cell.o"
		# application cells (apps/) are marked: the shell runs them
		if [ -d "apps/$cell" ]; then
			echo "	module2 /cells/$cell.o $cell.o app"
		else
			echo "	module2 /cells/$cell.o $cell.o"
		fi
	done
	# copies of the replaceable nano_core cells, loaded only by a swap
	# (docs/evolution.md, "A replaceable nano_core")
	for cell in $(grep -v '^#' nano_core/replaceable); do
		strip --strip-debug -o "$stage/cells/$cell.o" "$build/cells/$cell.o"
		echo "	module2 /cells/$cell.o $cell.o nano"
	done
	# the SIMD personality's own builds (kernel/cells/personality)
	for cell in $(grep -v '^#' kernel/cells/personality/simd.cells); do
		strip --strip-debug -o "$stage/cells/$cell@simd.o" "$build/cells/$cell@simd.o"
		echo "	module2 /cells/$cell@simd.o $cell@simd.o simd"
	done
	echo "	boot"
	echo "}"
} > "$stage/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$stage" >"$stage.log" 2>&1 || { cat "$stage.log"; rm -f "$stage.log"; exit 1; }
rm -f "$stage.log"
