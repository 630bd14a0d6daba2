#!/bin/sh
# test-net.sh: the network (issue 18, docs/network.md), in normal boots
# driven through the shell by tools/run-commands. Traffic goes only to the
# host's loopback (ports QEMU forwards) or between two instances of the OS.
#  1. make run's image (the status server starts at boot) on QEMU's user
#     net with forwarded ports: net, ping the gateway and itself, nc echo
#     over TCP with the host, a UDP datagram from it, bulk TCP both ways (rates in the
#     log), every JSON document with curl, the page in headless Chromium
#     (DOM dump: the graph has a node per cell; a screenshot).
#     Case study 9.1(c): while numbered records stream through an echo in
#     the OS, tools/evolve --tcp (over the same e1000) swaps the e1000
#     cell and the evolve cell that receives the evolution; the answer
#     comes back on the same connection, no record is lost, duplicated or
#     reordered, and the stage times are logged.
#  2. two instances on a QEMU socket network (127.0.0.1): static
#     addresses, ping, a UDP and a TCP echo from one to the other.
# Last line: RESULT net <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
T_PREFIX=net/ T_SUITE=net
. "$(dirname "$0")/test-lib.sh"
log=build/net-session.log
out=build/net
mkdir -p "$out"
# free ports on the host's loopback (the machine is shared)
ports=$(python3 -c 'import socket
ss=[socket.socket() for _ in range(8)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
HTTP=$1 ECHO=$2 UDP=$3 BULKIN=$4 BULKOUT=$5 SOCKNET=$6 EVO=$7 REC=$8
BULK=${NET_BULK_BYTES:-4000000}
URL=http://127.0.0.1:$HTTP
H="python3 tools/net-host.py"
CHROME="chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync --disable-default-apps --virtual-time-budget=20000"
# case study (c): edited copies of the e1000 and evolve cells
evo=build/evolve-net
rm -rf "$evo"
tools/evolve-variant.sh "$evo" kernel/drivers/e1000 's/-descriptor rings"/-descriptor rings (evolved copy)"/' &&
tools/evolve-variant.sh "$evo" kernel/cells/evolve 's/going on with the connection in the new code/going on with the connection in the new code (evolved copy)/' ||
	echo "  (could not build the case study's variants)"
EVOTCP="tools/evolve --tcp 127.0.0.1:$EVO --cells $evo --manifest $out/evolve-manifest.txt --timeout 120"
NET_HOSTFWD="tcp:127.0.0.1:$EVO-:7070 tcp:127.0.0.1:$REC-:7005 tcp:127.0.0.1:$HTTP-:80 tcp:127.0.0.1:$ECHO-:7001 udp:127.0.0.1:$UDP-:7002 tcp:127.0.0.1:$BULKIN-:7003 tcp:127.0.0.1:$BULKOUT-:7004" \
tools/run-commands --iso build/theseus-run.iso --timeout 120 \
	"~serving the status page on TCP port 80" "net" "ping -c 3 10.0.2.2" "ping -c 2 10.0.2.15" \
	"nc -l 7001 -e -w 20 &" "!$H echo $ECHO 'hello over TCP'" \
	"nc -u -l 7002 -w 4 &" "~nc: UDP port 7002" "!$H udp-send $UDP 1" "~datagram 1 from the host" \
	"nc 10.0.2.15 7009" "nc 192.168.77.1 80" "nc -l 0" \
	"nc -l 7003 -c &" "!$H send $BULKIN $BULK" "~nc: received [0-9]+ bytes" \
	"nc -l 7004 -n $BULK &" "!$H recv $BULKOUT" "~nc: sent [0-9]+ bytes" \
	"nc -l 7005 -e -w 60 &" "!($H records $REC 1500 10 > $out/records.log 2>&1 &); sleep 4" \
	"!$EVOTCP e1000 evolve > $out/evolve-tcp.log 2>&1; cat $out/evolve-tcp.log" \
	"!for i in \$(seq 120); do grep -q '^records:' $out/records.log && break; sleep 1; done; cat $out/records.log" \
	"!$EVOTCP --status last" "!$EVOTCP e1000 evolve" \
	"nc -l 7003 -c &" "!($H send $BULKIN 12000000 > $out/fault-nic.log 2>&1 &); sleep 1" "net fault nic" \
	"~nc: received 12000000 bytes" "nc -l 7003 -c &" "!($H send $BULKIN 10000000 > $out/fault-stack.log 2>&1 &); sleep 1" \
	"net fault stack" "~nc: received 10000000 bytes" "faults" "!cat $out/fault-nic.log $out/fault-stack.log" \
	"ping -c 2 10.0.2.2" \
	"!curl -s -m 30 $URL/tasks | head -c 300; echo" \
	"!$H json $URL/tasks" "!$H json $URL/cells" "!$H json $URL/faults" "!$H json $URL/memory" "!$H json $URL/net" \
	"!curl -s -m 30 -o /dev/null -w 'status %{http_code}\n' $URL/nosuch" \
	"!$CHROME --dump-dom $URL/ > $out/page.html 2>$out/chromium.log; $H graph $URL $out/page.html" \
	"!$CHROME --window-size=1600,1800 --screenshot=$out/status.png $URL/ >>$out/chromium.log 2>&1; ls -l $out/status.png" \
	"serve -s" "net" "halt" > "$log" 2>&1
rc=$?
check() { expect_line "$1" "$2" "$log"; } # name extended-regex
if [ $rc = 0 ]; then ok "session (boot, every command returned, halt)"; else bad session "run-commands exit $rc"; tail -5 "$log" | sed 's/^/    | /'; fi
check dhcp_address '^  inet 10\.0\.2\.15 netmask 255\.255\.255\.0'
check ping_gateway '^--- 10\.0\.2\.2: 3 sent, 3 received, 0% loss'
check ping_itself '^--- 10\.0\.2\.15: 2 sent, 2 received, 0% loss'
check tcp_echo_with_host '^\[host\] echo: hello over TCP$'
check udp_from_host 'datagram 1 from the host'
check refused '^nc: connect: connection refused'
check unreachable '^nc: connect: host unreachable'
check bad_port "^nc: bad port '0'"
check bulk_host_to_os "^nc: received $BULK bytes in [0-9]+ ms: [0-9]+ KB/s"
check bulk_os_to_host "^\[host\] host received $BULK bytes in"
check bulk_in_sequence "^nc: 0 bytes out of sequence"
# case study (c): the evolution over TCP while the records stream
check evo_tcp_swapped '^\[host\]   OS: swapped in kernel: e1000,evolve -> e1000,evolve \('
check evo_tcp_stages '^\[host\]   OS: stages: load [0-9]+ verify [0-9]+ quiesce [0-9]+ rewrite [0-9]+ deps [0-9]+ transfer [0-9]+ cleanup [0-9]+ pause [0-9]+ total [0-9]+ us$'
check evo_tcp_restarted '^\[host\]   OS: [1-9][0-9]* task\(s\) restarted into the new code'
check evo_tcp_answer_after_self_swap '^\[host\] evolve: applied \([0-9]+ bytes sent'
check evo_tcp_same_connection 'network link: going on with the connection in the new code \(evolved copy\)'
check evo_tcp_status_after '^\[host\] evolve: commit #[0-9]+ committed'
check evo_tcp_second_run_unchanged '^\[host\] evolve: nothing to do: the running system matches the build'
check evo_tcp_records_whole '^\[host\] records: 1500 sent in [0-9.]+ s, 1500 echoed back; 0 lost, 0 duplicated, 0 out of order, 0 malformed'
grep -E '^\[host\]   OS: (stages|swapped in)|^\[host\] records:' "$log" | sed 's/^/  case study (c): /'
# faults under traffic: the e1000's interrupt handler (its cell reloaded,
# the device reset) and tcpip_thread (restarted); the stream goes on
check fault_nic_recovered '^    -> vector 0x40: reloaded e1000 in [0-9]+ us .*device reset'
check fault_nic_stream_whole '^nc: received 12000000 bytes in'
check fault_stack_recovered 'stage 2: restarted as tcpip \(#[0-9]+\)'
check fault_stack_stream_whole '^nc: received 10000000 bytes in'
check fault_host_side '^\[host\] host sent 10000000 bytes in'
if [ "$(grep -c '^nc: 0 bytes out of sequence' "$log")" -ge 3 ]; then ok "faults_nothing_lost_or_reordered"; else bad faults_nothing_lost_or_reordered "fewer than 3 streams with 0 bytes out of sequence"; fi
check ping_after_faults '^--- 10\.0\.2\.2: 2 sent, 2 received, 0% loss'
check http_tasks_curl '^\[host\] \[\{"id":[0-9]+,"name":"'
check http_tasks_json '^\[host\] json: [0-9]+ entries: first \{"id"'
check http_cells_json '^\[host\] json: [0-9]+ entries: first \{"name": "[a-z_0-9]+", "ns": "kernel".*"declared"'
check http_faults_json '^\[host\] json: [0-9]+ entries'
check http_memory_json '^\[host\] json: keys frames,pages,mapped,heap$'
check http_net_json '^\[host\] json: keys name,mac,ip,mask,gateway,up,link,dhcp,frames_in,frames_out,counters$'
check http_not_found '^\[host\] status 404$'
check page_graph_drawn '^\[host\] graph: /cells has [0-9]+ cells .*the page drew [0-9]+ nodes; marker found'
if [ -s "$out/status.png" ] && [ "$(wc -c < "$out/status.png")" -gt 20000 ]; then
	ok "page_screenshot ($out/status.png, $(wc -c < "$out/status.png") bytes)"
else
	bad page_screenshot "no screenshot in $out/status.png (see $out/chromium.log)"
fi
check server_counters '^status server on TCP port 80: [0-9]+ connections \(0 open\), [0-9]+ requests, [1-9][0-9]* not found'
grep -E '^(nc: (received|sent)|\[host\] host (sent|received))' "$log" | sed 's/^/  rate: /'

# 2. two instances on a socket network
logA=build/net-instanceA.log logB=build/net-instanceB.log
NET_SOCKET=listen=127.0.0.1:$SOCKNET NET_MAC=52:54:00:12:34:61 \
tools/run-commands --timeout 120 "net static 10.0.3.1/24" "nc -u -l 7002 -e -w 60 &" "nc -l 7000 -e -w 60" "net" "halt" > "$logA" 2>&1 &
pidA=$!
sleep 3
NET_SOCKET=connect=127.0.0.1:$SOCKNET NET_MAC=52:54:00:12:34:62 \
tools/run-commands --timeout 120 "net static 10.0.3.2/24" "ping -c 3 10.0.3.1" "nc -u -w 3 10.0.3.1 7002 datagram from instance B" "nc -w 5 10.0.3.1 7000 hello from instance B" "halt" > "$logB" 2>&1
rcB=$?
wait $pidA
rcA=$?
if [ $rcA = 0 ] && [ $rcB = 0 ]; then ok "two_instances (both sessions ended with halt)"; else bad two_instances "run-commands exit A $rcA B $rcB"; fi
expect_line instances_static_address '^  inet 10\.0\.3\.2 netmask 255\.255\.255\.0' "$logB"
expect_line instances_ping '^--- 10\.0\.3\.1: 3 sent, 3 received, 0% loss' "$logB"
expect_line instances_udp_echo_back '^datagram from instance B$' "$logB"
expect_line instances_tcp_echo_back '^hello from instance B$' "$logB"
expect_line instances_tcp_server_side '^nc: connection from 10\.0\.3\.2:[0-9]+' "$logA"
echo "  (transcripts: $log $logA $logB; page: $out/status.png)"
finish
