/*
 * ops.c: the contract's operations over dir.c, fat.c and file.c, and the
 * intent record. Every change that takes more than one sector write
 * records an intent first (what to set, end, delete and free to get to
 * a consistent state) and clears it after its last write; the next
 * request on the mount replays a record left behind by a fault (the
 * platform calls fat_replay before each), so the disk never stays half
 * changed (docs/files-fat32.md lists each change's steps).
 */
#include "fat_int.h"

/* no clock cell: files get this time, 2026-01-01 00:00 */
#define FAT_DATE ((46 << 9) | (1 << 5) | 1)

int
fat_intent_set(struct fat_mnt *m, const struct fat_intent *in)
{
	struct fat_intent *slot = fat_intent_slot(m);
	if (!slot)
		return E_NOMEM;
	__atomic_store_n(&slot->magic, 0, __ATOMIC_RELEASE);
	struct fat_intent copy = *in;
	copy.magic = 0;
	*slot = copy;
	__atomic_store_n(&slot->magic, FAT_INTENT_MAGIC, __ATOMIC_RELEASE);
	return E_OK;
}

void
fat_intent_end(struct fat_mnt *m)
{
	struct fat_intent *slot = fat_intent_slot(m);
	if (slot)
		__atomic_store_n(&slot->magic, 0, __ATOMIC_RELEASE);
}

static int
set_dotdot(struct fat_mnt *m, uint32_t dir, uint32_t parent)
{
	uint8_t e[FAT_DENT];
	int err = fat_dir_entry(m, dir, 1, false, e);
	if (err)
		return err;
	if (memcmp(e, "..         ", 11))
		return E_CORRUPT;
	fat_ent_set_first(e, parent);
	return fat_dir_entry(m, dir, 1, true, e);
}

int
fat_replay(struct fat_mnt *m)
{
	struct fat_intent *slot = fat_intent_slot(m);
	if (!slot || __atomic_load_n(&slot->magic, __ATOMIC_ACQUIRE) != FAT_INTENT_MAGIC || m->ro)
		return E_OK;
	struct fat_intent in = *slot;
	fat_caches_drop(m);             /* a fault may have left them ahead of the disk */
	int err = fat_touch(m);
	if (!err && in.set_entry)
		err = fat_intent_entry(m, &in);
	if (!err && in.del_n)
		err = fat_dir_delete(m, in.del_dir, in.del_idx, in.del_n);
	if (!err && in.tail)
		err = fat_set(m, in.tail, FAT_MASK);
	if (!err && in.orphan && in.orphan != m->g.root)
		err = fat_free_orphan(m, in.orphan, in.orphan_next);
	if (!err && in.dd_set)
		err = set_dotdot(m, in.dd_dir, in.dd_parent);
	fat_caches_drop(m);
	if (!err)
		fat_intent_end(m);
	return err;
}

int
fat_undo(struct fat_mnt *m, int err)
{
	if (fat_replay(m))              /* if it fails too, the next request tries again */
		return err;
	return err;
}

