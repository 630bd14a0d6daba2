#!/bin/sh
# test-faults.sh: a small fault-injection campaign (tools/inject) as part
# of `make test`: it must run every injection to a classification, see
# faults activate (watchpoints and breakpoints work through QEMU's gdb
# stub), write its report, and recover at least FAULTS_FLOOR percent of
# the faults that manifested (seed fixed; a small campaign's rate is
# noisy - measured 38-70% on this machine - so the floor only catches
# recovery that broke down). The big campaigns are `make faults N=...`.
# Last line: RESULT faults <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
n=${FAULTS_N:-80}
floor=${FAULTS_FLOOR:-25}
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
man=${7:-0} rec=${9:-0}
if [ "$man" -ge 1 ] && [ $((rec * 100)) -ge $((man * floor)) ]; then
	ok "recovery rate $rec of $man manifested (floor $floor%)"
else
	bad "recovery rate" "$rec of $man manifested: under the floor of $floor% (or none manifested)"
fi
finish
