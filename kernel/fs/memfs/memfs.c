/*
 * memfs.c: see memfs.h. One blocking mutex per mount guards its nodes.
 */
#define LOG_TAG "memfs"
#include "memfs.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "sync.h"

#define MEMFS_MAGIC 0x6d656d66u
#define PAGE 4096UL

struct ment {
	char *name;           /* owned */
	uint32_t idx;
};

struct mnode {
	uint32_t kind;
	uint64_t size;
	struct mapped_pages *data;   /* a file's bytes (NULL while empty) */
	struct ment *ents;           /* a directory's entries (owned) */
	uint32_t nents, cap;
};

struct memfs {
	uint32_t magic;
	struct mutex lock;
	struct mnode **nodes;        /* by index; NULL: free */
	uint32_t *gens;              /* bumped when a node is freed */
	uint32_t cap;
};

static struct memfs *
fs_of(void *mnt)
{
	struct memfs *m = mnt;
	return m && m->magic == MEMFS_MAGIC ? m : NULL;
}

static struct fs_node
name_of(struct memfs *m, uint32_t idx)
{
	return (struct fs_node){ .id = ((uint64_t)m->gens[idx] << 32) | idx };
}

/* the live node a handle names, or NULL (removed: the generation moved) */
static struct mnode *
node(struct memfs *m, const struct fs_node *n)
{
	uint32_t idx = (uint32_t)n->id, gen = (uint32_t)(n->id >> 32);
	if (idx >= m->cap || !m->nodes[idx] || m->gens[idx] != gen)
		return NULL;
	return m->nodes[idx];
}

static void
node_free(struct mnode *x)
{
	if (!x)
		return;
	mp_drop_p(&x->data);
	for (uint32_t i = 0; i < x->nents; i++)
		kfree(x->ents[i].name);
	kfree(x->ents);
	kfree(x);
}

/* (the analyzer and stores into the mount: see ent_room) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"

/* a new node of `kind`; its index in *idx */
static int
node_new(struct memfs *m, uint32_t kind, uint32_t *idx)
{
	uint32_t i = 0;
	while (i < m->cap && m->nodes[i])
		i++;
	if (i == m->cap) {
		uint32_t nc = m->cap ? m->cap * 2 : 64;
		_cleanup_(kfreep) struct mnode **nn = kzalloc(nc * sizeof(*nn));
		_cleanup_(kfreep) uint32_t *ng = kzalloc(nc * sizeof(*ng));
		if (!nn || !ng)
			return E_NOMEM;
		if (m->cap) {
			memcpy(nn, m->nodes, m->cap * sizeof(*nn));
			memcpy(ng, m->gens, m->cap * sizeof(*ng));
		}
		kfree(m->nodes);
		kfree(m->gens);
		m->nodes = TAKE_PTR(nn);
		m->gens = TAKE_PTR(ng);
		m->cap = nc;
	}
	struct mnode *x = KNEW(struct mnode);
	if (!x)
		return E_NOMEM;
	x->kind = kind;
	m->nodes[i] = x;
	*idx = i;
	return E_OK;
}

#pragma GCC diagnostic pop

static void
node_drop(struct memfs *m, uint32_t idx)
{
	node_free(m->nodes[idx]);
	m->nodes[idx] = NULL;
	m->gens[idx]++;
}

static void
stat_of(const struct mnode *x, struct fs_stat *st)
{
	*st = (struct fs_stat){ .size = x->kind == FS_DIR ? x->nents : x->size, .kind = x->kind };
}

int
memfs_mount(const char *dev, const char *opts, void **mnt, struct fs_node *root)
{
	(void)opts;
	if (dev && *dev)
		return E_INVAL; /* memory, not a device */
	_cleanup_(kfreep) struct memfs *m = KNEW(struct memfs);
	if (!m)
		return E_NOMEM;
	mutex_init(&m->lock);
	uint32_t idx;
	int err = node_new(m, FS_DIR, &idx);
	if (err) {
		kfree(m->nodes);
		kfree(m->gens);
		return err;
	}
	m->magic = MEMFS_MAGIC;
	*root = name_of(m, idx);
	*mnt = TAKE_PTR(m);
	return E_OK;
}

int
memfs_unmount(void *mnt)
{
	struct memfs *m = fs_of(mnt);
	if (!m)
		return E_INVAL;
	for (uint32_t i = 0; i < m->cap; i++)
		node_free(m->nodes[i]);
	kfree(m->nodes);
	kfree(m->gens);
	m->magic = 0;
	kfree(m);
	return E_OK;
}

static struct ment *
find(struct mnode *d, const char *name)
{
	for (uint32_t i = 0; i < d->nents; i++)
		if (!strcmp(d->ents[i].name, name))
			return &d->ents[i];
	return NULL;
}

/* the mount's state, its lock taken into *g, and the node n names: E_NOENT
 * if it is gone; kind FS_DIR: it must be a directory (E_NOTDIR), FS_FILE:
 * a file (E_ISDIR), 0: either */
