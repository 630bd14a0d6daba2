/*
 * fat.c: the file allocation table and cluster chains. Reads go through
 * a one-sector cache; a change is written to every FAT copy (write
 * through, the cache updated only once the disk has it). Every chain walk
 * is bounded by the number of clusters, and every link is checked: a
 * loop, a link out of range, a free or bad cluster inside a chain is
 * E_CORRUPT.
 */
#include "fat_int.h"

int
fat_write(struct fat_mnt *m, uint64_t lba, uint32_t n, const void *buf)
{
	int err = fat_dev_rw(m, true, lba, n, (void *)(uintptr_t)buf);
	uint64_t d = m->dir_cached;
	if (d && d - 1 >= lba && d - 1 < lba + n) {
		if (err)
			m->dir_cached = 0;
		else
			memcpy(m->dir_buf, (const uint8_t *)buf + (d - 1 - lba) * FAT_SECTOR, FAT_SECTOR);
	}
	return err;
}

/* the cached FAT sector to every copy */
static int
fat_flush(struct fat_mnt *m)
{
	if (!m->fat_dirty)
		return E_OK;
	for (uint32_t i = 0; i < m->g.nfats; i++) {
		int err = fat_write(m, m->g.reserved + (uint64_t)i * m->g.fat_sz + m->fat_cached - 1, 1, m->fat_buf);
		if (err) {
			m->fat_cached = 0;
			m->fat_dirty = false;
			return err;
		}
	}
	m->fat_dirty = false;
	return E_OK;
}

void
fat_batch_begin(struct fat_mnt *m)
{
	m->fat_batch = true;
}

int
fat_batch_end(struct fat_mnt *m)
{
	m->fat_batch = false;
	return fat_flush(m);
}

static int
fat_sector(struct fat_mnt *m, uint32_t c, uint32_t *sec, uint32_t *off)
{
	if (c > m->g.nclusters + 1)
		return E_CORRUPT;
	*sec = c / (FAT_SECTOR / 4);
	*off = (c % (FAT_SECTOR / 4)) * 4;
	if (m->fat_cached != *sec + 1) {
		int err = fat_flush(m);
		if (err)
			return err;
		err = fat_dev_rw(m, false, m->g.reserved + *sec, 1, m->fat_buf);
		if (err) {
			m->fat_cached = 0;
			return err;
		}
		m->fat_cached = *sec + 1;
	}
	return E_OK;
}

int
fat_get(struct fat_mnt *m, uint32_t c, uint32_t *val)
{
	uint32_t sec, off;
	int err = fat_sector(m, c, &sec, &off);
	if (!err)
		*val = le32(m->fat_buf + off) & FAT_MASK;
	return err;
}

int
fat_set(struct fat_mnt *m, uint32_t c, uint32_t val)
{
	uint32_t sec, off;
	int err = fat_sector(m, c, &sec, &off);
	if (err)
		return err;
	if (m->fat_batch) {
		put32(m->fat_buf + off, (le32(m->fat_buf + off) & ~FAT_MASK) | (val & FAT_MASK));
		m->fat_dirty = true;
		return E_OK;
	}
	uint8_t copy[FAT_SECTOR] __aligned(8);
	memcpy(copy, m->fat_buf, FAT_SECTOR);
	put32(copy + off, (le32(copy + off) & ~FAT_MASK) | (val & FAT_MASK)); /* the top 4 bits are kept */
	for (uint32_t i = 0; i < m->g.nfats; i++) {
		err = fat_write(m, m->g.reserved + (uint64_t)i * m->g.fat_sz + sec, 1, copy);
		if (err) {
			m->fat_cached = 0;
			return err;
		}
	}
	memcpy(m->fat_buf, copy, FAT_SECTOR);
	return E_OK;
}

int
fat_next(struct fat_mnt *m, uint32_t c, uint32_t *next)
{
	if (!fat_valid(m, c))
		return E_CORRUPT;
	uint32_t v;
	int err = fat_get(m, c, &v);
	if (err)
		return err;
	if (v >= FAT_EOC) {
		*next = 0;
		return E_OK;
	}
	if (!fat_valid(m, v))
		return E_CORRUPT;                       /* free, bad, reserved or out of range */
	*next = v;
	return E_OK;
}

