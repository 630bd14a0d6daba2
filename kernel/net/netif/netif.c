/*
 * netif.c: lwIP's interface en0 over the e1000 cell (netif.h).
 */
#include "netif.h"
#include "e1000.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"
#include "lwip.h"
#include "sync.h"
#include "task.h"
#include "tsc.h"

#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"

#undef LOG_TAG
#define LOG_TAG "net"

#define NIC 0

static struct netif en0;
static struct mutex up_lock = MUTEX_INIT;
static bool started;        /* tcpip and en0 exist; guarded by up_lock */
static bool dhcp_on;
static bool input_on;       /* the input task runs (it clears it as it ends) */
static bool input_stop;     /* asks it to end: net_release_nic */
static uint64_t in_frames, in_dropped, out_frames, out_errors;
static uint8_t out_buf[E1000_FRAME_MAX];   /* linkoutput runs under the core lock */

static err_t
en0_output(struct netif *n, struct pbuf *p)
{
	if (p->tot_len > sizeof(out_buf)) {
		out_errors++;
		return ERR_BUF;
	}
	uint16_t len = pbuf_copy_partial(p, out_buf, p->tot_len, 0);
	int err = E_FULL;
	for (int tries = 0; tries < 200 && err == E_FULL; tries++) {
		err = e1000_send(NIC, out_buf, len < E1000_FRAME_MIN ? E1000_FRAME_MIN : len);
		if (err == E_FULL)
			task_yield();
	}
	if (err) {
		out_errors++;
		LINK_STATS_INC(link.err);
		return err == E_FULL ? ERR_MEM : ERR_IF;
	}
	out_frames++;
	LINK_STATS_INC(link.xmit);
	return ERR_OK;
}

static err_t
en0_init(struct netif *n)
{
	n->name[0] = 'e';
	n->name[1] = 'n';
	n->output = etharp_output;
	n->linkoutput = en0_output;
	n->mtu = 1500;
	n->hwaddr_len = 6;
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	netif_set_hostname(n, "theseus");
	return e1000_mac(NIC, n->hwaddr) ? ERR_IF : ERR_OK;
}

/* the input task: blocks in e1000_recv (the NIC's interrupt wakes it) and
 * hands each frame to tcpip_thread; once a second it looks at the link */
static uint64_t
net_input_task(uint64_t unused)
{
	static uint8_t buf[E1000_BUF];
	bool link_was = netif_is_link_up(&en0);
	uint64_t link_checked = tsc_ns();
	while (!__atomic_load_n(&input_stop, __ATOMIC_ACQUIRE)) {
		size_t len = 0;
		int err = e1000_recv(NIC, buf, sizeof(buf), &len, 100000000ull);
		if (err == E_OK) {
			struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
			if (!p) {
				in_dropped++;
				LINK_STATS_INC(link.memerr);
				continue;
			}
			pbuf_take(p, buf, (u16_t)len);
			in_frames++;
			LINK_STATS_INC(link.recv);
			if (en0.input(p, &en0) != ERR_OK) {
				pbuf_free(p);
				in_dropped++;
				LINK_STATS_INC(link.drop);
			}
			continue;
		}
		if (err != E_TIMEDOUT) {
			task_sleep_ns(10000000);
			continue;
		}
		if (tsc_ns() - link_checked < 1000000000ull)
			continue;
		link_checked = tsc_ns();
		bool up = false;
		if (e1000_link(NIC, &up) == E_OK && up != link_was) {
			link_was = up;
			LOCK_TCPIP_CORE();
			if (up)
				netif_set_link_up(&en0);
			else
				netif_set_link_down(&en0);
			UNLOCK_TCPIP_CORE();
			log_info("en0: link %s", up ? "up" : "down");
		}
	}
	log_info("en0: input stopped: NIC %u's frames are no longer taken", NIC);
	__atomic_store_n(&input_on, false, __ATOMIC_RELEASE);
	return 0;
}