static int
locked(void *mnt, const struct fs_node *n, uint32_t kind, struct memfs **m, struct mnode **x, struct guard *g)
{
	*m = fs_of(mnt);
	if (!*m)
		return E_INVAL;
	*g = mutex_lock(&(*m)->lock);
	*x = node(*m, n);
	if (!*x)
		return E_NOENT;
	if (kind == FS_DIR && (*x)->kind != FS_DIR)
		return E_NOTDIR;
	if (kind == FS_FILE && (*x)->kind == FS_DIR)
		return E_ISDIR;
	return E_OK;
}

int
memfs_lookup(void *mnt, const struct fs_node *dir, const char *name, struct fs_node *out, struct fs_stat *st)
{
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *d;
	int err = locked(mnt, dir, FS_DIR, &m, &d, &g);
	if (err)
		return err;
	struct ment *e = find(d, name);
	if (!e)
		return E_NOENT;
	*out = name_of(m, e->idx);
	stat_of(m->nodes[e->idx], st);
	return E_OK;
}

int
memfs_readdir(void *mnt, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out)
{
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *d;
	int err = locked(mnt, dir, FS_DIR, &m, &d, &g);
	if (err)
		return err;
	if (*cookie >= d->nents)
		return E_NOENT;
	struct ment *e = &d->ents[*cookie];
	strlcpy(out->name, e->name, sizeof(out->name));
	out->node = name_of(m, e->idx);
	stat_of(m->nodes[e->idx], &out->st);
	(*cookie)++;
	return E_OK;
}