int
fat_chain_len(struct fat_mnt *m, uint32_t first, uint32_t *len, uint32_t *last)
{
	*len = 0;
	*last = 0;
	for (uint32_t c = first; c;) {
		if (*len > m->g.nclusters)
			return E_CORRUPT;               /* longer than the disk: a loop */
		*last = c;
		(*len)++;
		int err = fat_next(m, c, &c);
		if (err)
			return err;
	}
	return E_OK;
}

/* the index-th cluster of the chain at first (a cache of the last
 * position found makes sequential access linear) */
int
fat_chain_at(struct fat_mnt *m, uint32_t first, uint32_t index, uint32_t *out)
{
	uint32_t c = first, i = 0;
	if (m->pos_first == first && first && m->pos_index <= index) {
		c = m->pos_cluster;
		i = m->pos_index;
	}
	if (!fat_valid(m, c) || index > m->g.nclusters)
		return E_CORRUPT;
	for (; i < index; i++) {
		int err = fat_next(m, c, &c);
		if (err)
			return err;
		if (!c)
			return E_RANGE;                 /* the chain ends before index */
	}
	m->pos_first = first;
	m->pos_index = index;
	m->pos_cluster = c;
	*out = c;
	return E_OK;
}

int
fat_find_free(struct fat_mnt *m, uint32_t *out)
{
	uint32_t n = m->g.nclusters, start = m->next_free;
	if (start < 2 || start > n + 1)
		start = 2;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t c = 2 + (start - 2 + k) % n, v;
		int err = fat_get(m, c, &v);
		if (err)
			return err;
		if (v == 0) {
			m->next_free = c + 1;
			*out = c;
			return E_OK;
		}
	}
	return E_NOSPC;
}

/* free the intent's orphan chain from first, recording the progress in
 * the intent so that a replay after a fault here goes on where it
 * stopped: an entry that already reads free (in the first FAT) is written
 * free in every copy too (a fault between the copies' writes leaves them
 * different), and the walk goes on at `next` if it was recorded */
int
fat_free_orphan(struct fat_mnt *m, uint32_t first, uint32_t next)
{
	struct fat_intent *in = fat_intent_slot(m);
	uint32_t c = first;
	for (uint32_t k = 0; fat_valid(m, c); k++) {
		if (k > m->g.nclusters + 1)
			return E_CORRUPT;
		uint32_t v;
		int err = fat_get(m, c, &v);
		if (err)
			return err;
		if (v == 0) {
			if ((err = fat_set(m, c, 0)))
				return err;
			if (!next || next == c)
				return E_OK;
			c = next;
			next = 0;
			continue;
		}
		uint32_t nx = v < FAT_EOC && fat_valid(m, v) ? v : 0;
		if (in) {
			__atomic_store_n(&in->orphan, c, __ATOMIC_RELEASE);
			__atomic_store_n(&in->orphan_next, nx, __ATOMIC_RELEASE);
		}
		if ((err = fat_set(m, c, 0)))
			return err;
		if (m->pos_first == first || m->pos_cluster == c)
			m->pos_first = 0;
		c = nx;
		next = 0;
	}
	return E_OK;
}

int
fat_count_free(struct fat_mnt *m, uint32_t *free)
{
	uint32_t n = 0;
	for (uint32_t c = 2; c <= m->g.nclusters + 1; c++) {
		uint32_t v;
		int err = fat_get(m, c, &v);
		if (err)
			return err;
		n += v == 0;
	}
	*free = n;
	return E_OK;
}

int
fat_zero_cluster(struct fat_mnt *m, uint32_t c)
{
	uint8_t z[FAT_SECTOR] __aligned(8);
	memset(z, 0, sizeof(z));
	for (uint32_t s = 0; s < m->g.spc; s++) {
		int err = fat_write(m, fat_lba(m, c) + s, 1, z);
		if (err)
			return err;
	}
	return E_OK;
}

int
fat_touch(struct fat_mnt *m)
{
	if (m->ro)
		return E_ROFS;
	if (m->dirty)
		return E_OK;
	int err = fat_fsinfo_write(m, 0xFFFFFFFF, 0xFFFFFFFF);
	if (!err)
		m->dirty = true;
	return err;
}

void
fat_caches_drop(struct fat_mnt *m)
{
	m->fat_cached = 0;
	m->fat_dirty = m->fat_batch = false;
	m->dir_cached = 0;
	m->pos_first = 0;
}
