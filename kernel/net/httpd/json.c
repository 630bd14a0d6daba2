/*
 * json.c: the JSON documents httpd serves (httpd_render), built into a
 * growing heap buffer.
 */
#include "httpd.h"
#include "httpd_int.h"
#include "cell_mgr.h"
#include "exceptions.h"
#include "fmt.h"
#include "frame_alloc.h"
#include "heap.h"
#include "klibc.h"
#include "memory.h"
#include "netif.h"
#include "page_alloc.h"
#include "task.h"
#include "tsc.h"

void
out_drop(struct out *o)
{
	kfree(o->p);
	o->p = NULL;
}

static bool
out_room(struct out *o, size_t n)
{
	if (o->oom)
		return false;
	if (o->len + n + 1 <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + n + 1)
		cap *= 2;
	char *p = kmalloc(cap);
	if (!p) {
		o->oom = true;
		return false;
	}
	if (o->p)
		memcpy(p, o->p, o->len);
	kfree(o->p);
	o->p = p;
	o->cap = cap;
	return true;
}

void
out_put(struct out *o, const char *s, size_t n)
{
	if (!out_room(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = 0;
}

void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !out_room(o, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(o->p + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

/* a JSON string: quotes, backslashes and control characters escaped */
static void
str(struct out *o, const char *s)
{
	out_put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			out_printf(o, "\\%c", c);
		else if (c < 32 || c > 126)
			out_printf(o, "\\u%04x", c);
		else
			out_put(o, (const char *)&c, 1);
	}
	out_put(o, "\"", 1);
}

struct use {
	const struct cell *to;
	size_t edges;
};

static void
cell_json(struct out *o, const struct cell *c, bool first)
{
	out_printf(o, "%s{\"name\":", first ? "" : ",\n");
	str(o, c->name);
	out_printf(o, ",\"ns\":");
	str(o, cell_ns_name(c->ns));
	out_printf(o, ",\"app\":%s,\"nano_core\":%s,\"text\":%lu,\"rodata\":%lu,\"data\":%lu,\"sections\":%zu,"
		   "\"load_us\":%lu,\"declared\":[",
		   c->is_app ? "true" : "false", c->nano_core ? "true" : "false", c->size[REGION_TEXT],
		   c->size[REGION_RODATA], c->size[REGION_DATA], c->nsections, c->load_ns / 1000);
	const char *it = NULL, *d;
	bool f = true;
	while ((d = cell_declared_next(c, &it))) {
		if (!f)
			out_put(o, ",", 1);
		str(o, d);
		f = false;
	}
	out_printf(o, "],\"uses\":[");
	enum { MAXU = 96 };
	struct use u[MAXU];
	size_t nu = 0;
	for (size_t i = 0; i < c->nsections; i++)
		for (const struct cell_dep *e = c->sections[i].deps_out; e; e = e->next_out) {
			const struct cell *to = e->to->cell;
			if (to == c)
				continue;
			size_t k = 0;
			while (k < nu && u[k].to != to)
				k++;
			if (k == nu) {
				if (nu == MAXU)
					continue;
				u[nu++] = (struct use){ to, 0 };
			}
			u[k].edges++;
		}
	for (size_t k = 0; k < nu; k++) {
		out_printf(o, "%s{\"cell\":", k ? "," : "");
		str(o, u[k].to->name);
		out_printf(o, ",\"edges\":%zu}", u[k].edges);
	}
	out_printf(o, "]}");
}

static void
cells_json(struct out *o)
{
	_cleanup_(cell_mgr_unlockp) void *g = cell_mgr_lock();
	out_printf(o, "[");
	bool first = true;
	struct cell_ns *nss[] = { cell_ns_kernel(), cell_ns_apps() };
	for (size_t n = 0; n < 2; n++)
		for (struct cell *c = cell_ns_first(nss[n]); c; c = c->next) {
			if (c->magic != CELL_MAGIC)
				continue;
			cell_json(o, c, first);
			first = false;
		}
	out_printf(o, "]\n");
}

static void
tasks_json(struct out *o)
{
	enum { MAXT = 256 };
	_cleanup_(kfreep) struct task_info *t = kmalloc(MAXT * sizeof(*t));
	if (!t) {
		o->oom = true;
		return;
	}
	size_t n = task_list(t, MAXT);
	out_printf(o, "[");
	for (size_t i = 0; i < n && i < MAXT; i++) {
		out_printf(o, "%s{\"id\":%u,\"name\":", i ? ",\n" : "", t[i].id);
		str(o, t[i].name);
		out_printf(o, ",\"state\":\"%s\",\"cpu\":%d,\"pin\":%d,\"cell\":", runstate_str(t[i].state), t[i].cpu,
			   t[i].pin);
		str(o, t[i].cell ? t[i].cell : "");
		out_printf(o, ",\"run_ms\":%lu}", t[i].runtime_ns / 1000000);
	}
	out_printf(o, "]\n");
}

static void
faults_json(struct out *o)
{
	enum { MAXF = 64 };
	_cleanup_(kfreep) struct fault_record *r = kmalloc(MAXF * sizeof(*r));
	if (!r) {
		o->oom = true;
		return;
	}
	size_t n = fault_log_read(r, MAXF, 0);
	out_printf(o, "[");
	for (size_t i = 0; i < n; i++) {
		out_printf(o, "%s{\"seq\":%lu,\"time_ms\":%lu,\"cpu\":%u,\"task\":", i ? ",\n" : "", r[i].seq,
			   r[i].time_ns / 1000000, r[i].cpu);
		str(o, r[i].task);
		out_printf(o, ",\"task_id\":%u,\"what\":", r[i].task_id);
		str(o, exc_name(r[i].vector));
		out_printf(o, ",\"rip\":\"%#lx\",\"cell\":", r[i].rip);
		str(o, r[i].cell);
		out_printf(o, ",\"section\":");
		str(o, r[i].section);
		out_printf(o, ",\"msg\":");
		str(o, r[i].msg);
		out_printf(o, ",\"action\":");
		str(o, r[i].action);
		out_printf(o, "}");
	}
	out_printf(o, "]\n");
}

static void
memory_json(struct out *o)
{
	struct frame_stats f;
	struct page_stats p;
	struct heap_stats h;
	struct mm_usage u;
	frame_stats(&f);
	page_stats(&p);
	heap_stats(&h);
	mm_usage(&u);
	out_printf(o, "{\"frames\":{\"ram\":%lu,\"used\":%lu,\"free\":%lu,\"reserved_free\":%lu,\"metadata\":%lu,"
		   "\"device\":%lu},\n",
		   f.ram, f.ram - f.free - f.raw, f.free, f.reserved_free, f.raw, f.device);
	out_printf(o, "\"pages\":{\"free_code\":%lu,\"free_any\":%lu,\"metadata\":%lu},\n", p.free_code, p.free_any,
		   p.raw);
	out_printf(o, "\"mapped\":{\"mappings\":%lu,\"frame_objects\":%lu,\"page_objects\":%lu},\n", u.mapped,
		   u.frame_objs, u.page_objs);
	out_printf(o, "\"heap\":{\"bytes\":%lu,\"objects\":%lu,\"slabs\":%lu,\"large\":%lu,\"mapped\":%lu,"
		   "\"allocs\":%lu,\"frees\":%lu}}\n",
		   h.bytes_in_use, h.objects, h.slabs, h.large, h.mapped_bytes, h.allocs, h.frees);
}

static void
counters(struct out *o, const char *name, const struct net_counters *c, bool last)
{
	out_printf(o, "\"%s\":{\"tx\":%lu,\"rx\":%lu,\"drop\":%lu,\"err\":%lu}%s", name, c->xmit, c->recv, c->drop,
		   c->err, last ? "" : ",");
}

static void
net_json(struct out *o)
{
	struct net_info i;
	if (net_info(&i)) {
		out_printf(o, "{\"up\":false}\n");
		return;
	}
	char a[16], m[16], g[16];
	out_printf(o, "{\"name\":\"%s\",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"ip\":\"%s\",\"mask\":\"%s\","
		   "\"gateway\":\"%s\",\"up\":%s,\"link\":%s,\"dhcp\":%s,\"frames_in\":%lu,\"frames_out\":%lu,"
		   "\"counters\":{",
		   i.name, i.mac[0], i.mac[1], i.mac[2], i.mac[3], i.mac[4], i.mac[5], net_ip_str(i.ip, a),
		   net_ip_str(i.mask, m), net_ip_str(i.gw, g), i.up ? "true" : "false", i.link ? "true" : "false",
		   i.dhcp ? "true" : "false", i.input_frames, i.output_frames);
	counters(o, "link", &i.link_c, false);
	counters(o, "ip", &i.ip_c, false);
	counters(o, "icmp", &i.icmp_c, false);
	counters(o, "udp", &i.udp_c, false);
	counters(o, "tcp", &i.tcp_c, true);
	out_printf(o, "}}\n");
}

int
httpd_render(const char *path, char **body, size_t *len, const char **type)
{
	struct out o = { 0 };
	*type = "application/json";
	if (!strcmp(path, "/cells"))
		cells_json(&o);
	else if (!strcmp(path, "/tasks"))
		tasks_json(&o);
	else if (!strcmp(path, "/faults"))
		faults_json(&o);
	else if (!strcmp(path, "/memory"))
		memory_json(&o);
	else if (!strcmp(path, "/net"))
		net_json(&o);
	else if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
		*type = "text/html; charset=utf-8";
		out_put(&o, httpd_page, strlen(httpd_page));
	} else
		return E_NOENT;
	if (o.oom || !o.p) {
		out_drop(&o);
		return E_NOMEM;
	}
	*body = o.p;
	*len = o.len;
	return E_OK;
}
