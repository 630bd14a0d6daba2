/*
 * file.c: file data. A request names the node (the directory entry's
 * place) and the offset; the size and first cluster come from the entry
 * on the disk each time. An extending write allocates its clusters as a
 * chain of their own (an intent record names it), writes the data, then
 * links the chain and writes the entry's size: a fault anywhere before
 * the entry is written is rolled back by the replay (ops.c).
 */
#include "fat_int.h"

int
fat_node_entry(struct fat_mnt *m, const struct fs_node *n, uint8_t *ent)
{
	if (!n->a) {
		if (n->id != m->g.root || n->b)
			return E_NOENT;
		memset(ent, 0, FAT_DENT);
		memset(ent, ' ', 11);
		ent[11] = FAT_ATTR_DIR;
		fat_ent_set_first(ent, m->g.root);
		return E_OK;
	}
	if (n->a > FAT_MASK || n->b > 0xFFFF || !fat_valid(m, (uint32_t)n->a))
		return E_INVAL;
	int err = fat_dir_entry(m, (uint32_t)n->a, (uint32_t)n->b, false, ent);
	if (err)
		return err;
	if (ent[0] == 0 || ent[0] == 0xE5 || (ent[11] & 0x3F) == FAT_ATTR_LFN || (ent[11] & FAT_ATTR_VOLUME))
		return E_NOENT;                 /* removed since the node was found */
	if (ent[11] & FAT_ATTR_DIR) {
		if (fat_ent_first(ent) != n->id)
			return E_NOENT;
		if (!fat_valid(m, (uint32_t)n->id))
			return E_CORRUPT;
	}
	return E_OK;
}

/* one cluster's bytes [co, co + n): whole sectors straight to or from
 * buf (when it is 8-byte aligned: disk controllers may need even
 * addresses), others through a sector; a NULL buf writes zeros */
static int
data_io(struct fat_mnt *m, uint32_t c, uint32_t co, uint8_t *buf, uint32_t n, bool write)
{
	uint64_t lba = fat_lba(m, c) + co / FAT_SECTOR;
	uint32_t so = co % FAT_SECTOR;
	uint8_t sec[FAT_SECTOR] __aligned(8);
	int err;
	while (n) {
		uint32_t k = MIN(n, FAT_SECTOR - so);
		if (write)
			fat_fault_point();
		if (k == FAT_SECTOR && buf && IS_ALIGNED((uintptr_t)buf, 8)) {
			uint32_t whole = n / FAT_SECTOR;
			if ((err = write ? fat_write(m, lba, whole, buf) : fat_dev_rw(m, false, lba, whole, buf)))
				return err;
			k = whole * FAT_SECTOR;
			lba += whole - 1;
		} else {
			if ((k != FAT_SECTOR || !write) && (err = fat_dev_rw(m, false, lba, 1, sec)))
				return err;
			if (!write)
				memcpy(buf, sec + so, k);
			else {
				if (buf)
					memcpy(sec + so, buf, k);
				else
					memset(sec + so, 0, k);
				if ((err = fat_write(m, lba, 1, sec)))
					return err;
			}
		}
		if (buf)
			buf += k;
		n -= k;
		so = 0;
		lba++;
	}
	return E_OK;
}

#define RUN_MAX (64u << 10)

/* bytes [off, off + len) of the chain at first, which holds them; the
 * clusters that follow each other on the disk go in one request (up to
 * RUN_MAX bytes) */
static int
chain_io(struct fat_mnt *m, uint32_t first, uint64_t off, uint8_t *buf, uint64_t len, bool write)
{
	uint32_t cb = m->g.cluster_bytes;
	while (len) {
		uint32_t c, co = (uint32_t)(off % cb), idx = (uint32_t)(off / cb);
		uint32_t k = (uint32_t)MIN(len, (uint64_t)(cb - co));
		int err = fat_chain_at(m, first, idx, &c);
		if (err)
			return err == E_RANGE ? E_CORRUPT : err; /* a size beyond the chain */
		for (uint32_t last = c, next; k < len && k + cb <= RUN_MAX; last = next) {
			if (fat_chain_at(m, first, ++idx, &next) || next != last + 1)
				break;          /* (an error is the next round's to report) */
			k += (uint32_t)MIN(len - k, (uint64_t)cb);
		}
		if ((err = data_io(m, c, co, buf, k, write)))
			return err;
		off += k;
		len -= k;
		if (buf)
			buf += k;
	}
	return E_OK;
}

/* a write's bytes: below split in the chain at first, from split on in
 * the new chain at head (not linked yet) */
static int
file_io(struct fat_mnt *m, uint32_t first, uint32_t head, uint64_t split, uint64_t off, uint8_t *buf, uint64_t len)
{
	int err;
	if (off < split) {
		uint64_t k = MIN(len, split - off);
		if ((err = chain_io(m, first, off, buf, k, true)))
			return err;
		off += k;
		len -= k;
		if (buf)
			buf += k;
	}
	return len ? chain_io(m, head, off - split, buf, len, true) : E_OK;
}

int
fat_file_rw(struct fat_mnt *m, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done)
{
	uint8_t ent[FAT_DENT];
	*done = 0;
	int err = fat_node_entry(m, n, ent);
	if (err)
		return err;
	if (ent[11] & FAT_ATTR_DIR)
		return E_ISDIR;
	uint32_t size = le32(ent + 28), first = fat_ent_first(ent);
	if (off >= size || !len)
		return E_OK;
	if (!first)
		return E_CORRUPT;               /* a size without clusters */
	uint64_t k = MIN((uint64_t)len, size - off);
	if ((err = chain_io(m, first, off, buf, k, false)))
		return err;
	*done = (size_t)k;
	return E_OK;
}