int
fat_mount_core(struct fat_mnt *m, uint64_t dev_sectors, struct fs_node *root)
{
	uint8_t s[FAT_SECTOR] __aligned(8);
	int err = fat_dev_rw(m, false, 0, 1, s);
	if (err)
		return err;
	if ((err = fat_bpb_parse(s, dev_sectors, &m->g)) || (err = fat_fsinfo_read(m)))
		return err;
	uint32_t len, last;
	if ((err = fat_chain_len(m, m->g.root, &len, &last)))
		return err;                     /* the root directory's chain is broken */
	m->next_free = m->g.fsinfo_next;
	*root = (struct fs_node){ .id = m->g.root };
	return E_OK;
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
static int64_t
days_from_civil(int64_t y, unsigned mo, unsigned d)
{
	y -= mo <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
fat_stat_of(const struct fat_mnt *m, const uint8_t *e, struct fs_stat *st)
{
	(void)m;
	uint16_t date = le16(e + 24), time = le16(e + 22);
	unsigned mo = (date >> 5) & 15, d = date & 31;
	bool dir = e[11] & FAT_ATTR_DIR;
	st->size = dir ? 0 : le32(e + 28);
	st->kind = dir ? FS_DIR : FS_FILE;
	st->flags = e[11];
	st->mtime_s = 0;
	if (mo >= 1 && mo <= 12 && d >= 1)
		st->mtime_s = (uint64_t)(days_from_civil(1980 + (date >> 9), mo, d) * 86400 + (time >> 11) * 3600 +
					 ((time >> 5) & 63) * 60 + (time & 31) * 2);
}

int
fat_dir_cluster(struct fat_mnt *m, const struct fs_node *dir, uint32_t *c)
{
	uint8_t e[FAT_DENT];
	int err = fat_node_entry(m, dir, e);
	if (err)
		return err;
	if (!(e[11] & FAT_ATTR_DIR))
		return E_NOTDIR;
	*c = fat_ent_first(e);
	return E_OK;
}

/* a directory found in dir: its first cluster must be a cluster, and not
 * the root's or its parent's own (a directory cycle) */
static int
node_of(struct fat_mnt *m, uint32_t dc, const struct fat_found *f, struct fs_node *out, struct fs_stat *st)
{
	uint32_t first = fat_ent_first(f->ent);
	if (f->ent[11] & FAT_ATTR_DIR) {
		if (!fat_valid(m, first) || first == dc || first == m->g.root)
			return E_CORRUPT;
	} else if (first && !fat_valid(m, first))
		return E_CORRUPT;
	*out = (struct fs_node){ .id = first, .a = dc, .b = f->idx };
	if (st)
		fat_stat_of(m, f->ent, st);
	return E_OK;
}

/* the parent of directory dc (its ".." entry; 0 there is the root) */
static int
parent_of(struct fat_mnt *m, uint32_t dc, uint32_t *p)
{
	uint8_t e[FAT_DENT];
	int err = fat_dir_entry(m, dc, 1, false, e);
	if (err)
		return err == E_NOENT ? E_CORRUPT : err;
	if (memcmp(e, "..         ", 11) || !(e[11] & FAT_ATTR_DIR))
		return E_CORRUPT;
	*p = fat_ent_first(e) ? fat_ent_first(e) : m->g.root;
	return fat_valid(m, *p) ? E_OK : E_CORRUPT;
}

int
fat_op_lookup(struct fat_mnt *m, const struct fs_node *dir, const char *name, struct fs_node *out, struct fs_stat *st)
{
	uint32_t dc;
	int err = fat_dir_cluster(m, dir, &dc);
	if (err)
		return err;
	if (strnlen(name, FS_NAME_MAX + 1) > FS_NAME_MAX)
		return E_NAMETOOLONG;
	struct fat_found f;
	if (!strcmp(name, ".") || (!strcmp(name, "..") && dc == m->g.root)) {
		*out = *dir;
		if (st)
			*st = (struct fs_stat){ .kind = FS_DIR, .flags = FAT_ATTR_DIR };
		return E_OK;
	}
	if (!strcmp(name, "..")) {
		uint32_t p, gp;
		if ((err = parent_of(m, dc, &p)))
			return err;
		if (p == m->g.root) {
			*out = (struct fs_node){ .id = p };
			if (st)
				*st = (struct fs_stat){ .kind = FS_DIR, .flags = FAT_ATTR_DIR };
			return E_OK;
		}
		if ((err = parent_of(m, p, &gp)))
			return err;
		for (uint32_t i = 0;;) {        /* p's entry in its parent */
			if ((err = fat_dir_next(m, gp, &i, &f)))
				return err == E_NOENT ? E_CORRUPT : err;
			if ((f.ent[11] & FAT_ATTR_DIR) && fat_ent_first(f.ent) == p && f.name[0] != '.')
				return node_of(m, gp, &f, out, st);
		}
	}
	if ((err = fat_dir_find(m, dc, name, &f)))
		return err;
	return node_of(m, dc, &f, out, st);
}

int
fat_op_readdir(struct fat_mnt *m, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out)
{
	uint32_t dc;
	int err = fat_dir_cluster(m, dir, &dc);
	if (err)
		return err;
	if (*cookie > 0xFFFF)
		return E_NOENT;
	struct fat_found f;
	for (uint32_t i = (uint32_t)*cookie;;) {
		if ((err = fat_dir_next(m, dc, &i, &f)))
			return err;
		*cookie = i;
		if (!strcmp(f.sname, ".") || !strcmp(f.sname, ".."))
			continue;
		memcpy(out->name, f.name, sizeof(out->name));
		return node_of(m, dc, &f, &out->node, &out->st);
	}
}

int
fat_op_stat(struct fat_mnt *m, const struct fs_node *n, struct fs_stat *st)
{
	uint8_t e[FAT_DENT];
	int err = fat_node_entry(m, n, e);
	if (!err)
		fat_stat_of(m, e, st);
	return err;
}

int
fat_op_create(struct fat_mnt *m, const struct fs_node *dir, const char *name, uint32_t kind, struct fs_node *out)
{
	uint32_t dc, nslots, idx, c = 0;
	struct fat_found f;
	int err = fat_dir_cluster(m, dir, &dc);
	if (err)
		return err;
	if (kind != FS_FILE && kind != FS_DIR)
		return E_INVAL;
	if (m->ro)
		return E_ROFS;
	if ((err = fat_name_check(name)))
		return err;
	if ((err = fat_dir_find(m, dc, name, &f)) != E_NOENT)
		return err ? err : E_EXIST;
	uint8_t ent[FAT_DENT] = { 0 };
	if ((err = fat_short_name(m, dc, name, ent, &nslots)) || (err = fat_touch(m)) ||
	    (err = fat_dir_room(m, dc, nslots, &idx)))
		return err;
	ent[11] = kind == FS_DIR ? FAT_ATTR_DIR : FAT_ATTR_ARCHIVE;
	put16(ent + 16, FAT_DATE);      /* created, accessed, written */
	put16(ent + 18, FAT_DATE);
	put16(ent + 24, FAT_DATE);
	struct fat_intent in = { .del_dir = dc, .del_idx = idx, .del_n = nslots };
	if (kind == FS_DIR) {
		if ((err = fat_find_free(m, &c)))
			return err;
		in.orphan = c;
		if ((err = fat_intent_set(m, &in)))
			return err;
		uint8_t dot[FAT_DENT];
		memcpy(dot, ent, FAT_DENT);
		memcpy(dot, ".          ", 11);
		fat_ent_set_first(dot, c);
		if ((err = fat_set(m, c, FAT_MASK)) || (err = fat_zero_cluster(m, c)) ||
		    (err = fat_dir_entry(m, c, 0, true, dot)))
			return fat_undo(m, err);
		memcpy(dot, "..         ", 11);
		fat_ent_set_first(dot, dc == m->g.root ? 0 : dc);
		if ((err = fat_dir_entry(m, c, 1, true, dot)))
			return fat_undo(m, err);
		fat_ent_set_first(ent, c);
	} else if ((err = fat_intent_set(m, &in)))
		return err;
	if ((err = fat_dir_write(m, dc, idx, name, ent, nslots)))
		return fat_undo(m, err);
	fat_intent_end(m);
	*out = (struct fs_node){ .id = c, .a = dc, .b = idx + nslots - 1 };
	return E_OK;
}

static int
find_entry(struct fat_mnt *m, const struct fs_node *dir, const char *name, uint32_t *dc, struct fat_found *f)
{
	int err = fat_dir_cluster(m, dir, dc);
	if (err)
		return err;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return E_INVAL;
	if (strnlen(name, FS_NAME_MAX + 1) > FS_NAME_MAX)
		return E_NAMETOOLONG;
	if (m->ro)
		return E_ROFS;
	if ((err = fat_dir_find(m, *dc, name, f)))
		return err;
	struct fs_node n;
	return node_of(m, *dc, f, &n, NULL);
}

int
fat_op_remove(struct fat_mnt *m, const struct fs_node *dir, const char *name)
{
	uint32_t dc;
	struct fat_found f;
	int err = find_entry(m, dir, name, &dc, &f);
	if (err)
		return err;
	uint32_t first = fat_ent_first(f.ent);
	if ((f.ent[11] & FAT_ATTR_DIR) && (err = fat_dir_empty(m, first)))
		return err;
	struct fat_intent in = { .del_dir = dc, .del_idx = f.idx + 1 - f.nslots, .del_n = f.nslots, .orphan = first };
	if ((err = fat_touch(m)) || (err = fat_intent_set(m, &in)))
		return err;
	if ((err = fat_dir_delete(m, dc, in.del_idx, in.del_n)) || (first && (err = fat_free_orphan(m, first, 0))))
		return fat_undo(m, err);        /* finished by the replay if it can be */
	fat_intent_end(m);
	return E_OK;
}

int
fat_op_rename(struct fat_mnt *m, const struct fs_node *fd, const char *from, const struct fs_node *td, const char *to)
{
	uint32_t fdc, tdc, nslots, idx;
	struct fat_found f, t;
	int err = find_entry(m, fd, from, &fdc, &f);
	if (err || (err = fat_dir_cluster(m, td, &tdc)) || (err = fat_name_check(to)))
		return err;
	err = fat_dir_find(m, tdc, to, &t);
	if (!err && !(tdc == fdc && t.idx == f.idx))
		return E_EXIST;                 /* (a change of case only is the same entry) */
	if (err && err != E_NOENT)
		return err;
	uint32_t first = fat_ent_first(f.ent);
	bool dir = f.ent[11] & FAT_ATTR_DIR;
	if (dir) {                              /* not into itself: walk up from the target */
		uint32_t p = tdc;
		for (uint32_t k = 0;; k++) {
			if (p == first)
				return E_INVAL;
			if (p == m->g.root)
				break;
			if (k > MIN(m->g.nclusters, 65536u))
				return E_CORRUPT;       /* a cycle of ".." entries */
			if ((err = parent_of(m, p, &p)))
				return err;
		}
	}
	uint8_t ent[FAT_DENT];
	memcpy(ent, f.ent, FAT_DENT);
	ent[12] = 0;                            /* case flags: the long name says it */
	if ((err = fat_short_name(m, tdc, to, ent, &nslots)) || (err = fat_touch(m)) ||
	    (err = fat_dir_room(m, tdc, nslots, &idx)))
		return err;
	struct fat_intent in = { .del_dir = tdc, .del_idx = idx, .del_n = nslots };
	if ((err = fat_intent_set(m, &in)))
		return err;
	if ((err = fat_dir_write(m, tdc, idx, to, ent, nslots)))
		return fat_undo(m, err);
	/* the new entry is complete: from here on the change goes forward */
	in = (struct fat_intent){ .del_dir = fdc, .del_idx = f.idx + 1 - f.nslots, .del_n = f.nslots,
				  .dd_set = dir && fdc != tdc, .dd_dir = first,
				  .dd_parent = tdc == m->g.root ? 0 : tdc };
	if ((err = fat_intent_set(m, &in)))
		return fat_undo(m, err);
	if ((err = fat_dir_delete(m, fdc, in.del_idx, in.del_n)) ||
	    (in.dd_set && (err = set_dotdot(m, first, in.dd_parent))))
		return fat_undo(m, err);
	fat_intent_end(m);
	return E_OK;
}

int
fat_op_sync(struct fat_mnt *m)
{
	if (!m->dirty || m->ro)
		return E_OK;
	uint32_t free;
	int err = fat_count_free(m, &free);
	if (err || (err = fat_fsinfo_write(m, free, m->next_free >= 2 ? m->next_free : 0xFFFFFFFF)))
		return err;
	m->dirty = false;
	return E_OK;
}
