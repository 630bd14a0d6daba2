#!/bin/sh
# run-qemu.sh ISO LOG TIMEOUT QEMU-ARGS... : boot ISO headless, serial to
# LOG (and stdout if VERBOSE=1), stop after TIMEOUT seconds. Exit status:
# QEMU's (33 = the kernel reported success through isa-debug-exit,
# 35 = reported failure), 124 on timeout.
# QEMU itself crashing (killed by SIGSEGV: exit 139) is the emulator's
# failure, not the OS's: seen twice under TCG early in a boot (0.2 s in),
# with nothing wrong in the serial log. The boot is then made once more,
# said on stderr, the crashed boot's log kept as LOG.qemu-crash.
set -u
iso=$1; log=$2; timeout_s=$3; shift 3
boot() {
	: > "$log"
	timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 "$@" -cdrom "$iso" \
		-display none -serial "file:$log" -monitor none </dev/null
}
boot "$@"
rc=$?
if [ $rc = 139 ]; then
	cp "$log" "$log.qemu-crash"
	echo "run-qemu: QEMU itself crashed (SIGSEGV) $(wc -l < "$log") lines into the boot's log (kept as $log.qemu-crash); booting once more" >&2
	boot "$@"
	rc=$?
fi
[ "${VERBOSE:-0}" = 1 ] && cat "$log"
exit $rc
