/*
 * evolve.c: the evolution task - the COM2 protocol (see evolve.h) and
 * applying a manifest: check everything first (objects valid, every
 * swapped-in cell uploaded, namespaces and removed modules exist), then
 * one cell_swap per namespace (each all-or-nothing), then stage the new
 * objects as modules and remove the dropped ones.
 */
#define LOG_TAG "evolve"
#include "evolve.h"
#include "cell_mgr.h"
#include "elf.h"
#include "fmt.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "multiboot2.h"
#include "task.h"

#define MAX_OBJ 48
#define MAX_SWAP 4
#define MAX_REMOVE 8
#define MAX_OBJ_SIZE (4u << 20)
#define BYTE_TIMEOUT_NS 10000000000ull /* 10 s without a byte mid-manifest */

struct evo_obj {
	char name[32];
	void *data; /* owned until staged */
	size_t size;
	bool app;
};

struct evo_swap {
	char ns[16], olds[200], news[200], transfers[200];
};

struct manifest {
	struct evo_obj obj[MAX_OBJ];
	size_t nobj;
	struct evo_swap swap[MAX_SWAP];
	size_t nswap;
	char remove[MAX_REMOVE][32];
	size_t nremove;
	uint32_t probation_ms; /* PROBATION: the swaps' new cells on probation */
};

static void
manifest_drop(struct manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nobj; i++)
		kfree(m->obj[i].data);
	kfree(m);
}
DEFINE_DROP(struct manifest, manifest_drop)

/* a report line, to the host and on the console */
#define say(l, ...) do { link_printf(l, __VA_ARGS__); link_printf(l, "\n"); log_info(__VA_ARGS__); } while (0)

/* split at spaces in place; returns the word count */
static size_t
words(char *s, char **w, size_t max)
{
	size_t n = 0;
	while (*s && n < max) {
		while (*s == ' ')
			*s++ = '\0';
		if (!*s)
			break;
		w[n++] = s;
		while (*s && *s != ' ')
			s++;
	}
	return n;
}

/* s for a message: printable ASCII as it is, any other byte as \xNN, at
 * most 40 bytes of s (junk on the link is never echoed raw) */
static const char *
shown(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, i = 0;
	for (; s[i] && i < 40 && n + 5 < outsz; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c >= 0x20 && c < 0x7f) {
			out[n++] = (char)c;
		} else {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (s[i] && n + 4 < outsz)
		out[n++] = '.', out[n++] = '.', out[n++] = '.';
	out[n] = '\0';
	return out;
}

/* only printable ASCII: a manifest line, not junk */
static bool
is_text(const char *s)
{
	for (; *s; s++)
		if ((uint8_t)*s < 0x20 || (uint8_t)*s >= 0x7f)
			return false;
	return true;
}

static size_t
str_split_commas(char *s, const char **out, size_t max)
{
	return str_split(s, ',', out, max);
}

static void
inventory(struct link *l)
{
	enum { MAX_MODS = 256 };
	_cleanup_(kfreep) const char **mods = kmalloc(MAX_MODS * sizeof(*mods)); /* two links may ask at once */
	size_t n = mods ? cell_modules(mods, MAX_MODS) : 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t h;
		if (!cell_module_hash(mods[i], &h))
			link_printf(l, "MODULE %s %016lx %d\n", mods[i], h, cell_module_is_app(mods[i]));
	}
	struct cell_ns *nss[] = { cell_ns_kernel(), cell_ns_apps() };
	for (size_t k = 0; k < ARRAY_SIZE(nss); k++)
		for (struct cell *c = cell_ns_first(nss[k]); c; c = c->next)
			link_printf(l, "CELL %s %s %016lx %d\n", cell_ns_name(nss[k]), c->name, c->obj_hash,
				    c->nano_core);
	link_printf(l, "END\n");
}

static struct evo_obj *
find_obj(struct manifest *m, const char *name)
{
	return FIND_NAMED(m->obj, m->nobj, name);
}

