/*
 * ping: ICMP echo requests through the network stack.
 *   ping [-c N] [-s BYTES] IP    N requests (default 4), one a second
 * starting the stack (DHCP) first if it is not up. Exit 0 if every
 * request was answered.
 */
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "netif.h"
#include "task.h"
#include "tsc.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	uint64_t count = 4, size = 56;
	const char *host = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			if (str_to_u64(argv[++i], 10, 1000000, &count) || !count) {
				kprintf("ping: bad count '%s'\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			if (str_to_u64(argv[++i], 10, 1400, &size)) {
				kprintf("ping: bad size '%s' (0..1400)\n", argv[i]);
				return 2;
			}
		} else if (!host) {
			host = argv[i];
		} else {
			host = NULL;
			break;
		}
	}
	uint32_t ip;
	if (!host || net_parse_ip(host, &ip)) {
		kprintf("usage: ping [-c N] [-s BYTES] A.B.C.D\n");
		return 2;
	}
	if (!net_is_up()) {
		int err = net_up(10000000000ull);
		if (err) {
			kprintf("ping: network not up: %s\n", err_str(err));
			return 1;
		}
	}
	uint64_t got = 0, min = UINT64_MAX, max = 0, sum = 0;
	for (uint64_t k = 0; k < count; k++) {
		uint64_t t0 = tsc_ns(), rtt = 0;
		int err = net_ping(ip, (uint16_t)(k + 1), size, 1000000000ull, &rtt);
		if (err == E_OK) {
			got++;
			sum += rtt;
			min = rtt < min ? rtt : min;
			max = rtt > max ? rtt : max;
			kprintf("%lu bytes from %s: icmp_seq=%lu time=%lu.%03lu ms\n", size + 8, host, k + 1,
				rtt / 1000000, rtt / 1000 % 1000);
		} else {
			kprintf("icmp_seq=%lu: %s\n", k + 1, err_str(err));
			if (err != E_TIMEDOUT)
				return 1;
		}
		uint64_t spent = tsc_ns() - t0;
		if (k + 1 < count && spent < 1000000000ull && count <= 10)
			task_sleep_ns(1000000000ull - spent);
	}
	kprintf("--- %s: %lu sent, %lu received, %lu%% loss", host, count, got, (count - got) * 100 / count);
	if (got)
		kprintf(", rtt min/avg/max %lu/%lu/%lu us", min / 1000, sum / got / 1000, max / 1000);
	kprintf("\n");
	return got == count ? 0 : 1;
}