/* with up_lock held */
static int
spawn_input(void)
{
	__atomic_store_n(&input_stop, false, __ATOMIC_RELEASE);
	__atomic_store_n(&input_on, true, __ATOMIC_RELEASE);
	struct task_builder b = TASK_BUILDER(net_input_task, (uint64_t)0);
	b.name = "net-input";
	b.system = true;
	uint8_t acct = task_set_acct(0);
	int err = task_spawn_detached(&b);
	task_set_acct(acct);
	if (err)
		__atomic_store_n(&input_on, false, __ATOMIC_RELEASE);
	return err;
}

int
net_release_nic(void)
{
	_cleanup_(guard_drop) struct guard g = mutex_lock(&up_lock);
	if (!__atomic_load_n(&input_on, __ATOMIC_ACQUIRE))
		return E_OK;
	__atomic_store_n(&input_stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < 300 && __atomic_load_n(&input_on, __ATOMIC_ACQUIRE); i++)
		task_sleep_ns(10000000);
	return __atomic_load_n(&input_on, __ATOMIC_ACQUIRE) ? E_TIMEDOUT : E_OK;
}

static unsigned tcpip_starts;

static void
tcpip_ready(void *arg)
{
	if (tcpip_starts++)
		log_warn("tcpip_thread restarted (%u); connections and timers kept", tcpip_starts - 1);
	else
		sys_sem_signal((sys_sem_t *)arg);
}

/* a bug in the stack, as tests provoke it: run by tcpip_thread, under
 * the core lock, between two messages */
static void
stack_fault(void *arg)
{
	log_warn("injected fault: tcpip_thread writes through a null pointer");
	*(volatile int *)arg = 1;
}

int
net_inject_fault(const char *where)
{
	if (!strcmp(where, "nic"))
		return e1000_inject_irq_fault(NIC);
	if (strcmp(where, "stack"))
		return E_INVAL;
	if (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		return E_NOTCONN;
	return tcpip_try_callback(stack_fault, NULL) == ERR_OK ? E_OK : E_NOMEM;
}

static int start_stack(void);

/* with up_lock held: tcpip, en0 (no address yet) and the input task */
static int
start(void)
{
	if (started)
		return __atomic_load_n(&input_on, __ATOMIC_ACQUIRE) ? E_OK : spawn_input();
	if (e1000_count() == 0)
		return E_NOENT;
	/* the stack's tasks and memory belong to the system, not to the
	 * accounting domain of whoever started it first (a test) */
	uint8_t acct = task_set_acct(0);
	int err = start_stack();
	task_set_acct(acct);
	return err;
}

static int
start_stack(void)
{
	/* tcpip_thread calls tcpip_ready each time it starts - again when
	 * the recovery cascade restarts it after a fault - so its semaphore
	 * stays for good */
	static bool tcpip_on;
	static sys_sem_t ready;
	if (!tcpip_on) {
		if (!ready && sys_sem_new(&ready, 0) != ERR_OK)
			return E_NOMEM;
		tcpip_init(tcpip_ready, &ready);
		sys_arch_sem_wait(&ready, 0);
		tcpip_on = true;
	}
	LOCK_TCPIP_CORE();
	struct netif *n = netif_add(&en0, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, en0_init, tcpip_input);
	if (n) {
		netif_set_default(&en0);
		netif_set_up(&en0);
		bool link = false;
		if (e1000_link(NIC, &link) == E_OK && link)
			netif_set_link_up(&en0);
	}
	UNLOCK_TCPIP_CORE();
	if (!n) {
		log_err("en0: netif_add failed");
		return E_NOMEM;
	}
	int err = spawn_input();
	if (err)
		return err;
	started = true;
	log_info("en0: lwIP up over e1000 %u (MAC %02x:%02x:%02x:%02x:%02x:%02x)", NIC, en0.hwaddr[0],
		 en0.hwaddr[1], en0.hwaddr[2], en0.hwaddr[3], en0.hwaddr[4], en0.hwaddr[5]);
	return E_OK;
}

static bool
has_addr(void)
{
	return !ip4_addr_isany_val(*netif_ip4_addr(&en0));
}

int
net_up(uint64_t timeout_ns)
{
	_cleanup_(lwip_port_cleanup) int lwip_guard = 0;
	{
		_cleanup_(guard_drop) struct guard g = mutex_lock(&up_lock);
		int err = start();
		if (err)
			return err;
		if (!dhcp_on && !has_addr()) {
			uint8_t acct = task_set_acct(0);
			LOCK_TCPIP_CORE();
			err_t e = dhcp_start(&en0);
			UNLOCK_TCPIP_CORE();
			task_set_acct(acct);
			if (e != ERR_OK)
				return E_NOMEM;
			dhcp_on = true;
			log_info("en0: DHCP started");
		}
	}
	uint64_t deadline = tsc_ns() + timeout_ns;
	while (!has_addr()) {
		if (tsc_ns() >= deadline)
			return E_TIMEDOUT;
		task_sleep_ns(20000000);
	}
	return E_OK;
}

int
net_up_static(uint32_t ip, uint32_t mask, uint32_t gw)
{
	_cleanup_(lwip_port_cleanup) int lwip_guard = 0;
	if (!ip || ip == 0xffffffffu || (mask && (ip & ~mask) == ~mask))
		return E_INVAL;
	_cleanup_(guard_drop) struct guard g = mutex_lock(&up_lock);
	int err = start();
	if (err)
		return err;
	if (has_addr()) {
		if (lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&en0))) == ip)
			return E_OK;
		return E_BUSY;
	}
	ip4_addr_t a, m, w;
	ip4_addr_set_u32(&a, lwip_htonl(ip));
	ip4_addr_set_u32(&m, lwip_htonl(mask));
	ip4_addr_set_u32(&w, lwip_htonl(gw));
	LOCK_TCPIP_CORE();
	if (dhcp_on)
		dhcp_stop(&en0);
	dhcp_on = false;
	netif_set_addr(&en0, &a, &m, &w);
	UNLOCK_TCPIP_CORE();
	char s[16];
	log_info("en0: static address %s", net_ip_str(ip, s));
	return E_OK;
}

