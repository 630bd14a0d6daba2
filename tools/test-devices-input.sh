#!/bin/sh
# test-devices-input.sh: the PS/2 keyboard and mouse and the framebuffer terminal in
# one normal boot, driven through QEMU's QMP socket (tools/qmp) beside the
# serial console (tools/run-commands): keys typed with QEMU's send-key
# reach the shell (Shift, Caps Lock, the up arrow, Ctrl-C), garbage
# scancodes injected through the controller (`input inject`) are rejected and counted, an
# injected fault in the keyboard's interrupt handler is recovered (cell
# reloaded, keyboard reset, typing works again), QEMU's mouse moves the
# PS/2 mouse's pointer, kbd and fbterm are swapped live, and a screendump
# read back with the same PSF font
# (tools/screen-text) shows the prompt and what was typed.
# Last line: RESULT input <passed> <failed>.
#   tools/test-devices-input.sh --shot SOCK OUT   (used by the session)
#     dump the screen to OUT.ppm/.png/.txt until OUT.txt shows the
#     expected prompt (up to 10 tries: the terminal draws every 30 ms)
set -u
cd "$(dirname "$0")/.." || exit 2
font=build/font/console.psf

if [ "${1:-}" = --shot ]; then
	sock=$2; out=$3
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rm -f "$out.ppm"
		tools/qmp "$sock" screendump "$out.ppm" && [ -s "$out.ppm" ] &&
			tools/screen-text "$out.ppm" "$font" "$out.png" > "$out.txt" &&
			grep -qx 'on the screen' "$out.txt" && grep -qx 'theseus>' "$out.txt" && break
		sleep 0.5
	done
	echo "screen dumped after $i tries: $(grep -c '' "$out.txt" 2>/dev/null) rows"
	exit 0
fi

log=build/devices-session.log
shot=build/devices-screen
sock=build/devices-qmp.sock
mkdir -p build
rm -f "$sock" "$shot".*
# Keys are sent from a background host command that waits a moment
# first: run-commands notes the command's end in the transcript at once,
# before the OS answers, so the answer's lines come out whole. Each comes
# a second after the OS's last answer (its output has ended) and is
# followed by a wait (~) for its effect.
keys() { printf '!(sleep 0.3; tools/qmp %s %s) >/dev/null 2>&1 &' "$sock" "$1"; }
Q="tools/qmp $sock"
QEMU_EXTRA="-qmp unix:$sock,server=on,wait=off" \
tools/run-commands --timeout 180 \
	"!sleep 1" \
	"$(keys "type 'echo typed on the PS/2 keyboard: Shift+1=!' key ret")" \
	'~\ntyped on the PS/2 keyboard: Shift\+1=!\r?\n' \
	"!sleep 1" \
	"$(keys "type 'echo ' key caps_lock type 'caps' key caps_lock type ' lock' key ret")" \
	'~\nCAPS lock\r?\n' \
	"!sleep 1" \
	"$(keys "key up ret")" \
	'~\nCAPS lock\r?\n(?s:.*)\nCAPS lock\r?\n' \
	"!sleep 1" \
	"$(keys "type spin key ret")" '~\nspin\r?\n' "!sleep 1" \
	"$(keys "key ctrl-c")" \
	'~spin: killed: interrupted by Ctrl-C\r?\n' \
	"input inject kbd 00 fa a3 7f e0 e0" input \
	"input fault kbd" "$(keys "type x")" '~kbd: recovered[^\n]*\n' \
	"!sleep 1" \
	"$(keys "type 'echo after the fault' key ret")" '~\nafter the fault\r?\n' \
	faults \
	"!$Q hmp 'mouse_move 30 20' hmp 'mouse_button 1'" "!sleep 0.5" input \
	"!$Q hmp 'mouse_button 0'" "input inject mouse 00" input \
	"swap -v kbd kbd -t kbd_adopt" \
	"!sleep 1" \
	"$(keys "type 'echo after swapping kbd' key ret")" '~\nafter swapping kbd\r?\n' \
	"swap -v fbterm fbterm -t fbterm_adopt" \
	"!sleep 1" \
	"$(keys "type 'echo on the screen' key ret")" '~\non the screen\r?\n' \
	"!tools/test-devices-input.sh --shot $sock $shot" \
	input > "$log" 2>&1