/* OBJECT name size hash app, then the bytes */
static int
receive_object(struct link *l, struct manifest *m, char **w, size_t nw, char *why, size_t whysz)
{
	uint64_t size, hash, app;
	if (nw != 5 || str_to_u64(w[2], 10, MAX_OBJ_SIZE, &size) || str_to_u64(w[3], 16, UINT64_MAX, &hash) ||
	    str_to_u64(w[4], 10, 1, &app)
	    || strlen(w[1]) >= sizeof(m->obj[0].name) || !*w[1]) {
		snprintf(why, whysz, "malformed OBJECT line");
		return E_INVAL;
	}
	if (!size || size > MAX_OBJ_SIZE || m->nobj == MAX_OBJ || find_obj(m, w[1])) {
		snprintf(why, whysz, "OBJECT %s: bad size, too many objects or sent twice", w[1]);
		return E_INVAL;
	}
	_cleanup_(kfreep) void *data = kmalloc(size);
	if (!data) {
		snprintf(why, whysz, "OBJECT %s: out of memory for %lu bytes", w[1], size);
		return E_NOMEM;
	}
	if (!link_read_bytes(l, data, size, BYTE_TIMEOUT_NS)) {
		snprintf(why, whysz, "OBJECT %s: the host stopped sending", w[1]);
		return E_TIMEDOUT;
	}
	if (fnv1a(data, size) != hash) {
		snprintf(why, whysz, "OBJECT %s: content hash mismatch (damaged in transfer)", w[1]);
		return E_FORMAT;
	}
	struct elf_obj o;
	struct elf_error ee;
	if (elf_parse(data, size, &o, &ee)) {
		snprintf(why, whysz, "OBJECT %s: not a valid cell: %s", w[1], ee.msg);
		return E_FORMAT;
	}
	struct evo_obj *e = &m->obj[m->nobj++];
	strlcpy(e->name, w[1], sizeof(e->name));
	e->data = TAKE_PTR(data);
	e->size = size;
	e->app = app != 0;
	return E_OK;
}

static struct cell_ns *
ns_named(const char *name)
{
	if (!strcmp(name, cell_ns_name(cell_ns_kernel())))
		return cell_ns_kernel();
	if (!strcmp(name, cell_ns_name(cell_ns_apps())))
		return cell_ns_apps();
	return NULL;
}

/* everything the manifest names exists, before anything changes */
static int
check(struct manifest *m, char *why, size_t whysz)
{
	for (size_t i = 0; i < m->nswap; i++) {
		struct evo_swap *s = &m->swap[i];
		if (!ns_named(s->ns)) {
			snprintf(why, whysz, "SWAP: no namespace %s", s->ns);
			return E_NOENT;
		}
		char copy[sizeof(s->news)];
		strlcpy(copy, s->news, sizeof(copy));
		const char *names[SWAP_MAX];
		size_t n = str_split_commas(copy, names, SWAP_MAX);
		for (size_t k = 0; k < n; k++)
			if (!find_obj(m, names[k])) {
				snprintf(why, whysz, "SWAP names new cell %s but no OBJECT %s was sent", names[k],
					 names[k]);
				return E_NOENT;
			}
	}
	for (size_t i = 0; i < m->nremove; i++) {
		uint64_t h;
		if (cell_module_hash(m->remove[i], &h)) {
			snprintf(why, whysz, "REMOVE %s: no such module", m->remove[i]);
			return E_NOENT;
		}
	}
	return E_OK;
}

/* the newest commit an evolution made (STATUS last): the newest commit in
 * the history labelled "evolve", among the 16 newest (not a variable here:
 * an evolution that swaps this cell gets its commit id after its state was
 * carried into the new copy) */
static uint32_t
last_commit(void)
{
	enum { LOOK = 16 };
	_cleanup_(kfreep) struct commit_info *c = kmalloc(LOOK * sizeof(*c));
	size_t n = c ? cell_commits(NULL, c, LOOK) : 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].label, "evolve"))
			return c[i].id;
	return 0;
}

