/*
 * sysview.c: the tree (directories and their entries) and the contract's
 * functions; gen.c writes the files' text.
 */
#define LOG_TAG "sysview"
#include "sysview_int.h"
#include "cell_mgr.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"

#define SV_MAGIC 0x73797376u

struct sv_mnt {
	uint32_t magic;
};

static bool
ok(void *mnt)
{
	struct sv_mnt *m = mnt;
	return m && m->magic == SV_MAGIC;
}

static const struct {
	const char *name;
	enum sv_kind kind;
} root_ents[] = {
	{ "cells", SV_CELLS }, { "tasks", SV_TASKS }, { "faults", SV_FAULTS },
	{ "namespaces", SV_NAMESPACES }, { "mounts", SV_MOUNTS },
};

int
sysview_mount(const char *dev, const char *opts, void **mnt, struct fs_node *root)
{
	(void)opts;
	if (dev && *dev)
		return E_INVAL;
	struct sv_mnt *m = KNEW(struct sv_mnt);
	if (!m)
		return E_NOMEM;
	m->magic = SV_MAGIC;
	*mnt = m;
	*root = (struct fs_node){ .id = SV_ROOT };
	return E_OK;
}

int
sysview_unmount(void *mnt)
{
	if (!ok(mnt))
		return E_INVAL;
	((struct sv_mnt *)mnt)->magic = 0;
	kfree(mnt);
	return E_OK;
}

static bool
is_dir(const struct fs_node *n)
{
	return n->id == SV_ROOT || n->id == SV_CELLS || n->id == SV_NSDIR;
}

/* a file's text, generated now (kfree t->p) */
static int
generate(const struct fs_node *n, struct text *t)
{
	*t = (struct text){ .cap = SYSVIEW_TEXT_MAX };
	t->p = kmalloc(t->cap);
	if (!t->p)
		return E_NOMEM;
	int err = sv_generate(n, t);
	if (err) {
		kfree(t->p);
		t->p = NULL;
	}
	return err;
}

int
sysview_stat(void *mnt, const struct fs_node *n, struct fs_stat *st)
{
	if (!ok(mnt))
		return E_INVAL;
	*st = (struct fs_stat){ .kind = is_dir(n) ? FS_DIR : FS_FILE, .flags = 0 };
	if (is_dir(n)) {
		if (n->id == SV_NSDIR && !sv_ns(n->a))
			return E_NOENT;
		return E_OK;
	}
	struct text t;
	int err = generate(n, &t);
	if (err)
		return err;
	st->size = t.len;
	kfree(t.p);
	return E_OK;
}

static int
cell_node(uint64_t nsi, const char *name, struct fs_node *out)
{
	struct cell_ns *ns = sv_ns(nsi);
	_cleanup_(cell_read_endp) bool rd = cell_read_beginp();
	struct cell *c = ns ? cell_find(ns, name) : NULL;
	if (!c)
		return E_NOENT;
	*out = (struct fs_node){ .id = SV_CELL, .a = nsi, .b = c->gen };
	return E_OK;
}

int
sysview_lookup(void *mnt, const struct fs_node *dir, const char *name, struct fs_node *out, struct fs_stat *st)
{
	if (!ok(mnt))
		return E_INVAL;
	if (!is_dir(dir))
		return E_NOTDIR;
	int err = E_NOENT;
	if (dir->id == SV_ROOT) {
		for (size_t i = 0; i < ARRAY_SIZE(root_ents); i++)
			if (!strcmp(root_ents[i].name, name)) {
				*out = (struct fs_node){ .id = root_ents[i].kind };
				err = E_OK;
			}
	} else if (dir->id == SV_CELLS) {
		for (uint64_t i = 0; i < SV_NS_COUNT; i++)
			if (!strcmp(cell_ns_name(sv_ns(i)), name)) {
				*out = (struct fs_node){ .id = SV_NSDIR, .a = i };
				err = E_OK;
			}
	} else {
		err = cell_node(dir->a, name, out);
	}
	return err ? err : sysview_stat(mnt, out, st);
}

