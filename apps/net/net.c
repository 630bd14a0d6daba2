/*
 * net: the network interface - start it (DHCP or a static address) and
 * show its address, link and counters (lwIP's and the NIC input task's).
 *   net              show (starting the stack by DHCP if it is not up)
 *   net up [SECONDS] start by DHCP, wait up to SECONDS (default 10)
 *   net static IP/PREFIX [GW]   start with a fixed address
 *   net off          stop receiving: NIC 0's frames are left to others
 *                    (`nic arp`) until `net up`
 *   net fault nic|stack  inject a fault: the e1000's interrupt handler,
 *                    or tcpip_thread (tests: recovery under traffic)
 */
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "netif.h"

int main(int argc, char **argv);

static void
row(const char *what, const struct net_counters *c)
{
	kprintf("  %-5s tx %-8lu rx %-8lu drop %-6lu err %lu\n", what, c->xmit, c->recv, c->drop, c->err);
}

static int
show(void)
{
	struct net_info i;
	int err = net_info(&i);
	if (err) {
		kprintf("net: %s (start it with `net up`)\n", err_str(err));
		return 1;
	}
	char a[16], m[16], g[16];
	kprintf("%s: MAC %02x:%02x:%02x:%02x:%02x:%02x %s, link %s%s\n", i.name, i.mac[0], i.mac[1], i.mac[2],
		i.mac[3], i.mac[4], i.mac[5], i.up ? "up" : "down", i.link ? "up" : "down", i.dhcp ? ", DHCP" : "");
	kprintf("  inet %s netmask %s gateway %s\n", net_ip_str(i.ip, a), net_ip_str(i.mask, m), net_ip_str(i.gw, g));
	kprintf("  frames in %lu (dropped %lu), out %lu (errors %lu)\n", i.input_frames, i.input_dropped,
		i.output_frames, i.output_errors);
	row("link", &i.link_c);
	row("ip", &i.ip_c);
	row("icmp", &i.icmp_c);
	row("udp", &i.udp_c);
	row("tcp", &i.tcp_c);
	return 0;
}

static int
up(uint64_t seconds)
{
	int err = net_up(seconds * 1000000000ull);
	if (err) {
		kprintf("net up: %s\n", err == E_TIMEDOUT ? "no DHCP answer yet (still trying)" : err_str(err));
		return 1;
	}
	return show();
}

int
main(int argc, char **argv)
{
	if (argc == 1)
		return net_is_up() ? show() : up(10);
	if (!strcmp(argv[1], "up") && argc <= 3) {
		uint64_t s = 10;
		if (argc == 3 && (str_to_u64(argv[2], 10, 3600, &s) || !s)) {
			kprintf("net up: bad SECONDS '%s' (1..3600)\n", argv[2]);
			return 2;
		}
		return up(s);
	}
	if (!strcmp(argv[1], "static") && (argc == 3 || argc == 4)) {
		char addr[20];
		strlcpy(addr, argv[2], sizeof(addr));
		char *slash = strchr(addr, '/');
		uint64_t prefix = 24;
		if (slash) {
			*slash = 0;
			if (str_to_u64(slash + 1, 10, 30, &prefix) || prefix < 8) {
				kprintf("net static: bad prefix '%s' (8..30)\n", slash + 1);
				return 2;
			}
		}
		uint32_t ip, gw = 0, mask = (uint32_t)(0xffffffffull << (32 - prefix));
		if (net_parse_ip(addr, &ip) || (argc == 4 && net_parse_ip(argv[3], &gw))) {
			kprintf("net static: bad address (IP/PREFIX [GATEWAY], e.g. 10.0.3.1/24)\n");
			return 2;
		}
		int err = net_up_static(ip, mask, gw);
		if (err) {
			kprintf("net static: %s\n", err == E_BUSY ? "en0 already has another address" : err_str(err));
			return 1;
		}
		return show();
	}
	if (!strcmp(argv[1], "off") && argc == 2) {
		int err = net_release_nic();
		kprintf("net off: %s\n", err ? err_str(err) : "en0 receives nothing until `net up`");
		return err ? 1 : 0;
	}
	if (!strcmp(argv[1], "fault") && argc == 3) {
		int err = net_inject_fault(argv[2]);
		if (err) {
			kprintf("net fault: %s\n", err == E_INVAL ? "nic or stack" : err_str(err));
			return err == E_INVAL ? 2 : 1;
		}
		kprintf("net fault: injected into the %s\n", !strcmp(argv[2], "nic") ? "e1000 driver" : "stack");
		return 0;
	}
	kprintf("usage: net | net up [SECONDS] | net static IP/PREFIX [GATEWAY] | net off | net fault nic|stack\n");
	return 2;
}