static int
apply_swap(struct link *l, struct manifest *m, struct evo_swap *s, char *why, size_t whysz)
{
	struct swap_request rq = { .ns = ns_named(s->ns) };
	char olds[sizeof(s->olds)], news[sizeof(s->news)], tr[sizeof(s->transfers)];
	strlcpy(olds, s->olds, sizeof(olds));
	strlcpy(news, s->news, sizeof(news));
	strlcpy(tr, s->transfers, sizeof(tr));
	rq.nold = str_split_commas(olds, rq.old, SWAP_MAX);
	rq.nnew = str_split_commas(news, rq.new_names, SWAP_MAX);
	for (size_t k = 0; k < rq.nnew; k++) {
		struct evo_obj *o = find_obj(m, rq.new_names[k]);
		if (!o) { /* check() saw to it; kept for the analyzer */
			snprintf(why, whysz, "SWAP names new cell %s but no OBJECT was sent", rq.new_names[k]);
			return E_NOENT;
		}
		rq.new_images[k] = o->data;
		rq.new_sizes[k] = o->size;
	}
	if (strcmp(tr, "-"))
		rq.ntransfer = str_split_commas(tr, rq.transfer, SWAP_MAX);
	rq.probation_ms = m->probation_ms;
	rq.label = "evolve";
	struct swap_times t;
	struct cell_error ce;
	int err = cell_swap(&rq, &t, &ce);
	if (err) {
		snprintf(why, whysz, "%s", ce.msg);
		return err;
	}
	say(l, "swapped in %s: %s -> %s (%zu relocations rewritten, %zu data sections carried; pause %lu us, total %lu us)",
	    s->ns, s->olds, s->news, t.relocs, t.data_copied, t.pause / 1000, t.total / 1000);
	say(l, "stages: load %lu verify %lu quiesce %lu rewrite %lu deps %lu transfer %lu cleanup %lu pause %lu total %lu us",
	    t.load / 1000, t.verify / 1000, t.quiesce / 1000, t.rewrite / 1000, t.deps / 1000, t.transfer / 1000,
	    t.cleanup / 1000, t.pause / 1000, t.total / 1000);
	if (t.restarted)
		say(l, "%zu task(s) restarted into the new code", t.restarted);
	if (t.stale)
		say(l, "still running the old code (not restartable): %s", t.stale_names);
	if (t.commit)
		say(l, "commit #%u%s", t.commit, m->probation_ms ? ", on probation (STATUS tells how it ends)" : "");
	return E_OK;
}

/* is o the new cell of one of the manifest's swaps? */
static bool
swapped_in(struct manifest *m, const struct evo_obj *o)
{
	for (size_t i = 0; i < m->nswap; i++) {
		char copy[sizeof(m->swap[i].news)];
		strlcpy(copy, m->swap[i].news, sizeof(copy));
		const char *names[SWAP_MAX];
		size_t n = str_split_commas(copy, names, SWAP_MAX);
		for (size_t k = 0; k < n; k++)
			if (!strcmp(names[k], o->name))
				return true;
	}
	return false;
}

/* load the objects to be staged (not those a swap loads: cell_swap checks
 * them) into scratch namespaces below the ones they will load into -
 * kernel cells below `kernel`, apps below those - and unload them: an
 * object that would not link is refused now, not at its first use */
static int
link_check(struct manifest *m, char *why, size_t whysz)
{
	const char *names[2][MAX_OBJ];
	const void *images[2][MAX_OBJ];
	size_t sizes[2][MAX_OBJ], n[2] = { 0, 0 };
	for (size_t i = 0; i < m->nobj; i++) {
		struct evo_obj *o = &m->obj[i];
		if (swapped_in(m, o))
			continue;
		size_t k = o->app;
		names[k][n[k]] = o->name;
		images[k][n[k]] = o->data;
		sizes[k][n[k]++] = o->size;
	}
	if (!n[0] && !n[1])
		return E_OK;
	struct cell_ns *kns = cell_ns_create("evolve-check", cell_ns_kernel(), false);
	struct cell_ns *ans = kns ? cell_ns_create("evolve-check-apps", kns, true) : NULL;
	struct cell_error ce = { "" };
	int err = ans ? E_OK : E_NOMEM;
	if (!err && n[0])
		err = cell_load_batch(kns, names[0], images[0], sizes[0], n[0], &ce);
	if (!err && n[1])
		err = cell_load_batch(ans, names[1], images[1], sizes[1], n[1], &ce);
	struct cell_error de;
	if (ans && cell_ns_destroy(ans, &de))
		log_warn("evolve: link check: %s", de.msg);
	if (kns && cell_ns_destroy(kns, &de))
		log_warn("evolve: link check: %s", de.msg);
	if (err == E_NOMEM && !ce.msg[0])
		snprintf(ce.msg, sizeof(ce.msg), "out of memory for the check");
	if (err)
		snprintf(why, whysz, "a staged cell would not load: %s; nothing changed", ce.msg);
	return err;
}