int
sysview_readdir(void *mnt, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out)
{
	if (!ok(mnt))
		return E_INVAL;
	if (!is_dir(dir))
		return E_NOTDIR;
	if (dir->id == SV_ROOT) {
		if (*cookie >= ARRAY_SIZE(root_ents))
			return E_NOENT;
		strlcpy(out->name, root_ents[*cookie].name, sizeof(out->name));
		out->node = (struct fs_node){ .id = root_ents[*cookie].kind };
	} else if (dir->id == SV_CELLS) {
		if (*cookie >= SV_NS_COUNT)
			return E_NOENT;
		strlcpy(out->name, cell_ns_name(sv_ns(*cookie)), sizeof(out->name));
		out->node = (struct fs_node){ .id = SV_NSDIR, .a = *cookie };
	} else {
		struct cell_ns *ns = sv_ns(dir->a);
		if (!ns)
			return E_NOENT;
		cell_read_begin();
		struct cell *c = cell_ns_first(ns);
		for (uint64_t i = 0; c && i < *cookie; i++)
			c = c->next;
		if (c) {
			strlcpy(out->name, c->name, sizeof(out->name));
			out->node = (struct fs_node){ .id = SV_CELL, .a = dir->a, .b = c->gen };
		}
		cell_read_end();
		if (!c)
			return E_NOENT;
	}
	(*cookie)++;
	int err = sysview_stat(mnt, &out->node, &out->st);
	return err == E_NOENT ? sysview_readdir(mnt, dir, cookie, out) : err; /* gone meanwhile: the next */
}

int
sysview_read(void *mnt, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done)
{
	*done = 0;
	if (!ok(mnt))
		return E_INVAL;
	if (is_dir(n))
		return E_ISDIR;
	struct text t;
	int err = generate(n, &t);
	if (err)
		return err;
	if (off < t.len) {
		*done = t.len - off < len ? (size_t)(t.len - off) : len;
		memcpy(buf, t.p + off, *done);
	}
	kfree(t.p);
	return E_OK;
}

int
sysview_write(void *mnt, struct fs_node *n, uint64_t off, const void *buf, size_t len, size_t *done)
{
	(void)n, (void)off, (void)buf, (void)len;
	*done = 0;
	return ok(mnt) ? E_ROFS : E_INVAL;
}

int
sysview_create(void *mnt, const struct fs_node *dir, const char *name, uint32_t kind, struct fs_node *out)
{
	(void)dir, (void)name, (void)kind, (void)out;
	return ok(mnt) ? E_ROFS : E_INVAL;
}

int
sysview_remove(void *mnt, const struct fs_node *dir, const char *name)
{
	(void)dir, (void)name;
	return ok(mnt) ? E_ROFS : E_INVAL;
}

int
sysview_rename(void *mnt, const struct fs_node *from_dir, const char *from, const struct fs_node *to_dir, const char *to)
{
	(void)from_dir, (void)from, (void)to_dir, (void)to;
	return ok(mnt) ? E_ROFS : E_INVAL;
}

int
sysview_truncate(void *mnt, struct fs_node *n, uint64_t size)
{
	(void)n, (void)size;
	return ok(mnt) ? E_ROFS : E_INVAL;
}

int
sysview_sync(void *mnt)
{
	return ok(mnt) ? E_OK : E_INVAL;
}

static const struct vfs_fs_ops ops = {
	.name = "sysview",
	.mount = sysview_mount,
	.unmount = sysview_unmount,
	.lookup = sysview_lookup,
	.readdir = sysview_readdir,
	.read = sysview_read,
	.write = sysview_write,
	.create = sysview_create,
	.remove = sysview_remove,
	.rename = sysview_rename,
	.truncate = sysview_truncate,
	.stat = sysview_stat,
	.sync = sysview_sync,
};

void
sysview_start(const char *cmdline)
{
	(void)cmdline;
	int err = vfs_fstype_register(&ops);
	if (err)
		log_err("cannot register: %s", err_str(err));
}

int
sysview_adopt(void)
{
	return vfs_fstype_register(&ops);
}
