/*
 * table.c: the fs type registry and the mount table, one block in the
 * state_db; requests begin here (vfs_call_*): the mount by id or by path,
 * its type's ops by name, a use of the ops' cell for the call's duration.
 */
#define LOG_TAG "vfs"
#include "vfs_int.h"
#include "cell_mgr.h"
#include "klibc.h"
#include "logger.h"
#include "state_db.h"

static struct state_ref table_ref CELL_CARRY(table_ref);
static bool have_ref CELL_CARRY(have_ref);

struct vfs_table *
vfs_table(void)
{
	struct vfs_table *t = have_ref ? state_db_get(table_ref) : NULL;
	if (t)
		return t;
	/* zeroed: an unlocked spinlock, no types, no mounts */
	if (state_db_obtain("vfs.table", sizeof(*t), "vfs", NULL, &table_ref))
		return NULL;
	have_ref = true;
	return state_db_get(table_ref);
}

static int
type_slot(struct vfs_table *t, const char *name)
{
	for (int i = 0; i < VFS_FSTYPES; i++)
		if (t->types[i] && !strcmp(t->types[i]->name, name))
			return i;
	return -1;
}

int
vfs_fstype_register(const struct vfs_fs_ops *ops)
{
	if (!ops || !ops->name || !*ops->name || strlen(ops->name) >= VFS_FSTYPE_MAX || !ops->mount ||
	    !ops->unmount || !ops->lookup || !ops->readdir || !ops->read || !ops->write || !ops->create ||
	    !ops->remove || !ops->rename || !ops->truncate || !ops->stat || !ops->sync)
		return E_INVAL;
	struct vfs_table *t = vfs_table();
	if (!t)
		return E_NOMEM;
	bool irq = spin_lock_irq(&t->lock);
	int i = type_slot(t, ops->name);
	bool added = i < 0;
	for (int k = 0; i < 0 && k < VFS_FSTYPES; k++)
		if (!t->types[k])
			i = k;
	if (i < 0) {
		spin_unlock_irq(&t->lock, irq);
		return E_NOSPC;
	}
	if (t->types[i])
		cell_unpin_addr(t->types[i]);
	t->types[i] = ops;
	cell_pin_addr(ops);
	spin_unlock_irq(&t->lock, irq);
	if (added)
		log_info("filesystem type %s registered", ops->name);
	return E_OK;
}

int
vfs_fstype_unregister(const char *name)
{
	struct vfs_table *t = vfs_table();
	if (!t || !name)
		return E_INVAL;
	bool irq = spin_lock_irq(&t->lock);
	int i = type_slot(t, name);
	int err = i < 0 ? E_NOENT : E_OK;
	for (int k = 0; !err && k < VFS_MOUNTS; k++)
		if (t->m[k].id && !strcmp(t->m[k].fstype, name))
			err = E_BUSY;
	if (!err) {
		cell_unpin_addr(t->types[i]);
		t->types[i] = NULL;
	}
	spin_unlock_irq(&t->lock, irq);
	return err;
}

/* under the lock: take the call on mount m */
static int
begin(struct vfs_table *t, struct mount *m, struct call *c)
{
	int i = type_slot(t, m->fstype);
	if (i < 0)
		return E_NOENT; /* its cell is gone and nothing registered again */
	c->ops = t->types[i];
	c->mnt = m->mnt;
	c->mount = m->id;
	c->use = cell_use_addr(c->ops);
	c->active = true;
	m->inflight++;
	return E_OK;
}

int
vfs_call_id(uint32_t mount, struct call *c)
{
	struct vfs_table *t = vfs_table();
	if (!t)
		return E_NOMEM;
	bool irq = spin_lock_irq(&t->lock);
	int err = E_NOENT; /* unmounted under the handle (cannot happen while it is open) */
	for (int k = 0; k < VFS_MOUNTS; k++)
		if (t->m[k].id == mount && mount)
			err = begin(t, &t->m[k], c);
	spin_unlock_irq(&t->lock, irq);
	return err;
}

/* mount point mp covers abs: equal, or abs continues it with a '/' */
static size_t
covers(const char *mp, const char *abs)
{
	size_t n = strlen(mp);
	if (n == 1)
		return 1; /* "/" covers everything */
	if (strncmp(mp, abs, n) || (abs[n] && abs[n] != '/'))
		return 0;
	return n;
}