static int
entry_set(struct fat_mnt *m, uint32_t dir, uint32_t idx, uint32_t first, uint32_t size)
{
	uint8_t ent[FAT_DENT];
	int err = fat_dir_entry(m, dir, idx, false, ent);
	if (err)
		return err;
	fat_ent_set_first(ent, first);
	put32(ent + 28, size);
	return fat_dir_entry(m, dir, idx, true, ent);
}

int
fat_intent_entry(struct fat_mnt *m, const struct fat_intent *in)
{
	return entry_set(m, in->ent_dir, in->ent_idx, in->ent_first, in->ent_size);
}

/* the entry of a file a request will change */
static int
file_to_change(struct fat_mnt *m, const struct fs_node *n, uint8_t *ent)
{
	int err = fat_node_entry(m, n, ent);
	if (err)
		return err;
	return ent[11] & FAT_ATTR_DIR ? E_ISDIR : m->ro ? E_ROFS : E_OK;
}

/* a NULL buf writes zeros (truncate growing a file) */
int
fat_file_write(struct fat_mnt *m, struct fs_node *n, uint64_t off, const void *buf, size_t len, size_t *done)
{
	uint8_t ent[FAT_DENT];
	*done = 0;
	int err = file_to_change(m, n, ent);
	if (err)
		return err;
	if (!len)
		return E_OK;
	if (off > FAT_MAX_FILE || len > FAT_MAX_FILE - off)
		return E_RANGE;                 /* FAT32 files end below 4 GiB */
	uint32_t size = le32(ent + 28), first = fat_ent_first(ent), cb = m->g.cluster_bytes;
	uint32_t len_c, last;
	if ((err = fat_chain_len(m, first, &len_c, &last)))
		return err;
	if ((uint64_t)len_c * cb < size)
		return E_CORRUPT;               /* a size beyond the chain */
	uint64_t end = off + len, new_size = MAX((uint64_t)size, end);
	uint32_t need = (uint32_t)DIV_ROUND_UP(new_size, cb);
	uint32_t head = 0;
	struct fat_intent in = {
		.set_entry = 1, .ent_dir = (uint32_t)n->a, .ent_idx = (uint32_t)n->b, .ent_first = first,
		.ent_size = size, .tail = last,
	};
	if (need > len_c) {
		if ((err = fat_touch(m)) || (err = fat_intent_set(m, &in)))
			return err;
		fat_batch_begin(m);
		for (uint32_t k = len_c, prev = 0; k < need; k++) {
			uint32_t x;
			if ((err = fat_find_free(m, &x)))
				return fat_undo(m, err);
			if (!head) {
				in.orphan = head = x;
				if ((err = fat_intent_set(m, &in)))
					return fat_undo(m, err);
			} else if ((err = fat_set(m, prev, x)))   /* linked, then marked: a */
				return fat_undo(m, err);         /* fault between leaks nothing */
			if ((err = fat_set(m, x, FAT_MASK)))
				return fat_undo(m, err);
			prev = x;
		}
		if ((err = fat_batch_end(m)))
			return fat_undo(m, err);
	}
	/* the data (a gap after the old end reads as zeros), the part past
	 * the old chain into the new one; then the link and the entry, two
	 * writes in a row (docs/files-fat32.md, "Write ordering") */
	bool grow = need > len_c;
	uint64_t split = (uint64_t)len_c * cb;
	if (off > size && (err = file_io(m, first, head, split, size, NULL, off - size)))
		return grow ? fat_undo(m, err) : err;
	if ((err = file_io(m, first, head, split, off, (uint8_t *)(uintptr_t)buf, len)))
		return grow ? fat_undo(m, err) : err;
	uint32_t new_first = first ? first : head;
	if (grow && first && (err = fat_set(m, last, head)))
		return fat_undo(m, err);
	if (new_size != size || new_first != first) {
		if ((err = entry_set(m, (uint32_t)n->a, (uint32_t)n->b, new_first, (uint32_t)new_size)))
			return grow ? fat_undo(m, err) : err;
	}
	if (need > len_c)
		fat_intent_end(m);
	n->id = new_first;
	*done = len;
	return E_OK;
}

int
fat_file_truncate(struct fat_mnt *m, struct fs_node *n, uint64_t size)
{
	uint8_t ent[FAT_DENT];
	int err = file_to_change(m, n, ent);
	if (err)
		return err;
	uint32_t old = le32(ent + 28), first = fat_ent_first(ent);
	size_t done;
	if (size > old)
		return fat_file_write(m, n, old, NULL, (size_t)(size - old), &done);
	if (size == old)
		return E_OK;
	/* the entry first, then the end of the chain, then the rest freed */
	uint32_t keep = (uint32_t)DIV_ROUND_UP(size, m->g.cluster_bytes), tail = 0, rest = first, v;
	if (keep) {
		if ((err = fat_chain_at(m, first, keep - 1, &tail)) || (err = fat_get(m, tail, &v)))
			return err == E_RANGE ? E_CORRUPT : err;
		rest = v < FAT_EOC && fat_valid(m, v) ? v : 0;
	}
	struct fat_intent in = {
		.set_entry = 1, .ent_dir = (uint32_t)n->a, .ent_idx = (uint32_t)n->b,
		.ent_first = keep ? first : 0, .ent_size = (uint32_t)size, .tail = tail, .orphan = rest,
	};
	if ((err = fat_touch(m)) || (err = fat_intent_set(m, &in)))
		return err;
	if ((err = fat_intent_entry(m, &in)) || (tail && (err = fat_set(m, tail, FAT_MASK))) ||
	    (rest && (err = fat_free_orphan(m, rest, 0))))
		return fat_undo(m, err);        /* finished by the replay if it can be */
	fat_intent_end(m);
	n->id = in.ent_first;
	return E_OK;
}
