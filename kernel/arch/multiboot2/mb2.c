/*
 * mb2.c: multiboot2 boot information parser. Every length is checked
 * against the bytes actually available before it is used: the same code
 * is fed random bytes by the host fuzzer.
 */
#include "multiboot2.h"
#include "base.h"
#include "klibc.h"

enum {
	TAG_END = 0,
	TAG_CMDLINE = 1,
	TAG_LOADER = 2,
	TAG_MODULE = 3,
	TAG_MMAP = 6,
	TAG_FRAMEBUFFER = 8,
	TAG_ACPI_OLD = 14,
	TAG_ACPI_NEW = 15,
};

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* copy a NUL-terminated string that must end within [p, p+len) */
static int
copy_str(char *dst, size_t cap, const uint8_t *p, size_t len)
{
	size_t n = strnlen((const char *)p, len);
	if (n == len)
		return E_FORMAT; /* unterminated */
	if (n >= cap)
		return E_NOSPC;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return E_OK;
}

static int
parse_mmap(const uint8_t *t, uint32_t size, struct boot_info *out)
{
	if (size < 16)
		return E_FORMAT;
	uint32_t esz = rd32(t + 8);
	if (esz < 24 || esz % 8)
		return E_FORMAT;
	/* off <= size always holds; `off + esz <= size` could wrap around */
	for (uint32_t off = 16; esz <= size - off; off += esz) {
		if (out->nmmap == MB2_MAX_MMAP)
			return E_NOSPC;
		struct mb2_mmap_entry *e = &out->mmap[out->nmmap++];
		e->base = rd64(t + off);
		e->len = rd64(t + off + 8);
		e->type = rd32(t + off + 16);
		if (e->base + e->len < e->base)
			return E_FORMAT; /* wraps around */
	}
	return E_OK;
}

/* framebuffer: addr, pitch, width, height, bpp, type, reserved (u16),
 * then for RGB the six colour-field bytes. A geometry whose last line
 * would wrap the address space, or a pitch shorter than a line of
 * pixels, is malformed. */
static int
parse_fb(const uint8_t *t, uint32_t size, struct boot_info *out)
{
	if (size < 32)
		return E_FORMAT;
	struct mb2_framebuffer fb = {
		.addr = rd64(t + 8), .pitch = rd32(t + 16), .width = rd32(t + 20),
		.height = rd32(t + 24), .bpp = t[28], .type = t[29],
	};
	if (fb.type == MB2_FB_RGB) {
		if (size < 38)
			return E_FORMAT;
		fb.red_pos = t[32];
		fb.red_size = t[33];
		fb.green_pos = t[34];
		fb.green_size = t[35];
		fb.blue_pos = t[36];
		fb.blue_size = t[37];
	}
	uint64_t line = fb.type == MB2_FB_EGA_TEXT ? (uint64_t)fb.width * 2 : ((uint64_t)fb.width * fb.bpp + 7) / 8;
	if (fb.type > MB2_FB_EGA_TEXT || fb.pitch < line || fb.height == 0 ||
	    fb.addr + (uint64_t)fb.pitch * fb.height < fb.addr)
		return E_FORMAT;
	out->fb = fb;
	return E_OK;
}

static int
parse_tag(const uint8_t *t, uint32_t type, uint32_t size, struct boot_info *out)
{
	switch (type) {
	case TAG_CMDLINE:
		return copy_str(out->cmdline, sizeof(out->cmdline), t + 8, size - 8);
	case TAG_LOADER:
		return copy_str(out->loader, sizeof(out->loader), t + 8, size - 8);
	case TAG_MODULE: {
		if (size < 17)
			return E_FORMAT;
		if (out->nmodules == MB2_MAX_MODULES)
			return E_NOSPC;
		struct mb2_module *m = &out->modules[out->nmodules];
		m->start = rd32(t + 8);
		m->end = rd32(t + 12);
		if (m->end < m->start)
			return E_FORMAT;
		int err = copy_str(m->name, sizeof(m->name), t + 16, size - 16);
		if (err)
			return err;
		out->nmodules++;
		return E_OK;
	}
	case TAG_MMAP:
		return parse_mmap(t, size, out);
	case TAG_FRAMEBUFFER:
		return parse_fb(t, size, out);
	case TAG_ACPI_OLD:
	case TAG_ACPI_NEW: {
		size_t n = size - 8;
		if (n > sizeof(out->rsdp))
			n = sizeof(out->rsdp);
		/* prefer the v2 RSDP if both are present */
		if (type == TAG_ACPI_OLD && out->rsdp_len > 20)
			return E_OK;
		memcpy(out->rsdp, t + 8, n);
		out->rsdp_len = n;
		return E_OK;
	}
	default:
		return E_OK; /* tags we do not use */
	}
}

int
mb2_parse(const void *info, size_t avail, uint64_t info_phys, struct boot_info *out)
{
	const uint8_t *p = info;

	memset(out, 0, sizeof(*out));
	out->fb.type = MB2_FB_NONE;
	if (avail < 8)
		return E_FORMAT;
	uint32_t total = rd32(p);
	if (total < 16 || total > avail)
		return E_FORMAT;
	out->info_phys = info_phys;
	out->info_size = total;

	for (uint32_t off = 8; off + 8 <= total;) {
		uint32_t type = rd32(p + off);
		uint32_t size = rd32(p + off + 4);
		if (size < 8 || size > total - off)
			return E_FORMAT;
		if (type == TAG_END)
			return size == 8 ? E_OK : E_FORMAT;
		int err = parse_tag(p + off, type, size, out);
		if (err)
			return err;
		off += ALIGN_UP(size, 8u);
	}
	return E_FORMAT; /* no end tag */
}

const char *
mb2_mem_type_str(uint32_t type)
{
	switch (type) {
	case MB2_MEM_AVAILABLE: return "available";
	case MB2_MEM_RESERVED: return "reserved";
	case MB2_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
	case MB2_MEM_NVS: return "ACPI NVS";
	case MB2_MEM_BADRAM: return "bad RAM";
	default: return "unknown";
	}
}

bool
mb2_cmdline_has(const char *cmdline, const char *key)
{
	size_t klen = strlen(key);
	const char *s = cmdline;

	while (*s) {
		while (*s == ' ')
			s++;
		/* "key" matches "key", "key=..." ; "key=v" matches exactly */
		if (!strncmp(s, key, klen) &&
		    (s[klen] == '\0' || s[klen] == ' ' || (s[klen] == '=' && !strchr(key, '='))))
			return true;
		while (*s && *s != ' ')
			s++;
	}
	return false;
}
