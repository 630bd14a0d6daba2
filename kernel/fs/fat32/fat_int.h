/*
 * fat_int.h: fat32's internals, shared by its files and compiled on the
 * host too (tests/host/test_fat32.c, tests/fuzz/fuzz_fat32.c): the core
 * (bpb.c, fat.c, dir.c, file.c, ops.c) knows nothing of the kernel; the
 * platform (fat32.c in the kernel, tests/host/fat_host.c on the host)
 * supplies sector I/O, memory, the intent record's home and the lock.
 */
#ifndef FAT_INT_H
#define FAT_INT_H

#include "fat32.h"
#include "klibc.h"

#define FAT_SECTOR 512
#define FAT_EOC 0x0FFFFFF8u      /* >= : end of chain */
#define FAT_BAD 0x0FFFFFF7u
#define FAT_MASK 0x0FFFFFFFu
#define FAT_DENT 32               /* bytes per directory entry */
#define FAT_ATTR_RO 0x01
#define FAT_ATTR_HIDDEN 0x02
#define FAT_ATTR_SYSTEM 0x04
#define FAT_ATTR_VOLUME 0x08
#define FAT_ATTR_DIR 0x10
#define FAT_ATTR_ARCHIVE 0x20
#define FAT_ATTR_LFN 0x0F
#define FAT_MAX_FILE 0xFFFFFFFFull
#define FAT_LFN_MAX_SLOTS 20      /* 255 UCS-2 characters, 13 a slot */

/* geometry, from the boot sector (bpb.c) */
struct fat_geom {
	uint32_t spc, cluster_bytes, reserved, nfats, fat_sz, root, fsinfo;
	uint64_t total, data_start;
	uint32_t nclusters;       /* valid clusters: 2 .. nclusters + 1 */
	uint32_t fsinfo_free, fsinfo_next; /* the hints read at mount */
};

/* a metadata change in progress: what the replay does, in this order,
 * each step idempotent (ops.c, docs/files-fat32.md) */
struct fat_intent {
	uint32_t magic;           /* FAT_INTENT_MAGIC while one is in progress */
	uint32_t set_entry;       /* 1: entry (ent_dir, ent_idx) gets first/size */
	uint32_t ent_dir, ent_idx, ent_first, ent_size;
	uint32_t del_n;           /* mark del_n entries from (del_dir, del_idx) deleted */
	uint32_t del_dir, del_idx;
	uint32_t tail;            /* mark this cluster end of chain */
	uint32_t orphan, orphan_next; /* free the chain from orphan; the freeing
				   * keeps both up to date (the next cluster, once
				   * orphan's entry may already read free) */
	uint32_t dd_set;          /* 1: the ".." of directory dd_dir names dd_parent */
	uint32_t dd_dir, dd_parent;
};
#define FAT_INTENT_MAGIC 0x46415449u

/* per-mount state: geometry and caches, all rebuildable from the disk */
struct fat_mnt {
	struct fat_geom g;
	void *plat;               /* the platform's (device name, lock, intent) */
	bool dirty;               /* FSInfo's free count invalidated since mount or sync */
	bool ro;
	/* caches (dropped by fat_caches_drop) */
	uint32_t fat_cached;      /* FAT sector in fat_buf + 1, 0: none */
	bool fat_batch, fat_dirty; /* batching: changes to fat_buf written when it moves on */
	uint8_t fat_buf[FAT_SECTOR] __aligned(8);
	uint64_t dir_cached;      /* directory sector in dir_buf + 1, 0: none */
	uint8_t dir_buf[FAT_SECTOR] __aligned(8);
	uint32_t next_free;       /* where the free-cluster search starts */
	uint32_t pos_first, pos_index, pos_cluster; /* last chain position found */
};

/* the platform */
int fat_dev_rw(struct fat_mnt *m, bool write, uint64_t lba, uint32_t n, void *buf) __must_check;
struct fat_intent *fat_intent_slot(struct fat_mnt *m); /* NULL: no home (E_NOMEM) */
void fat_fault_point(void);   /* called before every cluster-data write: the test hook */
void *fat_zalloc(size_t n);
void fat_free(void *p);

/* little-endian fields */
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* bpb.c */
int fat_bpb_parse(const uint8_t *sec, uint64_t dev_sectors, struct fat_geom *g) __must_check;
int fat_fsinfo_read(struct fat_mnt *m) __must_check;
int fat_fsinfo_write(struct fat_mnt *m, uint32_t free, uint32_t next) __must_check;

/* fat.c: the table and cluster chains; every walk is bounded by nclusters */
static inline bool fat_valid(const struct fat_mnt *m, uint32_t c) { return c >= 2 && c <= m->g.nclusters + 1; }
static inline uint64_t fat_lba(const struct fat_mnt *m, uint32_t c) { return m->g.data_start + (uint64_t)(c - 2) * m->g.spc; }
int fat_get(struct fat_mnt *m, uint32_t c, uint32_t *val) __must_check;
int fat_set(struct fat_mnt *m, uint32_t c, uint32_t val) __must_check; /* every FAT copy */
int fat_next(struct fat_mnt *m, uint32_t c, uint32_t *next) __must_check; /* 0 at the end; E_CORRUPT */
int fat_chain_len(struct fat_mnt *m, uint32_t first, uint32_t *len, uint32_t *last) __must_check;
int fat_chain_at(struct fat_mnt *m, uint32_t first, uint32_t index, uint32_t *c) __must_check; /* E_RANGE: shorter */
int fat_find_free(struct fat_mnt *m, uint32_t *c) __must_check;
int fat_free_orphan(struct fat_mnt *m, uint32_t first, uint32_t next) __must_check; /* the intent's orphan */
int fat_count_free(struct fat_mnt *m, uint32_t *free) __must_check;
int fat_zero_cluster(struct fat_mnt *m, uint32_t c) __must_check;
int fat_touch(struct fat_mnt *m) __must_check; /* before the first change: FSInfo's count invalidated */
/* every write of the core: the device, and the directory sector cache kept equal */
int fat_write(struct fat_mnt *m, uint64_t lba, uint32_t n, const void *buf) __must_check;
/* batch FAT changes within a sector: one write per copy when the cached
 * sector changes or at the end (only inside an intent: a fault loses the
 * batch, the replay does not need it) */