bool
net_is_up(void)
{
	return __atomic_load_n(&started, __ATOMIC_ACQUIRE) && __atomic_load_n(&input_on, __ATOMIC_ACQUIRE) &&
	       has_addr();
}

static void
counters(struct net_counters *c, const struct stats_proto *p)
{
	c->xmit = p->xmit;
	c->recv = p->recv;
	c->drop = p->drop;
	c->err = p->err + p->chkerr + p->lenerr + p->memerr + p->rterr + p->proterr + p->opterr;
}

int
net_info(struct net_info *o)
{
	_cleanup_(lwip_port_cleanup) int lwip_guard = 0;
	if (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		return E_NOTCONN;
	memset(o, 0, sizeof(*o));
	LOCK_TCPIP_CORE();
	snprintf(o->name, sizeof(o->name), "%c%c%u", en0.name[0], en0.name[1], en0.num);
	memcpy(o->mac, en0.hwaddr, 6);
	o->ip = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&en0)));
	o->mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&en0)));
	o->gw = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&en0)));
	o->up = netif_is_up(&en0);
	o->link = netif_is_link_up(&en0);
	o->dhcp = dhcp_on;
	o->input_frames = in_frames;
	o->input_dropped = in_dropped;
	o->output_frames = out_frames;
	o->output_errors = out_errors;
	counters(&o->link_c, &lwip_stats.link);
	counters(&o->ip_c, &lwip_stats.ip);
	counters(&o->icmp_c, &lwip_stats.icmp);
	counters(&o->udp_c, &lwip_stats.udp);
	counters(&o->tcp_c, &lwip_stats.tcp);
	UNLOCK_TCPIP_CORE();
	return E_OK;
}

int
net_parse_ip(const char *s, uint32_t *ip)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return E_INVAL;
		unsigned n = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			n = n * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (n > 255 || digits > 3)
			return E_INVAL;
		v = v << 8 | n;
		if (i < 3 && *s++ != '.')
			return E_INVAL;
	}
	if (*s)
		return E_INVAL;
	*ip = v;
	return E_OK;
}

const char *
net_ip_str(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
	return buf;
}

EXPORT_APP(net_up);
EXPORT_APP(net_release_nic);
EXPORT_APP(net_inject_fault);
EXPORT_APP(net_up_static);
EXPORT_APP(net_is_up);
EXPORT_APP(net_info);
EXPORT_APP(net_ping);
EXPORT_APP(net_parse_ip);
EXPORT_APP(net_ip_str);