static int
apply(struct link *l, struct manifest *m, char *why, size_t whysz)
{
	int err = check(m, why, whysz);
	if (!err)
		err = link_check(m, why, whysz);
	if (err)
		return err;
	for (size_t i = 0; i < m->nswap; i++) {
		err = apply_swap(l, m, &m->swap[i], why, whysz);
		if (err)
			return err; /* this swap changed nothing; earlier ones stand */
	}
	for (size_t i = 0; i < m->nobj; i++) {
		struct evo_obj *o = &m->obj[i];
		err = cell_module_set(o->name, o->data, o->size, o->app);
		if (err) {
			snprintf(why, whysz, "staging %s: %s", o->name, err_str(err));
			return err;
		}
		o->data = NULL; /* the module table owns it now */
		say(l, "staged %s (%zu bytes): later loads use the new object", o->name, o->size);
	}
	for (size_t i = 0; i < m->nremove; i++) {
		const char *name = m->remove[i];
		struct cell_ns *nss[] = { cell_ns_apps(), cell_ns_kernel() };
		for (size_t k = 0; k < ARRAY_SIZE(nss); k++) {
			struct cell *c = cell_find(nss[k], name);
			struct cell_error ce;
			if (c && cell_unload(&c, 1, &ce)) {
				snprintf(why, whysz, "REMOVE %s: %s", name, ce.msg);
				return E_BUSY;
			}
		}
		err = cell_module_remove(name);
		if (err) {
			snprintf(why, whysz, "REMOVE %s: %s", name, err_str(err));
			return err;
		}
		say(l, "removed %s", name);
	}
	return E_OK;
}

/* one manifest, from BEGIN to COMMIT/ABORT */
static void
session(struct link *l)
{
	_cleanup_(manifest_drop_p) struct manifest *m = KNEW(struct manifest);
	char why[200] = "";
	int err = m ? E_OK : E_NOMEM;
	if (!m)
		snprintf(why, sizeof(why), "out of memory");
	char *line = l->scratch;
	while (link_read_line(l, line, sizeof(l->scratch), BYTE_TIMEOUT_NS)) {
		char shown_buf[200];
		if (!err && !is_text(line)) {
			err = E_FORMAT;
			snprintf(why, sizeof(why), "a manifest line holds non-text bytes: '%s'",
				 shown(line, shown_buf, sizeof(shown_buf)));
			continue;
		}
		char *w[8];
		size_t nw = words(line, w, ARRAY_SIZE(w));
		if (!nw)
			continue;
		if (!strcmp(w[0], "ABORT")) {
			link_printf(l, "DONE ERR aborted by the host; nothing changed\n");
			return;
		}
		if (!strcmp(w[0], "COMMIT")) {
			if (!err)
				err = apply(l, m, why, sizeof(why));
			if (err) {
				link_printf(l, "DONE ERR %s\n", why);
				log_warn("evolution failed: %s", why);
			} else {
				link_printf(l, "DONE OK\n");
				log_info("evolution applied");
			}
			return;
		}
		if (err)
			continue; /* read the rest of the manifest, then report */
		if (!strcmp(w[0], "OBJECT")) {
			err = receive_object(l, m, w, nw, why, sizeof(why));
			if (err == E_TIMEDOUT)
				break; /* the host stopped in the middle of an object */
		} else if (!strcmp(w[0], "SWAP") && nw == 5 && m->nswap < MAX_SWAP) {
			struct evo_swap *s = &m->swap[m->nswap++];
			strlcpy(s->ns, w[1], sizeof(s->ns));
			strlcpy(s->olds, w[2], sizeof(s->olds));
			strlcpy(s->news, w[3], sizeof(s->news));
			strlcpy(s->transfers, w[4], sizeof(s->transfers));
		} else if (!strcmp(w[0], "PROBATION") && nw == 2) {
			uint64_t ms;
			if (str_to_u64(w[1], 10, 3600000, &ms)) {
				err = E_INVAL;
				snprintf(why, sizeof(why), "PROBATION takes milliseconds (at most an hour)");
			}
			m->probation_ms = err ? 0 : (uint32_t)ms;
		} else if (!strcmp(w[0], "REMOVE") && nw == 2 && m->nremove < MAX_REMOVE) {
			strlcpy(m->remove[m->nremove++], w[1], sizeof(m->remove[0]));
		} else {
			err = E_INVAL;
			snprintf(why, sizeof(why), "unknown or malformed manifest line '%s' (or too many of them)",
				 shown(w[0], shown_buf, sizeof(shown_buf)));
		}
	}
	/* every upload gets an answer, even one cut short */
	char cut[260];
	snprintf(cut, sizeof(cut), "the manifest was cut short (%s); nothing changed",
		 err ? why : "no COMMIT within 10 s");
	link_printf(l, "DONE ERR %s\n", cut);
	log_warn("evolution failed: %s", cut);
}