int
memfs_read(void *mnt, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done)
{
	*done = 0;
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *x;
	int lerr = locked(mnt, n, FS_FILE, &m, &x, &g);
	if (lerr)
		return lerr;
	if (off >= x->size || !len)
		return E_OK;
	size_t k = x->size - off < len ? (size_t)(x->size - off) : len;
	int err;
	const void *p = mp_as(x->data, off, k, &err);
	if (!p)
		return err;
	memcpy(buf, p, k);
	*done = k;
	return E_OK;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"

/* room for `size` bytes, the bytes past x->size zero */
static int
grow(struct mnode *x, uint64_t size)
{
	if (size > MEMFS_FILE_MAX)
		return E_NOSPC;
	size_t have = x->data ? mp_size(x->data) : 0;
	if (size > have) {
		size_t want = have * 2 > size ? have * 2 : size;
		if (want > MEMFS_FILE_MAX)
			want = MEMFS_FILE_MAX;
		int err;
		_cleanup_(mp_drop_p) struct mapped_pages *np = mp_alloc(ZONE_ANY, (want + PAGE - 1) / PAGE, MP_WRITE, &err);
		if (!np)
			return err;
		if (x->size) {
			void *to = mp_as_mut(np, 0, x->size, &err);
			const void *from = mp_as(x->data, 0, x->size, &err);
			if (!to || !from)
				return err;
			memcpy(to, from, x->size);
		}
		mp_drop_p(&x->data);
		x->data = TAKE_PTR(np);
	}
	if (size > x->size) {
		int err;
		void *gap = mp_as_mut(x->data, x->size, size - x->size, &err);
		if (!gap)
			return err;
		memset(gap, 0, size - x->size);
	}
	return E_OK;
}
#pragma GCC diagnostic pop

int
memfs_write(void *mnt, struct fs_node *n, uint64_t off, const void *buf, size_t len, size_t *done)
{
	*done = 0;
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *x;
	int lerr = locked(mnt, n, FS_FILE, &m, &x, &g);
	if (lerr)
		return lerr;
	if (!len)
		return E_OK;
	uint64_t end;
	if (__builtin_add_overflow(off, len, &end))
		return E_INVAL;
	int err = grow(x, end);
	if (err)
		return err;
	void *p = mp_as_mut(x->data, off, len, &err);
	if (!p)
		return err;
	memcpy(p, buf, len);
	if (end > x->size)
		x->size = end;
	*done = len;
	return E_OK;
}

static void
ent_del(struct mnode *d, struct ment *e)
{
	if (!e)
		return;
	kfree(e->name);
	*e = d->ents[--d->nents];
}

int
memfs_remove(void *mnt, const struct fs_node *dir, const char *name)
{
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *d;
	int err = locked(mnt, dir, FS_DIR, &m, &d, &g);
	if (err)
		return err;
	struct ment *e = find(d, name);
	if (!e)
		return E_NOENT;
	struct mnode *x = m->nodes[e->idx];
	if (x->kind == FS_DIR && x->nents)
		return E_NOTEMPTY;
	uint32_t idx = e->idx;
	ent_del(d, e);
	node_drop(m, idx);
	return E_OK;
}

/* a name a directory entry may have */
static int
valid_name(const char *name)
{
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
		return E_INVAL;
	return strlen(name) > FS_NAME_MAX ? E_NAMETOOLONG : E_OK;
}

/* GCC 12's analyzer does not follow a pointer stored into a heap object
 * reached through a parameter (here: into the mount's nodes and their
 * entry arrays, which memfs_unmount frees) and reports leaks that are
 * not ones; see also task/group.c */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"

/* room for one more entry in directory d (its array may move) */
static int
ent_room(struct mnode *d)
{
	if (d->nents < d->cap)
		return E_OK;
	uint32_t nc = d->cap ? d->cap * 2 : 8;
	struct ment *ne = kzalloc(nc * sizeof(*ne));
	if (!ne)
		return E_NOMEM;
	if (d->nents)
		memcpy(ne, d->ents, d->nents * sizeof(*ne));
	kfree(d->ents);
	d->ents = ne;
	d->cap = nc;
	return E_OK;
}

int
memfs_create(void *mnt, const struct fs_node *dir, const char *name, uint32_t kind, struct fs_node *out)
{
	int err = kind != FS_FILE && kind != FS_DIR ? E_INVAL : valid_name(name);
	if (err)
		return err;
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *d;
	err = locked(mnt, dir, FS_DIR, &m, &d, &g);
	if (err)
		return err;
	if (find(d, name))
		return E_EXIST;
	size_t nl = strlen(name) + 1;
	_cleanup_(kfreep) char *copy = kmalloc(nl);
	if (!copy)
		return E_NOMEM;
	memcpy(copy, name, nl);
	uint32_t idx;
	err = ent_room(d);
	if (!err)
		err = node_new(m, kind, &idx);
	if (err)
		return err;
	/* (node_new may have moved the table, not the directory node) */
	d->ents[d->nents++] = (struct ment){ .name = TAKE_PTR(copy), .idx = idx };
	*out = name_of(m, idx);
	return E_OK;
}

int
memfs_rename(void *mnt, const struct fs_node *from_dir, const char *from, const struct fs_node *to_dir, const char *to)
{
	int err = valid_name(to);
	if (err)
		return err;
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *fd, *td;
	err = locked(mnt, from_dir, FS_DIR, &m, &fd, &g);
	if (err)
		return err;
	td = node(m, to_dir);
	if (!td || td->kind != FS_DIR)
		return td ? E_NOTDIR : E_NOENT;
	struct ment *e = find(fd, from), *t = find(td, to);
	if (!e)
		return E_NOENT;
	if (t && t->idx == e->idx)
		return E_OK;
	struct mnode *x = m->nodes[e->idx], *y = t ? m->nodes[t->idx] : NULL;
	if (y && y->kind == FS_DIR && x->kind != FS_DIR)
		return E_ISDIR;
	if (y && y->kind != FS_DIR && x->kind == FS_DIR)
		return E_NOTDIR;
	if (y && y->kind == FS_DIR && y->nents)
		return E_NOTEMPTY;
	size_t nl = strlen(to) + 1;
	_cleanup_(kfreep) char *copy = kmalloc(nl);
	if (!copy)
		return E_NOMEM;
	memcpy(copy, to, nl);
	if (!t && (err = ent_room(td)))
		return err;
	/* commit: nothing below fails (the arrays may have moved: find again) */
	e = find(fd, from);
	if (!e)
		return E_NOENT; /* (cannot be: it was there, under the lock) */
	uint32_t idx = e->idx;
	if (t && (t = find(td, to))) {
		uint32_t old = t->idx;
		kfree(t->name);
		t->name = TAKE_PTR(copy);
		t->idx = idx;
		node_drop(m, old);
	} else {
		td->ents[td->nents++] = (struct ment){ .name = TAKE_PTR(copy), .idx = idx };
	}
	ent_del(fd, find(fd, from));
	return E_OK;
}

#pragma GCC diagnostic pop

int
memfs_truncate(void *mnt, struct fs_node *n, uint64_t size)
{
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *x;
	int lerr = locked(mnt, n, FS_FILE, &m, &x, &g);
	if (lerr)
		return lerr;
	if (size > x->size) {
		int err = grow(x, size);
		if (err)
			return err;
	}
	x->size = size;
	if (!size)
		mp_drop_p(&x->data);
	return E_OK;
}

int
memfs_stat(void *mnt, const struct fs_node *n, struct fs_stat *st)
{
	_cleanup_(guard_drop) struct guard g = { 0 };
	struct memfs *m;
	struct mnode *x;
	int lerr = locked(mnt, n, 0, &m, &x, &g);
	if (lerr)
		return lerr;
	stat_of(x, st);
	return E_OK;
}

int
memfs_sync(void *mnt)
{
	return fs_of(mnt) ? E_OK : E_INVAL; /* nothing below memory */
}

static const struct vfs_fs_ops ops = {
	.name = "memfs",
	.mount = memfs_mount,
	.unmount = memfs_unmount,
	.lookup = memfs_lookup,
	.readdir = memfs_readdir,
	.read = memfs_read,
	.write = memfs_write,
	.create = memfs_create,
	.remove = memfs_remove,
	.rename = memfs_rename,
	.truncate = memfs_truncate,
	.stat = memfs_stat,
	.sync = memfs_sync,
};

void
memfs_start(const char *cmdline)
{
	(void)cmdline;
	int err = vfs_fstype_register(&ops);
	if (err)
		log_err("cannot register: %s", err_str(err));
}

int
memfs_adopt(void)
{
	return vfs_fstype_register(&ops);
}
