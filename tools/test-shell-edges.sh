# test-shell-edges.sh: sourced by tools/test-shell.sh (its counters, check
# and evolve variants): a second boot that types what a new user might -
# every input must get a sensible answer (issue 16). Transcript:
# build/shell-edges.log.
elog=build/shell-edges.log
CR=$(printf '\r')
LEFT=$(printf '\033[D'); HOME=$(printf '\033[H'); END=$(printf '\033[F'); DEL=$(printf '\033[3~')
BS=$(printf '\177')
# variants: hello staged (not loaded yet), halt staged but unlinkable,
# sched_rr swapped with a transfer function that does not exist
edg=build/evolve-edges
rm -rf "$edg" && mkdir -p "$edg/good" "$edg/bad" "$edg/tr"
cp build/cells/*.o "$edg/good/" && cp build/cells/*.o "$edg/bad/" && cp build/cells/*.o "$edg/tr/" &&
tools/evolve-variant.sh "$edg/good" apps/hello 's/Hello from the hello cell!/Hello from the staged hello cell!/' &&
cp "$edg/good/hello.o" "$edg/bad/" && cp "$edg/good/hello.o" "$edg/tr/" &&
tools/evolve-variant.sh "$edg/bad" apps/halt 's/power_off();/evolve_missing_fn(); power_off();/;1i void evolve_missing_fn(void);' &&
tools/evolve-variant.sh "$edg/tr" kernel/tasks/sched_rr 's/"round-robin"/"round-robin tr"/' ||
	echo "  (could not build the edge-case evolve variants)"
esock=build/shell-edges.sock
rm -f "$esock"
EE="tools/evolve --sock $esock --manifest $edg/manifest.txt --cells"
RAW="python3 tools/evolve-raw.py $esock"
# 40 lines of 241 bytes typed at once while a command runs: more than the
# 8 KiB type-ahead ring, so the sender must wait
TA=""
X230=$(printf '%0230d' 0 | tr 0 x)
for i in $(seq -w 0 39); do TA="${TA}echo ta$i $X230$CR"; done
ARGS40=$(seq -f 'a%02g' 1 40 | tr '\n' ' ')
SPINS=""
for i in $(seq 33); do SPINS="$SPINS spin_bg"; done
LONG_OK="echo $(printf '%0990d' 0 | tr 0 z)"
LONG_BAD="echo $(printf '%01095d' 0 | tr 0 y)"
# shellcheck disable=SC2086
QEMU_EXTRA="-serial unix:$esock,server=on,wait=off" \
tools/run-commands --reboot --timeout 120 \
	"kill shell" "kill recovery" "kill evolve" "kill reaper" "kill 1" "echo the shell still answers" \
	"bt 4294967297" "kill 4294967307" "bt 0" \
	"uptime x" "ps -x" "faults -z" "mem now" "chan-bench abc" "chan-bench 99999999999" "spin 5x" "kill -z 3" \
	"deps --bogus" "ns -q" "swap -q a b" "crash sideways" "jobs x" 'echo "open' "&" \
	"swap sched_rr nosuch" "swap hello hello" \
	"echo wrld${LEFT}${LEFT}${LEFT}o" "cho abc${HOME}e${END} def" "echo abcXdef${LEFT}${LEFT}${LEFT}${LEFT}${DEL}" \
	"echo héllo wörld ✓" "echo wörd${LEFT}l" "echo ✓x${LEFT}${LEFT}${DEL}" "echo aé${BS}b" \
	"echo $ARGS40" "$LONG_OK" "$LONG_BAD" \
	"!$RAW junk" "!$RAW junkmanifest" \
	"+echo partial" "!$EE $edg/good" "" hello "!$EE $edg/bad" hello \
	"!$EE $edg/good --transfer nosuch_fn" "!$EE $edg/tr --transfer nosuch_fn" rq \
	"!($RAW cut; $RAW nocommit) > build/evolve-edges-cut.log 2>&1 &" \
	"+spin 4$CR$TA" "~\nta39 x{230}\r?\n" "echo after type-ahead" \
	"chan-bench 10000000 ^C" "chan-bench 10000000 ^C" "kill chan-echo" \
	"crash null &" "~task crash \(#[0-9]+\) died" "spin ^C" \
	$(echo "$SPINS" | sed 's/spin_bg/spin\&/g') "kill spin" "kill -a spin" "!sleep 3" "echo settled" jobs \
	"!for i in \$(seq 60); do grep -q nocommit-done build/evolve-edges-cut.log && break; sleep 1; done; cat build/evolve-edges-cut.log" \
	reboot "echo after reboot" halt > "$elog" 2>&1
erc=$?
echk() { expect_line "$1" "$2" "$elog"; }
session_result edges_session $erc "$elog" "every input answered, reboot rebooted, halt"
echk refuse_kill_shell '^kill: task #[0-9]+ \(shell\) is a system task: it cannot be killed$'
echk refuse_kill_recovery '^kill: task #[0-9]+ \(recovery\) is a system task: it cannot be killed$'
echk refuse_kill_evolve '^kill: task #[0-9]+ \(evolve\) is a system task: it cannot be killed$'
echk refuse_kill_reaper '^kill: task #[0-9]+ \(reaper\) is a system task: it cannot be killed$'
echk refuse_kill_idle '^kill: task #1 \(idle/0\) is CPU 0.s idle task: it cannot be killed$'
echk shell_still_answers '^the shell still answers$'
echk id_range_bt '^bt: no task #4294967297 \(task ids go from 1 to 4294967295\)$'
echk id_range_kill '^kill: no task #4294967307 \(task ids go from 1 to 4294967295\)$'
echk id_zero '^bt: no task #0 \(task ids go from 1 to 4294967295\)$'
echk extra_arg '^uptime: unexpected argument .x. \(usage: uptime\)$'
echk unknown_option_ps '^ps: unknown option -x \(usage: ps\)$'
echk unknown_option_faults '^faults: unknown option -z \(usage: faults\)$'
echk extra_arg_mem '^mem: unexpected argument .now. \(usage: mem\)$'
echk number_not_a_number "^chan-bench: ROUNDS must be a whole number from 1 to 10000000, not 'abc'\$"
echk number_too_big "^chan-bench: ROUNDS must be a whole number from 1 to 10000000, not '99999999999'\$"
echk number_suffix "^spin: SECONDS must be a whole number from 1 to 1000000000, not '5x'\$"
echk unknown_option_kill '^kill: unknown option -z '
echk unknown_option_deps '^deps: unknown option --bogus '
echk unknown_option_ns '^ns: unknown option -q '
echk unknown_option_swap '^swap: unknown option -q '
echk crash_unknown_way "^crash: no way to crash called 'sideways'"
echk jobs_args '^jobs: takes no arguments'
echk open_quote '^shell: a " is not closed: nothing run$'
echk lone_ampersand '^shell: `&` needs a command before it$'
echk swap_no_new_cell '^swap: no cell nosuch in the image to swap in'
echk swap_not_loaded_hint '^swap: no cell hello is loaded: an application cell is loaded when it first runs \(run `hello` first\)'
echk edit_left_insert '^world$'
echk edit_home_end '^abc def$'
echk edit_delete '^abcdef$'
echk utf8_kept '^héllo wörld ✓$'
echk utf8_left '^wörld$'
echk utf8_delete '^x$'
echk utf8_backspace '^ab$'
echk args_40 "^$(echo "$ARGS40" | sed 's/ $//')\$"
echk long_line_ok '^z{990}$'
echk long_line_refused '^shell: line longer than 1023 bytes: not run \(nothing was kept past byte 1023\)$'
if grep -q '^y\{100\}' "$elog"; then bad long_line_not_run "a part of the over-long line ran"; else ok long_line_not_run; fi
echk evolve_junk_request "^\\[host\\] junk: DONE ERR unknown request '\\\\x01\\\\x02junk\\\\xff' \\(HELLO, BEGIN or STATUS id\\)"
echk evolve_junk_manifest "^\\[host\\] junkmanifest: DONE ERR a manifest line holds non-text bytes: '\\\\x01bad\\\\x02line'"
if LC_ALL=C grep -q "$(printf '\001')" "$elog"; then bad evolve_junk_not_echoed "a raw control byte reached the console"; else ok evolve_junk_not_echoed; fi
echk evolve_cut_short '^\[host\] cut: DONE ERR the manifest was cut short \(OBJECT hello: the host stopped sending\); nothing changed'
echk evolve_no_commit '^\[host\] nocommit: DONE ERR the manifest was cut short \(no COMMIT within 10 s\); nothing changed'
echk evolve_cut_logged 'W evolve: evolution failed: the manifest was cut short'
# the line being typed when the evolution's log lines came is drawn again below them
if awk '/ I evolve: / { last = NR } $0 == "theseus> echo partial" && last == NR - 1 { found = 1 } END { exit !found }' "$elog" &&
   grep -q '^partial$' "$elog"; then
	ok prompt_redrawn_after_log
else
	bad prompt_redrawn_after_log "no 'theseus> echo partial' right after the evolve log lines"
fi
echk evolve_staged_app '^Hello from the staged hello cell!$'
echk evolve_link_checked '^\[host\] evolve: FAILED: a staged cell would not load: .*evolve_missing_fn.*; nothing changed'
echk evolve_transfer_needs_swap '^\[host\] evolve: FAILED: --transfer nosuch_fn: no cell of the kernel namespace changed'
echk evolve_transfer_passed '^\[host\] evolve: FAILED: swap: transfer function nosuch_fn is not in the new cells'
echk evolve_transfer_unchanged '^policy: round-robin$'
# type-ahead: every line whole, in order, none lost; the sender waited
ta_seen=$(grep -E "^ta[0-9]{2} x{230}\$" "$elog" | cut -c1-4 | tr '\n' ' ')
ta_want=$(seq -w 0 39 | sed 's/^/ta/' | tr '\n' ' ')
if [ "$ta_seen" = "$ta_want" ]; then
	ok "type_ahead (40 lines, 9640 bytes typed during a command: all whole, in order)"
else
	bad type_ahead "saw [$ta_seen]"
fi
echk type_ahead_waited "^shell: type-ahead filled the console's 8192-byte buffer; the rest waited in the sender"
if grep -q 'unknown command' "$elog"; then bad type_ahead_not_spliced "a line was spliced"; else ok type_ahead_not_spliced; fi
echk after_type_ahead '^after type-ahead$'
echk chan_bench_interrupted '^chan-bench: killed: interrupted by Ctrl-C$'
echk chan_bench_no_helper_left '^kill: no task named chan-echo \(see `ps`\)$'
echk crashed_job_reported '^\[[0-9]+\] crashed crash: read from an unmapped page$'
echk ctrl_c_killed '^spin: killed: interrupted by Ctrl-C$'
echk jobs_limit_stated '^shell: 32 background jobs already, the most the shell keeps: spin not started'
echk kill_ambiguous '^kill: 32 tasks are named spin:( #[0-9]+){32}; none killed: name one by ID, or all with `kill -a spin`$'
if [ "$(grep -Ec '^killed task #[0-9]+ \(spin\)$' "$elog")" = 32 ] &&
   [ "$(grep -Ec '^\[[0-9]+\] killed spin: killed from the shell$' "$elog")" = 32 ]; then
	ok "kill_all (kill -a: 32 killed, 32 reported killed)"
else
	bad kill_all "expected 32 'killed task' and 32 '[N] killed spin' lines"
fi
echk jobs_empty_after '^no background jobs$'
# reboot under run-commands --reboot (as make run, which has no -no-reboot)
if [ "$(grep -c '^Theseus/C shell' "$elog")" = 2 ] && grep -q '^after reboot$' "$elog"; then
	ok "reboot_reboots (a second boot, whose shell answers)"
else
	bad reboot_reboots "no second boot answering in $elog"
fi
if submake -n run 2>/dev/null | grep -q 'qemu-system.*-no-reboot'; then
	bad make_run_reboots "make run passes -no-reboot"
else
	ok "make_run_reboots (make run has no -no-reboot)"
fi
if submake -n evolve TRANSFER=a_adopt,b_adopt 2>/dev/null | grep -q -- '--transfer a_adopt,b_adopt'; then
	ok make_evolve_transfer
else
	bad make_evolve_transfer "make evolve TRANSFER=... passes no --transfer"
fi
echk halt_after_reboot '^System halted\.'
# the host tool against an OS that never answers: one line, no traceback
fsock=build/evolve-silent.sock
rm -f "$fsock"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); time.sleep(8)' "$fsock" &
fpid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S "$fsock" ] && break; sleep 0.2; done
tools/evolve --sock "$fsock" --timeout 2 > build/evolve-silent.log 2>&1
frc=$?
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
if [ $frc = 1 ] && [ "$(grep -c '' build/evolve-silent.log)" = 1 ] &&
   grep -q '^evolve: FAILED: no answer from the OS within the timeout' build/evolve-silent.log; then
	ok "evolve_no_answer_one_line"
else
	bad evolve_no_answer_one_line "exit $frc: $(head -3 build/evolve-silent.log | tr '\n' '|')"
fi
echo "  (edge-case transcript: $elog)"
