/*
 * fat32.c: the cell's kernel side - the filesystem contract's functions
 * over the core (ops.c): each takes the disk's lock (a blocking mutex in
 * the disk's state_db record, whose guard a fault's unwinding releases),
 * drops the mount's caches if another mount of the disk ran a request
 * since, and first replays an intent record a faulted request left.
 * Sectors go through blk_rw by disk name.
 */
#include "blk.h"
#include "fmt.h"
#include "fat_int.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "state_db.h"
#include "sync.h"

#define TIMEOUT_NS 10000000000ull
#define MOUNT_MAGIC 0x4641544du

/* what the mounts of one disk share, in the state_db ("fat32:<disk>"):
 * the intent record, the disk's lock (every request of every mount of
 * the disk holds it) and a generation counted up by every request, so a
 * mount whose caches another mount's request may have made stale drops
 * them */
struct fat32_shared {
	struct fat_intent in;
	struct mutex lock;
	uint64_t gen;
};

struct fat32_mount {
	uint32_t magic;
	char dev[8];
	char key[STATE_NAME_MAX];       /* the shared record's name in the state_db */
	struct state_ref shared;
	uint64_t seen_gen;
	struct fat_mnt m;
};

static void
shared_init(void *data, size_t size)
{
	(void)size;
	mutex_init(&((struct fat32_shared *)data)->lock);
}

/* the record stays for the disk's lifetime (a lock in it may have
 * waiters; one small record a disk): made outside any accounting domain,
 * as infrastructure, not charged to the task that mounted first */
static struct fat32_shared *
shared_of(struct fat32_mount *p)
{
	struct fat32_shared *sh = state_db_get(p->shared);
	if (!sh) {
		uint8_t acct = task_set_acct(0);
		if (!state_db_obtain(p->key, sizeof(*sh), "fat32", shared_init, &p->shared))
			sh = state_db_get(p->shared);
		task_set_acct(acct);
	}
	return sh;
}

int
fat_dev_rw(struct fat_mnt *m, bool write, uint64_t lba, uint32_t n, void *buf)
{
	struct fat32_mount *p = m->plat;
	return blk_rw(p->dev, write, lba, n, buf, TIMEOUT_NS);
}

struct fat_intent *
fat_intent_slot(struct fat_mnt *m)
{
	struct fat32_shared *sh = shared_of(m->plat);
	return sh ? &sh->in : NULL;
}

void *fat_zalloc(size_t n) { return kzalloc(n); }
void fat_free(void *p) { kfree(p); }

/* the test hook: a write to the cell's own rodata, so recovery reloads it */
static uint32_t fault_countdown;
static const uint32_t fault_target = 1;

void
fat32_inject_write_fault(uint32_t after)
{
	__atomic_store_n(&fault_countdown, after ? after + 1 : 0, __ATOMIC_RELEASE);
}

void
fat_fault_point(void)
{
	uint32_t v = __atomic_load_n(&fault_countdown, __ATOMIC_ACQUIRE);
	if (v && __atomic_sub_fetch(&fault_countdown, 1, __ATOMIC_ACQ_REL) == 0) {
		volatile uint32_t *ro = (volatile uint32_t *)(uintptr_t)&fault_target;
		__asm__("" : "+r"(ro));
		*ro = 2;                /* page fault: rodata is read-only */
	}
}

static void
mount_drop(struct fat32_mount *p)
{
	if (p) {
		p->magic = 0;
		kfree(p);
	}
}
DEFINE_DROP(struct fat32_mount, mount_drop)

int
fat32_mount(const char *dev, const char *opts, void **mnt, struct fs_node *root)
{
	struct blk_info bi = { 0 };
	bool found = false;
	if (!dev || strnlen(dev, sizeof(bi.name)) >= sizeof(bi.name))
		return E_INVAL;
	for (size_t i = 0; i < blk_count() && !found; i++)
		found = !blk_info(i, &bi) && !strcmp(bi.name, dev);
	if (!found)
		return E_NOENT;
	bool ro = opts && !strcmp(opts, "ro");
	if (opts && opts[0] && !ro && strcmp(opts, "rw"))
		return E_INVAL;
	_cleanup_(mount_drop_p) struct fat32_mount *p = KNEW(struct fat32_mount);
	if (!p)
		return E_NOMEM;
	strlcpy(p->dev, dev, sizeof(p->dev));
	snprintf(p->key, sizeof(p->key), "fat32:%s", dev);
	p->m.plat = p;
	p->m.ro = ro;
	/* a record a request on an earlier mount left is replayed now */
	int err = fat_mount_core(&p->m, bi.sectors, root);
	if (err)
		return err;
	struct fat32_shared *sh = shared_of(p);
	if (!sh)
		return E_NOMEM;
	_cleanup_(guard_drop) struct guard g = mutex_lock(&sh->lock);
	fat_caches_drop(&p->m);         /* read before the lock: another mount's request may have been running */
	if ((err = fat_replay(&p->m)))
		return err;
	p->seen_gen = ++sh->gen;
	p->magic = MOUNT_MAGIC;
	*mnt = TAKE_PTR(p);
	return E_OK;
}