int
vfs_call_path(const char *abs, struct call *c, struct fs_node *root, const char **rest)
{
	struct vfs_table *t = vfs_table();
	if (!t)
		return E_NOMEM;
	bool irq = spin_lock_irq(&t->lock);
	struct mount *best = NULL;
	size_t blen = 0;
	for (int k = 0; k < VFS_MOUNTS; k++) {
		size_t n = t->m[k].id ? covers(t->m[k].path, abs) : 0;
		if (n > blen) {
			best = &t->m[k];
			blen = n;
		}
	}
	int err = best ? begin(t, best, c) : E_NOENT;
	if (!err) {
		*root = best->root;
		const char *r = abs + blen;
		while (*r == '/')
			r++;
		*rest = r;
	}
	spin_unlock_irq(&t->lock, irq);
	return err;
}

void
vfs_call_end(struct call *c)
{
	if (!c->active)
		return;
	c->active = false;
	struct vfs_table *t = vfs_table();
	bool irq = spin_lock_irq(&t->lock);
	for (int k = 0; k < VFS_MOUNTS; k++)
		if (t->m[k].id == c->mount)
			t->m[k].inflight--;
	spin_unlock_irq(&t->lock, irq);
	cell_unuse(c->use);
	c->use = NULL;
}

void
vfs_mount_open(uint32_t mount, int delta)
{
	struct vfs_table *t = vfs_table();
	bool irq = spin_lock_irq(&t->lock);
	for (int k = 0; k < VFS_MOUNTS; k++)
		if (t->m[k].id == mount)
			t->m[k].open += delta;
	spin_unlock_irq(&t->lock, irq);
}

/* a slot being mounted (id 0 with a path) or unmounted (its id taken out
 * so no request finds it): if the filesystem's call unwinds - a fault in
 * it - or fails, the drop puts the slot back as it was */
struct pending {
	struct vfs_table *t;
	struct mount *m;
	uint32_t id;          /* unmount: the id to put back */
	const struct vfs_fs_ops *ops;
	struct cell *use;
	bool settled;
};

static void
pending_drop(struct pending *p)
{
	cell_unuse(p->use);
	p->use = NULL;
	if (!p->m || p->settled)
		return;
	bool irq = spin_lock_irq(&p->t->lock);
	if (p->id)
		p->m->id = p->id;
	else
		p->m->path[0] = '\0';
	spin_unlock_irq(&p->t->lock, irq);
}

int
vfs_mount(const char *fstype, const char *dev, const char *opts, const char *path)
{
	char abs[VFS_PATH_MAX];
	if (!fstype || !dev || strlen(fstype) >= VFS_FSTYPE_MAX || strlen(dev) >= VFS_DEV_MAX)
		return E_INVAL;
	int err = vfs_resolve(path, abs, sizeof(abs));
	if (err)
		return err;
	struct vfs_table *t = vfs_table();
	if (!t)
		return E_NOMEM;
	if (strcmp(abs, "/")) {
		struct fs_stat st;
		err = vfs_stat(abs, &st);
		if (err)
			return err;
		if (st.kind != FS_DIR)
			return E_NOTDIR;
	}
	/* claim a slot and check */
	_cleanup_(pending_drop) struct pending p = { .t = t };
	bool irq = spin_lock_irq(&t->lock);
	int i = type_slot(t, fstype), slot = -1;
	err = i < 0 ? E_NOENT : E_OK;
	for (int k = 0; !err && k < VFS_MOUNTS; k++) {
		if (t->m[k].path[0] && !strcmp(t->m[k].path, abs))
			err = E_BUSY; /* already a mount point */
		else if (!t->m[k].path[0] && slot < 0)
			slot = k;
	}
	if (!err && slot < 0)
		err = E_NOSPC;
	if (!err) {
		p.m = &t->m[slot];
		strlcpy(p.m->path, abs, sizeof(p.m->path));
		p.ops = t->types[i];
		p.use = cell_use_addr(p.ops);
	}
	spin_unlock_irq(&t->lock, irq);
	if (err)
		return err;
	void *mnt = NULL;
	struct fs_node root;
	err = p.ops->mount(dev, opts ? opts : "", &mnt, &root);
	if (err)
		return err;
	irq = spin_lock_irq(&t->lock);
	struct mount *m = p.m;
	strlcpy(m->fstype, fstype, sizeof(m->fstype));
	strlcpy(m->dev, dev, sizeof(m->dev));
	m->mnt = mnt;
	m->root = root;
	m->open = m->inflight = 0;
	m->id = ++t->last_id;
	p.settled = true;
	spin_unlock_irq(&t->lock, irq);
	log_info("mounted %s%s%s at %s", fstype, *dev ? " on " : "", dev, abs);
	return E_OK;
}

