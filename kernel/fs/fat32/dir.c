/*
 * dir.c: directories as arrays of 32-byte entries along their cluster
 * chain (index 0 is the first entry of the first cluster), VFAT long
 * names (LFN entries before their short entry, in descending order, each
 * with the short name's checksum) and 8.3 short names with ~N tails.
 * An LFN run that is out of sequence, has a wrong checksum or holds a
 * character no name may have is ignored: the entry goes by its short
 * name, as other systems do. A directory holds at most 65536 entries.
 */
#include "fat_int.h"

#define DIR_MAX 65536u

static uint8_t upper(uint8_t c) { return c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c; }

static bool
name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (upper((uint8_t)*a) != upper((uint8_t)*b))
			return false;
	return *a == *b;
}

/* the sector holding entry idx: E_NOENT past the directory's end */
static int
dir_lba(struct fat_mnt *m, uint32_t dir, uint32_t idx, uint64_t *lba)
{
	if (idx >= DIR_MAX)
		return E_NOENT;
	uint32_t per = m->g.cluster_bytes / FAT_DENT, c;
	int err = fat_chain_at(m, dir, idx / per, &c);
	if (err)
		return err == E_RANGE ? E_NOENT : err;
	*lba = fat_lba(m, c) + (idx % per) * FAT_DENT / FAT_SECTOR;
	return E_OK;
}

/* a sector of a directory, read once for the entries it holds */
struct dsec {
	uint64_t lba;             /* 0: none */
	bool dirty;
	uint8_t b[FAT_SECTOR] __aligned(8);
};

static int
dsec_flush(struct fat_mnt *m, struct dsec *s)
{
	int err = s->dirty ? fat_write(m, s->lba, 1, s->b) : E_OK;
	s->dirty = false;
	return err;
}

static int
dsec_entry(struct fat_mnt *m, uint32_t dir, uint32_t idx, struct dsec *s, uint8_t **ent)
{
	uint64_t lba;
	int err = dir_lba(m, dir, idx, &lba);
	if (err)
		return err;
	if (s->lba != lba) {
		if ((err = dsec_flush(m, s)))
			return err;
		s->lba = 0;
		if (m->dir_cached == lba + 1)   /* the mount's copy of the last one read */
			memcpy(s->b, m->dir_buf, FAT_SECTOR);
		else {
			m->dir_cached = 0;
			if ((err = fat_dev_rw(m, false, lba, 1, m->dir_buf)))
				return err;
			m->dir_cached = lba + 1;
			memcpy(s->b, m->dir_buf, FAT_SECTOR);
		}
		s->lba = lba;
	}
	*ent = s->b + (idx * FAT_DENT) % FAT_SECTOR;
	return E_OK;
}

int
fat_dir_entry(struct fat_mnt *m, uint32_t dir, uint32_t idx, bool write, uint8_t *ent)
{
	struct dsec s = { 0 };
	uint8_t *e;
	int err = dsec_entry(m, dir, idx, &s, &e);
	if (err)
		return err;
	if (!write) {
		memcpy(ent, e, FAT_DENT);
		return E_OK;
	}
	memcpy(e, ent, FAT_DENT);
	s.dirty = true;
	return dsec_flush(m, &s);
}

uint8_t
fat_lfn_sum(const uint8_t *n)
{
	uint8_t sum = 0;
	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + n[i]);
	return sum;
}