rc=$?
T_PREFIX=input/ T_SUITE=input
. "$(dirname "$0")/test-lib.sh"
check() { expect_line "$1" "$2" "$log"; } # name extended-regex
if [ $rc = 0 ]; then
	ok "session (boot, keys through QMP, every command returned to the prompt)"
else
	bad session "run-commands exit $rc"
	tail -5 "$log" | sed 's/^/    | /'
fi
check keyboard_started '^\[ *[0-9.]+\] I kbd: PS/2 keyboard on IRQ 1 \(GSI [0-9]+ -> vector 0x21\)'
check fbterm_started '^\[ *[0-9.]+\] I fbterm: framebuffer terminal: 800x600x(24|32) at 0x[0-9a-f]+, 100x37 characters of 8x16'
check typed_keys '^typed on the PS/2 keyboard: Shift\+1=!$'
check caps_lock '^CAPS lock$'
if [ "$(grep -c '^CAPS lock$' "$log")" -ge 2 ]; then ok up_arrow_history; else bad up_arrow_history "the up arrow did not run the last line again"; fi
check ctrl_c '^spin: killed: interrupted by Ctrl-C'
check garbage_counted '^rejected: 1 keyboard error code; 1 reply with no command; 1 no such key; 1 release of a key not down; 1 broken prefix;$'
check garbage_logged 'W kbd: rejected byte 0xfa from the keyboard: reply with no command$'
check fault_caught '-> caught by the fault catcher'
check fault_logged 'E kbd: interrupt handler faulted \(read from an unmapped page at 0x[0-9a-f]+\): interrupt handler unwound; keyboard masked; ps2 reloads kbd'
check fault_recovered 'I ps2: kbd: recovered: cell reloaded, controller and devices reset, input on again'
check typing_after_fault '^after the fault$'
check fault_in_log 'task \(kbd interrupt\) \(#0\): #PF page fault at 0x[0-9a-f]+ in kbd:'
check kbd_swapped '^swapped: kbd -> kbd \([0-9]+ relocations rewritten, 2 data sections carried'
check typing_after_swap '^after swapping kbd$'
check fbterm_swapped '^swapped: fbterm -> fbterm \([0-9]+ relocations rewritten, 2 data sections carried'
check fbterm_task_restarted '^  1 task\(s\) restarted into the new code$'
check counters_after '^controller: 2 inits \(0 failed\), 2 keyboard resets, 7 bytes injected, 1 recoveries \(0 failed\)'
check mouse_started '^\[ *[0-9.]+\] I mouse: PS/2 mouse on IRQ 12 \(GSI [0-9]+ -> vector 0x2c\), pointer within 800x600'
check mouse_moved '^pointer at 430,320 of 800x600, buttons L--$'
check mouse_garbage_counted 'rejected: 1 first byte without bit 3 \(out of step\), 0 overflow;'
if [ -s "$shot.png" ] && [ "$(head -c 8 "$shot.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]; then
	ok screendump_png
else
	bad screendump_png "no PNG in $shot.png"
fi
# the screen, read back glyph by glyph: the typed command, its output,
# then the prompt with the cursor; and a line from before fbterm's swap
if [ -f "$shot.txt" ] && awk 'p2 == "theseus> echo on the screen" && p1 == "on the screen" && $0 == "theseus>" { f = 1 }
	{ p2 = p1; p1 = $0 } END { exit !f }' "$shot.txt"; then
	ok screen_shows_prompt
else
	bad screen_shows_prompt "$shot.txt does not end with the command, its output and the prompt"
	tail -5 "$shot.txt" 2>/dev/null | sed 's/^/    | /'
fi
if [ -f "$shot.txt" ] && grep -q '^swapped: fbterm -> fbterm' "$shot.txt"; then
	ok screen_kept_across_swap
else
	bad screen_kept_across_swap "the swap's own report is not on the screen after it"
fi
finish