/* STATUS id|last: how a commit went (a probation ends committed or rolled back) */
static void
status(struct link *l, const char *arg)
{
	uint64_t id;
	_cleanup_(kfreep) struct commit_info *ci = KNEW(struct commit_info);
	cell_probation_tick();
	if (!strcmp(arg, "last"))
		id = last_commit();
	else if (str_to_u64(arg, 10, UINT32_MAX, &id))
		id = 0;
	if (!ci) {
		link_printf(l, "DONE ERR out of memory\n");
		return;
	}
	if (!id || cell_commit_get((uint32_t)id, ci)) {
		link_printf(l, "DONE ERR no commit '%s' in the history\n", arg);
		return;
	}
	link_printf(l, "COMMIT %u %s %s\n", ci->id, ci->outcome == COMMIT_PROBATION ? "probation"
					    : ci->outcome == COMMIT_ROLLED_BACK ? "rolled-back" : "committed",
		    ci->note[0] ? ci->note : "-");
	if (ci->outcome == COMMIT_ROLLED_BACK)
		link_printf(l, "ROLLBACK load %lu verify %lu quiesce %lu rewrite %lu deps %lu transfer %lu cleanup %lu pause %lu total %lu us\n",
			    ci->back.load / 1000, ci->back.verify / 1000, ci->back.quiesce / 1000, ci->back.rewrite / 1000,
			    ci->back.deps / 1000, ci->back.transfer / 1000, ci->back.cleanup / 1000, ci->back.pause / 1000,
			    ci->back.total / 1000);
	link_printf(l, "DONE OK\n");
}

/* Kills wait until the answer is sent: a swap of this cell restarts the
 * task serving the request into the new copy, when the request is done.
 * The two links may serve requests at once: each session owns its
 * manifest, cell_swap and the module table lock for themselves (no lock
 * here: a held one would be carried locked into the new copy) */

void
evolve_serve(struct link *l, char *line)
{
	task_shield_kills();
	if (!strcmp(line, "HELLO"))
		inventory(l);
	else if (!strcmp(line, "BEGIN"))
		session(l);
	else if (!strncmp(line, "STATUS ", 7))
		status(l, line + 7);
	else if (line[0]) {
		char buf[200];
		link_printf(l, "DONE ERR unknown request '%s' (HELLO, BEGIN or STATUS id)\n",
			    shown(line, buf, sizeof(buf)));
	}
	task_unshield_kills();
}

static struct link com2; /* s == NULL: COM2 */

uint64_t
evolve_task(uint64_t unused)
{
	static char line[256];
	/* a long-lived system task: it promises progress; waiting for the
	 * host, reading and serving are each bounded (link.c) */
	task_progress_period(EVOLVE_PROMISE_NS);
	for (;;)
		if (link_read_line(&com2, line, sizeof(line), 0))
			evolve_serve(&com2, line);
	return 0;
}

void
evolve_start(const char *cmdline)
{
	if (mb2_cmdline_has(cmdline, "evolve-tcp"))
		evolve_net_start();
	if (!link_com2_init()) {
		/* absent devices cost nothing: no task polls a missing UART */
		log_info("no UART on COM2: no evolution link (make run provides one)");
		return;
	}
	int err;
	struct task_builder b = TASK_BUILDER(evolve_task, (uint64_t)0);
	b.name = "evolve";
	b.restartable = true;
	b.system = true;
	struct task *t = task_spawn(&b, &err);
	if (!t) {
		log_err("no evolution task: %s", err_str(err));
		return;
	}
	task_unref(t);
	log_info("evolution link on COM2: make evolve sends changed cells here");
}