int
vfs_umount(const char *path)
{
	char abs[VFS_PATH_MAX];
	int err = vfs_resolve(path, abs, sizeof(abs));
	if (err)
		return err;
	struct vfs_table *t = vfs_table();
	if (!t)
		return E_NOMEM;
	_cleanup_(pending_drop) struct pending p = { .t = t };
	bool irq = spin_lock_irq(&t->lock);
	struct mount *m = NULL;
	for (int k = 0; k < VFS_MOUNTS; k++)
		if (t->m[k].id && !strcmp(t->m[k].path, abs))
			m = &t->m[k];
	err = m ? E_OK : E_NOENT;
	for (int k = 0; m && k < VFS_MOUNTS; k++)
		if (&t->m[k] != m && t->m[k].path[0] && covers(abs, t->m[k].path) && strcmp(t->m[k].path, "/"))
			err = E_BUSY; /* a mount below it */
	if (!err && (m->open || m->inflight))
		err = E_BUSY;
	int i = err ? -1 : type_slot(t, m->fstype);
	if (!err && i < 0)
		err = E_NOENT; /* its type is not registered now: nothing can free its state */
	if (!err) {
		p.m = m;
		p.id = m->id;
		p.ops = t->types[i];
		p.use = cell_use_addr(p.ops);
		m->id = 0; /* no new request finds it; the path keeps the slot */
	}
	spin_unlock_irq(&t->lock, irq);
	if (err)
		return err;
	err = p.ops->unmount(m->mnt);
	if (err)
		return err; /* still mounted, as before (the drop) */
	irq = spin_lock_irq(&t->lock);
	memset(m, 0, sizeof(*m));
	p.settled = true;
	spin_unlock_irq(&t->lock, irq);
	log_info("unmounted %s", abs);
	return E_OK;
}

size_t
vfs_mounts(struct vfs_mount_info *out, size_t max)
{
	struct vfs_table *t = vfs_table();
	if (!t)
		return 0;
	size_t n = 0;
	bool irq = spin_lock_irq(&t->lock);
	for (int k = 0; k < VFS_MOUNTS; k++) {
		struct mount *m = &t->m[k];
		if (!m->id)
			continue;
		if (n < max) {
			out[n].id = m->id;
			strlcpy(out[n].path, m->path, sizeof(out[n].path));
			strlcpy(out[n].fstype, m->fstype, sizeof(out[n].fstype));
			strlcpy(out[n].dev, m->dev, sizeof(out[n].dev));
			out[n].open = m->open;
			out[n].registered = type_slot(t, m->fstype) >= 0;
		}
		n++;
	}
	spin_unlock_irq(&t->lock, irq);
	/* sorted by path, so a listing is stable */
	size_t k = n < max ? n : max;
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && strcmp(out[j - 1].path, out[j].path) > 0; j--) {
			struct vfs_mount_info x = out[j];
			out[j] = out[j - 1];
			out[j - 1] = x;
		}
	return n;
}

int
vfs_sync(void)
{
	struct vfs_mount_info mi[VFS_MOUNTS];
	size_t n = vfs_mounts(mi, VFS_MOUNTS);
	int first = E_OK;
	for (size_t i = 0; i < n; i++) {
		_cleanup_(vfs_call_end) struct call c = { 0 };
		int err = vfs_call_id(mi[i].id, &c);
		if (!err) {
			err = c.ops->sync(c.mnt);
			vfs_call_end(&c);
		}
		if (err && !first)
			first = err;
	}
	return first;
}