/* a request: the disk's lock; caches dropped if another mount's request
 * ran since this mount's last; a pending intent replayed */
static int
request_begin(struct fat32_mount *p, struct guard *g)
{
	struct fat32_shared *sh = p && p->magic == MOUNT_MAGIC ? shared_of(p) : NULL;
	if (!sh)
		return p && p->magic == MOUNT_MAGIC ? E_NOMEM : E_INVAL;
	*g = mutex_lock(&sh->lock);
	if (sh->gen != p->seen_gen) {
		fat_caches_drop(&p->m);
		p->m.dirty = false;     /* FSInfo as another mount left it: invalidated again before a change */
	}
	p->seen_gen = ++sh->gen;
	return fat_replay(&p->m);
}

#define LOCKED(mnt)                                                        \
	struct fat32_mount *p = (mnt);                                      \
	_cleanup_(guard_drop) struct guard g = { GUARD_NONE, NULL, false }; \
	int err = request_begin(p, &g);                                     \
	if (err)                                                            \
		return err

/* flushes and frees the mount */
int
fat32_unmount(void *mnt)
{
	int err2;
	{
		LOCKED(mnt);
		err2 = fat_op_sync(&p->m);
	}
	mount_drop(mnt);
	return err2;
}

int
fat32_lookup(void *mnt, const struct fs_node *dir, const char *name, struct fs_node *out, struct fs_stat *st)
{
	LOCKED(mnt);
	return fat_op_lookup(&p->m, dir, name, out, st);
}

int
fat32_readdir(void *mnt, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out)
{
	LOCKED(mnt);
	return fat_op_readdir(&p->m, dir, cookie, out);
}

int
fat32_read(void *mnt, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done)
{
	LOCKED(mnt);
	return fat_file_rw(&p->m, n, off, buf, len, done);
}

int
fat32_write(void *mnt, struct fs_node *n, uint64_t off, const void *buf, size_t len, size_t *done)
{
	LOCKED(mnt);
	return fat_file_write(&p->m, n, off, buf, len, done);
}

int
fat32_create(void *mnt, const struct fs_node *dir, const char *name, uint32_t kind, struct fs_node *out)
{
	LOCKED(mnt);
	return fat_op_create(&p->m, dir, name, kind, out);
}

int
fat32_remove(void *mnt, const struct fs_node *dir, const char *name)
{
	LOCKED(mnt);
	return fat_op_remove(&p->m, dir, name);
}

int
fat32_rename(void *mnt, const struct fs_node *from_dir, const char *from, const struct fs_node *to_dir, const char *to)
{
	LOCKED(mnt);
	return fat_op_rename(&p->m, from_dir, from, to_dir, to);
}

int
fat32_truncate(void *mnt, struct fs_node *n, uint64_t size)
{
	LOCKED(mnt);
	return fat_file_truncate(&p->m, n, size);
}

int
fat32_stat(void *mnt, const struct fs_node *n, struct fs_stat *st)
{
	LOCKED(mnt);
	return fat_op_stat(&p->m, n, st);
}

int
fat32_sync(void *mnt)
{
	LOCKED(mnt);
	return fat_op_sync(&p->m);
}

EXPORT_APP(fat32_mount);
EXPORT_APP(fat32_unmount);
EXPORT_APP(fat32_lookup);
EXPORT_APP(fat32_readdir);
EXPORT_APP(fat32_read);
EXPORT_APP(fat32_write);
EXPORT_APP(fat32_create);
EXPORT_APP(fat32_remove);
EXPORT_APP(fat32_rename);
EXPORT_APP(fat32_truncate);
EXPORT_APP(fat32_stat);
EXPORT_APP(fat32_sync);
