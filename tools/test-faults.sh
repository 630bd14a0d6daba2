#!/bin/sh
# test-faults.sh: a small fault-injection campaign (tools/inject) as part
# of `make test`: it must run every injection to a classification, see
# faults activate (watchpoints and breakpoints work through QEMU's gdb
# stub) and write its report. The big campaigns are `make faults N=...`.
# Last line: RESULT faults <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
n=${FAULTS_N:-40}
out=build/faults-smoke
rm -rf "$out"
tools/inject -n "$n" --seed 7 --out "$out" > build/faults-smoke.log 2>&1
rc=$?
T_PREFIX=faults/ T_SUITE=faults
. "$(dirname "$0")/test-lib.sh"
line=$(grep '^FAULTS ' build/faults-smoke.log)
if [ $rc = 0 ] && [ -n "$line" ]; then ok "campaign ($line)"; else bad "campaign: exit $rc; see build/faults-smoke.log"; fi
set -- $line
[ "${3:-0}" = "$n" ] && ok "every injection classified ($n)" || bad "every injection classified: ${3:-none} of $n"
[ "${5:-0}" -gt 0 ] && ok "faults activate (${5:-0})" || bad "no fault activated in $n injections"
[ -s "$out/report.md" ] && grep -q '| all |' "$out/report.md" && ok "report written ($out/report.md)" || bad "no report"
finish
