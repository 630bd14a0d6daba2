/*
 * serve: the status server (kernel/net/httpd).
 *   serve [PORT]   start it on PORT (default 80), bringing the network up
 *                  by DHCP first if needed; it runs on in the background
 *   serve -s       its port and counters
 */
#include "base.h"
#include "httpd.h"
#include "klibc.h"
#include "logger.h"
#include "netif.h"

int main(int argc, char **argv);

static int
show(void)
{
	struct httpd_stats s;
	httpd_get_stats(&s);
	if (!s.port) {
		kprintf("serve: not running\n");
		return 1;
	}
	kprintf("status server on TCP port %u: %lu connections (%u open), %lu requests, %lu not found, %lu bad, "
		"%lu errors\n", s.port, s.connections, s.active, s.requests, s.not_found, s.bad_requests, s.errors);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "-s"))
		return show();
	uint64_t port = 80;
	if (argc > 2 || (argc == 2 && (str_to_u64(argv[1], 10, 65535, &port) || !port))) {
		kprintf("usage: serve [PORT] | serve -s\n");
		return 2;
	}
	if (!net_is_up()) {
		int err = net_up(10000000000ull);
		if (err) {
			kprintf("serve: network not up: %s\n", err_str(err));
			return 1;
		}
	}
	int err = httpd_start((uint16_t)port);
	if (err) {
		kprintf("serve: port %lu: %s\n", port, err == E_BUSY ? "the server already runs (serve -s)" : err_str(err));
		return 1;
	}
	return show();
}