void fat_batch_begin(struct fat_mnt *m);
int fat_batch_end(struct fat_mnt *m) __must_check;
void fat_caches_drop(struct fat_mnt *m);

/* dir.c: directories, entries by index, long names */
struct fat_found {
	uint32_t idx, nslots;     /* short entry's index; slots including LFN ones */
	uint8_t ent[FAT_DENT];    /* the short entry */
	char name[FS_NAME_MAX + 1]; /* the long name, else the short one */
	char sname[13];           /* the short name, "NAME.EXT" */
};
int fat_dir_entry(struct fat_mnt *m, uint32_t dir, uint32_t idx, bool write, uint8_t *ent) __must_check;
int fat_dir_next(struct fat_mnt *m, uint32_t dir, uint32_t *idx, struct fat_found *f) __must_check; /* E_NOENT at the end */
int fat_dir_find(struct fat_mnt *m, uint32_t dir, const char *name, struct fat_found *f) __must_check;
/* a new entry: its short name (ent[0..10]) and slot count, free room for
 * it (the directory grows by a zeroed cluster if needed, a change of its
 * own), then its slots written (LFN ones, then the short entry) */
int fat_short_name(struct fat_mnt *m, uint32_t dir, const char *name, uint8_t *ent, uint32_t *nslots) __must_check;
int fat_dir_room(struct fat_mnt *m, uint32_t dir, uint32_t nslots, uint32_t *idx) __must_check;
int fat_dir_write(struct fat_mnt *m, uint32_t dir, uint32_t idx, const char *name, const uint8_t *ent,
		  uint32_t nslots) __must_check;
int fat_dir_delete(struct fat_mnt *m, uint32_t dir, uint32_t idx, uint32_t n) __must_check;
int fat_dir_empty(struct fat_mnt *m, uint32_t dir) __must_check; /* E_OK, E_NOTEMPTY */
int fat_name_check(const char *name) __must_check;
uint8_t fat_lfn_sum(const uint8_t *short11);
static inline uint32_t fat_ent_first(const uint8_t *e) { return ((uint32_t)le16(e + 20) << 16 | le16(e + 26)) & FAT_MASK; }
static inline void fat_ent_set_first(uint8_t *e, uint32_t c) { put16(e + 20, (uint16_t)(c >> 16)); put16(e + 26, (uint16_t)c); }

/* file.c */
int fat_file_rw(struct fat_mnt *m, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done) __must_check;
int fat_file_write(struct fat_mnt *m, struct fs_node *n, uint64_t off, const void *buf, size_t len, size_t *done) __must_check;
int fat_file_truncate(struct fat_mnt *m, struct fs_node *n, uint64_t size) __must_check;
int fat_node_entry(struct fat_mnt *m, const struct fs_node *n, uint8_t *ent) __must_check;
int fat_intent_entry(struct fat_mnt *m, const struct fat_intent *in) __must_check; /* its set_entry step */

/* ops.c: the contract's operations on a mounted fat_mnt (the platform
 * locks around them and replays a pending intent first) */
int fat_mount_core(struct fat_mnt *m, uint64_t dev_sectors, struct fs_node *root) __must_check;
int fat_replay(struct fat_mnt *m) __must_check;
int fat_undo(struct fat_mnt *m, int err); /* a change failed: replay its intent now; returns err */
int fat_op_lookup(struct fat_mnt *m, const struct fs_node *dir, const char *name, struct fs_node *out, struct fs_stat *st) __must_check;
int fat_op_readdir(struct fat_mnt *m, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out) __must_check;
int fat_op_create(struct fat_mnt *m, const struct fs_node *dir, const char *name, uint32_t kind, struct fs_node *out) __must_check;
int fat_op_remove(struct fat_mnt *m, const struct fs_node *dir, const char *name) __must_check;
int fat_op_rename(struct fat_mnt *m, const struct fs_node *fd, const char *from, const struct fs_node *td, const char *to) __must_check;
int fat_op_stat(struct fat_mnt *m, const struct fs_node *n, struct fs_stat *st) __must_check;
int fat_op_sync(struct fat_mnt *m) __must_check;
void fat_stat_of(const struct fat_mnt *m, const uint8_t *ent, struct fs_stat *st);
int fat_dir_cluster(struct fat_mnt *m, const struct fs_node *dir, uint32_t *c) __must_check;
/* record a change before its first write (the magic stored last), clear it after its last */
int fat_intent_set(struct fat_mnt *m, const struct fat_intent *in) __must_check;
void fat_intent_end(struct fat_mnt *m);

#endif
