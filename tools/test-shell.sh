#!/bin/sh
# test-shell.sh: drive the booted OS through tools/run-commands, one boot
# for the whole session, and check what each command printed. Each check is
# one test. Last line: RESULT shell <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
log=build/shell-session.log
mkdir -p build
TAB=$(printf '\t')
UP=$(printf '\033[A')
# live evolution from the host: a copy of the build with two edited cells
# (an app and the scheduler policy), and one whose edit cannot link
evo=build/evolve-test
rm -rf "$evo" && mkdir -p "$evo/good" "$evo/bad"
cp build/cells/*.o "$evo/good/" && cp build/cells/*.o "$evo/bad/"
tools/evolve-variant.sh "$evo/good" apps/hello 's/Hello from the hello cell!/Hello from the evolved hello cell!/' &&
tools/evolve-variant.sh "$evo/good" kernel/tasks/sched_rr 's/"round-robin"/"round-robin v2"/' &&
tools/evolve-variant.sh "$evo/good" kernel/console/shell 's/unknown command (type `help`)/unknown command (type `help`) [evolved shell]/' &&
cp "$evo/good/hello.o" "$evo/good/shell.o" "$evo/bad/" &&
tools/evolve-variant.sh "$evo/bad" kernel/tasks/sched_rr \
	's/"round-robin"/"round-robin v3"/;$a void evolve_missing_fn(void); int evolve_bad_probe(void); int evolve_bad_probe(void) { evolve_missing_fn(); return 0; }' ||
	echo "  (could not build the evolve variants)"
# a bad new shell, evolved on probation: its unknown-command path faults,
# which rolls the evolution back to the shell before it
mkdir -p "$evo/faulty" && cp "$evo/good/"*.o "$evo/faulty/" &&
tools/evolve-variant.sh "$evo/faulty" kernel/console/shell \
	'/unknown command (type `help`)/c { uintptr_t z = 0; __asm__("" : "+r"(z)); *(volatile int *)z = 1; }' ||
	echo "  (could not build the faulty shell variant)"
sock=build/shell-evolve.sock
rm -f "$sock"
EV="tools/evolve --sock $sock --manifest $evo/manifest.txt --cells"
QEMU_EXTRA="-serial unix:$sock,server=on,wait=off" \
tools/run-commands --timeout 180 \
	"ech${TAB}history test" "$UP" \
	help ns "ns -r" "simd 64 3" "deps heap" "deps kmalloc" "deps --dot task" "deps --check" ps uptime "echo hello shell" \
	"crash panic" mem "crash null" "crash div" "crash panic" mem faults \
	"spin &" jobs "bt spin" "kill spin" "uptime" jobs "spin ^C" rq "bt shell" \
	"nosuchcommand" "deps nosuchcell" states "chan-bench 500" \
	"spin &" hello "!$EV $evo/good" hello jobs "kill spin" uptime rq nosuchcommand2 "!$EV $evo/good" "!$EV $evo/bad" rq hello \
	"!$EV $evo/faulty --probation 60000 --no-wait" nosuchcommand5 nosuchcommand6 \
	"!tools/evolve --sock $sock --status last" "ns log kernel" \
	"swap -v sched_rr sched_prio -t sched_prio_adopt" rq "swap sched_prio swapfix_v1" \
	"test base" "test nosuch" halt > "$log" 2>&1
rc=$?
T_PREFIX=shell/ T_SUITE=shell
. "$(dirname "$0")/test-lib.sh"
check() { expect_line "$1" "$2" "$log"; } # name extended-regex
# a run-commands session's own result: NAME RC LOG WHAT
session_result() {
	if [ "$2" = 0 ]; then
		ok "$1 ($4)"
	else
		bad "$1" "run-commands exit $2"
		tail -5 "$3" | sed 's/^/    | /'
	fi
}
session_result session $rc "$log" "boot, every command returned to the prompt, halt"
# boot time in the guest's own clock (wall-clock time under TCG depends on
# how loaded the host is): the captain is done within 1 s of emulated time
check boot_time 'captain: boot complete in [0-9]{1,3} ms'
check prompt_reached 'run-commands: ok \(prompt after [0-9]+\.[0-9] s of boot\)'
check help '^  deps +\[CELL\|SYMBOL\|SECTION\]'
# help describes every application cell (none is left in its "other" line)
if grep -q '^Other application cells' "$log"; then bad help_complete "$(grep '^Other application cells' "$log")"; else ok help_complete; fi
check ns 'namespace kernel \(parent -\): [0-9]+ cells'
check ns_bounds '^  cell_mgr +ffffffff8[0-9a-f]+ +[0-9]+ B'
check ns_recursive '^  apps -> kernel'
# the simd personality: its own SSE2 build of vecsum, the rest shared; a
# task in each namespace computes the same results
check ns_personality '^  personality simd: its own cells: vecsum \(object [0-9a-f]{16}, instead of kernel'"'"'s [0-9a-f]{16}\)$'
check ns_personality_shared '^  shared with kernel: [1-9][0-9]* cells$'
check simd_kernel_build '^kernel: vecsum built for general registers: sum 0x[0-9a-f]+, weighted 0x[0-9a-f]+, 3 rounds over 64 KiB'
check simd_personality_build '^simd:   vecsum built for SSE2: sum 0x[0-9a-f]+, weighted 0x[0-9a-f]+, 3 rounds over 64 KiB'
check simd_agree '^simd: both personalities agree$'
check deps_cell '^cell heap: [0-9]+ sections \(nano_core\)'
check deps_dependents '^  depended on by [1-9][0-9]* cells'
check deps_section '^section kmalloc \(text, global'
check deps_dot '^  "task" -> "heap" \[label="[0-9]+"\];'
check ps '^ +[0-9]+ shell +(blocked|runnable) +[0-9]+ +- +shell'
check ps_idle '^ +[0-9]+ idle/3 +idle +3 +3 task'
check uptime '^up [0-9]+\.[0-9]{3} s, [0-9]+ tasks, 4 CPUs'
check echo '^hello shell$'
check crash_panic '^crash: crashed: crash: deliberate panic'
check crash_null '^crash: crashed: read from an unmapped page'
check crash_div '^crash: crashed: #DE divide error'
check faults '^#[0-9]+ .* task crash \(#[0-9]+\): #PF page fault at 0x[0-9a-f]+ in crash:main, address 0'
check faults_action 'read from an unmapped page -> unwound \([0-9]+ frames, 1 cleanups'
check background '^\[1\] task #[0-9]+ spin'
check jobs '^\[1\] task #[0-9]+ (blocked|runnable) +spin'
check bt '^  #[0-9]+ +[0-9a-f]+ main\+0x[0-9a-f]+ \(spin\)'
check kill '^killed task #[0-9]+ \(spin\)'
check job_killed '^\[1\] killed spin: killed from the shell$'
check ctrl_c '^spin: killed: interrupted by Ctrl-C$'
check rq '^CPU 0: running '
check bt_shell '^  #[0-9]+ +[0-9a-f]+ shell_main\+0x[0-9a-f]+ \(shell\)'
check unknown '^nosuchcommand: unknown command \(type `help`\)'
check deps_check_clean '^deps --check: [0-9]+ cells, [1-9][0-9]* cell-to-cell edges, 0 undeclared'
check deps_unknown '^deps: no cell, symbol or section named nosuchcell'
check test_cmd '^[1-9][0-9]* passed, 0 failed$'
check test_cell_short_name '^KTEST PASS tsc_is_calibrated_and_monotonic '
check test_unknown "^test: no test or test cell named 'nosuch'\$"
check test_unknown_status '^test: exit status 2$'
check halt '^System halted\.'
check evolve_applied '^\[host\] evolve: applied'
check evolve_swapped_live '^\[host\]   OS: swapped in kernel: ([a-z_]+,)*sched_rr(,[a-z_]+)* -> ([a-z_]+,)*sched_rr'
check evolved_app '^Hello from the evolved hello cell!$'
check evolved_kernel_cell '^policy: round-robin v2$'
# the shell's own cell was swapped: its task was restarted into the new code
check evolved_shell '^nosuchcommand2: unknown command \(type `help`\) \[evolved shell\]'
check evolved_shell_restarted 'swapped .* 1 task\(s\) restarted into the new code'
check jobs_kept_across_shell_swap '^\[2\] task #[0-9]+ (blocked|runnable) +spin$'
if [ "$(grep -Ec '^\[[0-9]+\] killed spin: killed from the shell$' "$log")" -ge 2 ]; then
	ok job_reported_by_new_shell
else
	bad job_reported_by_new_shell "the job started before the shell was swapped was not reported done by the new shell"
fi
check evolve_up_to_date '^\[host\] evolve: nothing to do: the running system matches the build'
check evolve_refused '^\[host\] evolve: FAILED: .*evolve_missing_fn'
# after the refused evolution, `rq` still shows the version before it
after=$(awk '/^\[host\] evolve: FAILED/ { f = 1 } f && /^policy: / { print; exit }' "$log")
check evolve_refused_unchanged "$( [ "$after" = 'policy: round-robin v2' ] && echo '^policy: round-robin v2$' || echo 'NO-RQ-AFTER-THE-REFUSAL-SHOWING-v2')"
# the faulty shell on probation: its fault rolled the evolution back, the
# shell before it answers again, and the host's status query says so
check probation_evolved '^\[host\] evolve: on probation for 60000 ms \(commit #[0-9]+\)'
check probation_fault_rolled_back 'recovery: stage 3: rollback of commit #[0-9]+ queued \(fault in shell, on probation\)'
check probation_old_shell_back '^nosuchcommand6: unknown command \(type `help`\) \[evolved shell\]'
check probation_status_rolled_back '^\[host\] evolve: ROLLED BACK: commit #[0-9]+: fault in shell at 0x[0-9a-f]+ \(task shell\)'
check probation_log '^#[0-9]+ kernel +evolve +rolled back '
check probation_log_rollback '^#[0-9]+ kernel +rollback of #[0-9]+ +committed '
check swap '^swapped: sched_rr -> sched_prio \([0-9]+ relocations rewritten'
check swap_stages '^  pause \(all CPUs\) +none  \(live transfer: no CPU stopped\)'
check swap_live_policy '^policy: priority \(stride\)'
check swap_refused '^swap failed, nothing changed: '
check states '^shell\.history +shell +[0-9]+ no +yes'
check chan_bench '^BENCH fastpath +round trip +[0-9]+ ns'
check tab_completion 'theseus> echo history test$'
if [ "$(grep -c '^history test$' "$log")" -ge 2 ]; then
	ok "history (the up arrow re-ran the previous line)"
else
	bad history "'history test' printed fewer than twice"
fi
# nothing leaked by the crashes: the two `mem` reports (after the crash
# cell was loaded, then after three more crashes) must match
m1=$(grep -E '^(heap|mapped):' "$log" | sed -n '1,2p' | sed 's/, [0-9]* slabs.*//')
m2=$(grep -E '^(heap|mapped):' "$log" | sed -n '3,4p' | sed 's/, [0-9]* slabs.*//')
if [ -n "$m1" ] && [ "$m1" = "$m2" ]; then
	ok "no_leak_after_crashes ($(echo "$m1" | tr '\n' ';'))"
else
	bad no_leak_after_crashes "before [$m1] after [$m2]"
fi
echo "  (transcript: $log)"
# the second boot: what a new user types (refusals, limits, type-ahead,
# editing keys, evolve failures, reboot)
. tools/test-shell-edges.sh
finish