static const uint8_t lfn_off[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

/* UCS-2 to UTF-8; false if it does not fit or holds a forbidden character */
static bool
ucs2_to_utf8(const uint16_t *u, uint32_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t c = u[i];
		if (c < 0x20 || c == '/' || c == '\\' || (c >= 0xD800 && c <= 0xDFFF))
			return false;
		if (c < 0x80 && o + 1 < cap)
			out[o++] = (char)c;
		else if (c < 0x800 && o + 2 < cap) {
			out[o++] = (char)(0xC0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else if (c >= 0x800 && o + 3 < cap) {
			out[o++] = (char)(0xE0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else
			return false;
	}
	out[o] = 0;
	return n > 0;
}

/* UTF-8 to UCS-2: the count, or an error */
static int
utf8_to_ucs2(const char *s, uint16_t *u, uint32_t cap, uint32_t *n)
{
	uint32_t k = 0;
	for (const uint8_t *p = (const uint8_t *)s; *p;) {
		uint32_t c;
		if (*p < 0x80)
			c = *p++;
		else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
			c = (uint32_t)(*p & 0x1F) << 6 | (p[1] & 0x3F);
			p += 2;
			if (c < 0x80)
				return E_INVAL;
		} else if ((*p & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
			c = (uint32_t)(*p & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
			p += 3;
			if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))
				return E_INVAL;
		} else
			return E_INVAL;         /* malformed, or outside the BMP */
		if (k == cap)
			return E_NAMETOOLONG;
		u[k++] = (uint16_t)c;
	}
	*n = k;
	return E_OK;
}

int
fat_name_check(const char *name)
{
	size_t len = strnlen(name, FS_NAME_MAX + 1);
	if (!len)
		return E_INVAL;
	if (len > FS_NAME_MAX)
		return E_NAMETOOLONG;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return E_INVAL;
	if (name[len - 1] == ' ' || name[len - 1] == '.')
		return E_INVAL;                 /* FAT drops them: refused rather than changed */
	for (const char *p = name; *p; p++)
		if ((uint8_t)*p < 0x20 || strchr("\"*/:<>?\\|", *p))
			return E_INVAL;
	uint16_t u[FS_NAME_MAX];
	uint32_t n;
	return utf8_to_ucs2(name, u, FS_NAME_MAX, &n);
}

/* "NAME.EXT" from the 11 bytes; lower-case parts as the NT flags say */
static void
short_format(const uint8_t *e, char *out, bool flags)
{
	size_t o = 0;
	for (int i = 0; i < 8 && e[i] != ' '; i++) {
		uint8_t c = i == 0 && e[0] == 0x05 ? 0xE5 : e[i];
		out[o++] = (char)(flags && (e[12] & 0x08) && c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (e[8] != ' ')
		out[o++] = '.';
	for (int i = 8; i < 11 && e[i] != ' '; i++)
		out[o++] = (char)(flags && (e[12] & 0x10) && e[i] >= 'A' && e[i] <= 'Z' ? e[i] + 32 : e[i]);
	out[o] = 0;
}

int
fat_dir_next(struct fat_mnt *m, uint32_t dir, uint32_t *idx, struct fat_found *f)
{
	struct dsec s = { 0 };
	uint16_t u[FAT_LFN_MAX_SLOTS * 13];
	uint32_t want = 0, nlfn = 0, first = 0;   /* next LFN ordinal expected, slots seen */
	uint8_t sum = 0;
	for (uint32_t i = *idx;; i++) {
		uint8_t *e;
		int err = dsec_entry(m, dir, i, &s, &e);
		if (err)
			return err;
		if (e[0] == 0)
			return E_NOENT;
		if (e[0] == 0xE5) {
			want = 0;
			continue;
		}
		if ((e[11] & 0x3F) == FAT_ATTR_LFN) {
			uint32_t ord = e[0] & 0x1F;
			if ((e[0] & 0x40) && ord >= 1 && ord <= FAT_LFN_MAX_SLOTS) {
				want = ord;
				nlfn = ord;
				sum = e[13];
				first = i;
				for (uint32_t k = 0; k < ord * 13; k++)
					u[k] = 0xFFFF;
			} else if (!want || ord != want || e[13] != sum) {
				want = 0;           /* out of sequence: ignored */
				continue;
			}
			for (int k = 0; k < 13; k++)
				u[(ord - 1) * 13 + k] = le16(e + lfn_off[k]);
			want = ord - 1 ? ord - 1 : FAT_LFN_MAX_SLOTS + 1; /* +1: complete */
			continue;
		}
		bool lfn = want == FAT_LFN_MAX_SLOTS + 1 && fat_lfn_sum(e) == sum;
		want = 0;
		if (e[11] & FAT_ATTR_VOLUME)
			continue;
		memcpy(f->ent, e, FAT_DENT);
		short_format(e, f->sname, false);
		f->idx = i;
		f->nslots = 1;
		if (lfn) {
			uint32_t n = 0;
			while (n < nlfn * 13 && u[n] != 0 && u[n] != 0xFFFF)
				n++;
			if (ucs2_to_utf8(u, n, f->name, sizeof(f->name)))
				f->nslots = i - first + 1;
			else
				lfn = false;
		}
		if (!lfn)
			short_format(e, f->name, true);
		*idx = i + 1;
		return E_OK;
	}
}

int
fat_dir_find(struct fat_mnt *m, uint32_t dir, const char *name, struct fat_found *f)
{
	for (uint32_t i = 0;;) {
		int err = fat_dir_next(m, dir, &i, f);
		if (err)
			return err;
		if (name_eq(f->name, name) || name_eq(f->sname, name))
			return E_OK;
	}
}

int
fat_dir_empty(struct fat_mnt *m, uint32_t dir)
{
	struct fat_found f;
	for (uint32_t i = 0;;) {
		int err = fat_dir_next(m, dir, &i, &f);
		if (err)
			return err == E_NOENT ? E_OK : err;
		if (strcmp(f.sname, ".") && strcmp(f.sname, ".."))
			return E_NOTEMPTY;
	}
}

static bool
short_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!#$%&'()-@^_`{}~", c);
}

/* one part of the basis name: upper case, spaces and invalid characters
 * dropped or made '_', truncated to cap; *lossy when anything changed
 * beyond case, *lower when the name had lower case */
static size_t
basis_part(const char *s, size_t len, uint8_t *out, size_t cap, bool *lossy, bool *lower)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == ' ' || c == '.') {
			*lossy = true;
			continue;
		}
		if (c >= 0x80) {
			while (i + 1 < len && ((uint8_t)s[i + 1] & 0xC0) == 0x80)
				i++;
			c = '_';
			*lossy = true;
		} else if (c >= 'a' && c <= 'z') {
			*lower = true;
			c = upper(c);
		} else if (!short_char(c)) {
			c = '_';
			*lossy = true;
		}
		if (o == cap) {
			*lossy = true;
			break;
		}
		out[o++] = c;
	}
	return o;
}

static int
short_taken(struct fat_mnt *m, uint32_t dir, const uint8_t *n11)
{
	struct fat_found f;
	for (uint32_t i = 0;;) {
		int err = fat_dir_next(m, dir, &i, &f);
		if (err)
			return err == E_NOENT ? E_OK : err;
		if (!memcmp(f.ent, n11, 11))
			return E_EXIST;
	}
}

int
fat_short_name(struct fat_mnt *m, uint32_t dir, const char *name, uint8_t *ent, uint32_t *nslots)
{
	int err = fat_name_check(name);
	if (err)
		return err;
	size_t len = strlen(name);
	const char *dot = NULL;
	for (const char *p = name; *p; p++)
		if (*p == '.' && p != name)
			dot = p;
	bool lossy = false, lower = false;
	uint8_t base[8], ext[3];
	size_t bl = basis_part(name, dot ? (size_t)(dot - name) : len, base, 8, &lossy, &lower);
	size_t el = dot ? basis_part(dot + 1, len - (size_t)(dot - name) - 1, ext, 3, &lossy, &lower) : 0;
	if (!bl) {
		base[bl++] = '_';
		lossy = true;
	}
	memset(ent, ' ', 11);
	memcpy(ent, base, bl);
	memcpy(ent + 8, ext, el);
	if (ent[0] == 0xE5)
		ent[0] = 0x05;
	uint16_t u[FS_NAME_MAX];
	uint32_t nu;
	if ((err = utf8_to_ucs2(name, u, FS_NAME_MAX, &nu)))
		return err;
	*nslots = lossy || lower ? DIV_ROUND_UP(nu, 13) + 1 : 1;
	if (!lossy) {
		err = short_taken(m, dir, ent);
		if (err != E_EXIST)
			return err;
		if (*nslots == 1)
			return E_EXIST;
	}
	*nslots = DIV_ROUND_UP(nu, 13) + 1;
	for (uint32_t n = 1; n <= 999999; n++) {
		char tail[8];
		size_t tl = 0;
		for (uint32_t v = n; v; v /= 10)
			tail[tl++] = (char)('0' + v % 10);
		tail[tl++] = '~';
		size_t keep = MIN(bl, 8 - tl);
		memset(ent, ' ', 8);
		memcpy(ent, base, keep);
		for (size_t k = 0; k < tl; k++)
			ent[keep + k] = (uint8_t)tail[tl - 1 - k];
		err = short_taken(m, dir, ent);
		if (err != E_EXIST)
			return err;
	}
	return E_NOSPC;
}

/* a run of nslots free entries (deleted, or past the end marker) */
int
fat_dir_room(struct fat_mnt *m, uint32_t dir, uint32_t nslots, uint32_t *idx)
{
	struct dsec s = { 0 };
	uint32_t run = 0;
	for (uint32_t i = 0; i < DIR_MAX; i++) {
		uint8_t *e;
		int err = dsec_entry(m, dir, i, &s, &e);
		if (err == E_NOENT) {
			/* grow the directory by a zeroed cluster: a change of its own */
			uint32_t len, last, x;
			if ((err = fat_chain_len(m, dir, &len, &last)) || (err = fat_find_free(m, &x)) ||
			    (err = fat_touch(m)) || (err = fat_zero_cluster(m, x)))
				return err;
			struct fat_intent in = { .tail = last, .orphan = x };
			if ((err = fat_intent_set(m, &in)) || (err = fat_set(m, x, FAT_MASK)) ||
			    (err = fat_set(m, last, x)))
				return err;
			fat_intent_end(m);
			err = dsec_entry(m, dir, i, &s, &e);
		}
		if (err)
			return err;
		run = e[0] == 0 || e[0] == 0xE5 ? run + 1 : 0;
		if (run == nslots) {
			*idx = i + 1 - nslots;
			return E_OK;
		}
	}
	return E_NOSPC;
}

int
fat_dir_write(struct fat_mnt *m, uint32_t dir, uint32_t idx, const char *name, const uint8_t *ent, uint32_t nslots)
{
	uint16_t u[FS_NAME_MAX];
	uint32_t nu = 0;
	int err = nslots > 1 ? utf8_to_ucs2(name, u, FS_NAME_MAX, &nu) : E_OK;
	if (err)
		return err;
	uint8_t sum = fat_lfn_sum(ent);
	struct dsec s = { 0 };
	for (uint32_t k = 0; k < nslots; k++) {
		uint8_t *e;
		if ((err = dsec_entry(m, dir, idx + k, &s, &e)))
			return err;
		s.dirty = true;
		if (k == nslots - 1) {
			memcpy(e, ent, FAT_DENT);
			break;
		}
		uint32_t ord = nslots - 1 - k;
		memset(e, 0, FAT_DENT);
		e[0] = (uint8_t)(ord | (k == 0 ? 0x40 : 0));
		e[11] = FAT_ATTR_LFN;
		e[13] = sum;
		for (uint32_t c = 0; c < 13; c++) {
			uint32_t at = (ord - 1) * 13 + c;
			put16(e + lfn_off[c], at < nu ? u[at] : at == nu ? 0 : 0xFFFF);
		}
	}
	return dsec_flush(m, &s);
}

int
fat_dir_delete(struct fat_mnt *m, uint32_t dir, uint32_t idx, uint32_t n)
{
	struct dsec s = { 0 };
	for (uint32_t k = 0; k < n; k++) {
		uint8_t *e;
		int err = dsec_entry(m, dir, idx + k, &s, &e);
		if (err)
			return err;
		e[0] = 0xE5;
		s.dirty = true;
	}
	return dsec_flush(m, &s);
}
