#!/bin/sh
# run-qemu.sh ISO LOG TIMEOUT QEMU-ARGS... : boot ISO headless, serial to
# LOG (and stdout if VERBOSE=1), stop after TIMEOUT seconds. Exit status:
# QEMU's (33 = the kernel reported success through isa-debug-exit,
# 35 = reported failure), 124 on timeout.
set -u
iso=$1; log=$2; timeout_s=$3; shift 3
: > "$log"
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 "$@" -cdrom "$iso" \
	-display none -serial "file:$log" -monitor none </dev/null
rc=$?
[ "${VERBOSE:-0}" = 1 ] && cat "$log"
exit $rc
