#!/bin/sh
# test-faults.sh: a small fault-injection campaign (tools/inject) as part
# of `make test`: it must run every injection to a classification, see
# faults activate (watchpoints and breakpoints work through QEMU's gdb
# stub), write its report, and have the workload recovered (going on,
# the shell answering) after at least FAULTS_FLOOR percent of the faults
# that manifested. The floor only catches recovery that broke down: a
# small campaign sees a handful of manifested faults (seed fixed, but
# what the machine does with each varies), so memory left behind by a
# recovery - a failure in the big campaigns (`make faults N=...`, the
# allocator check) - is counted apart here: with leaks as failures the
# same 80 injections gave 0 of 4 once, too few to judge by.
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
man=${7:-0} rec=${9:-0} leaked=${15:-0}
went_on=$((rec + leaked))
if [ "$man" -ge 1 ] && [ $((went_on * 100)) -ge $((man * floor)) ]; then
	ok "recovery rate: the workload recovered after $went_on of $man manifested (floor $floor%; $leaked of them left memory behind)"
else
	bad "recovery rate" "the workload recovered after $went_on of $man manifested ($leaked of them left memory behind): under the floor of $floor% (or none manifested)"
fi
finish
