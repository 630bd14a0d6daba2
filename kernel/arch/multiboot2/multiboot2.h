/*
 * multiboot2: parse the boot information GRUB hands us into a plain,
 * self-contained struct boot_info (copied, so the original pages can be
 * given back). Pure logic: also built and fuzzed on the host.
 * State: none (the caller owns the boot_info).
 */
#ifndef MB2_H
#define MB2_H

#include "base.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define MB2_MAX_MMAP    256
#define MB2_MAX_MODULES 256
#define MB2_NAME_MAX    64
#define MB2_CMDLINE_MAX 256

enum mb2_mem_type {
	MB2_MEM_AVAILABLE = 1,
	MB2_MEM_RESERVED = 2,
	MB2_MEM_ACPI_RECLAIMABLE = 3,
	MB2_MEM_NVS = 4,
	MB2_MEM_BADRAM = 5,
};

struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type;
};

struct mb2_module {
	uint64_t start, end; /* physical, [start, end) */
	char name[MB2_NAME_MAX];
};

/* the framebuffer GRUB set up (tag 8); type MB2_FB_NONE if there is none */
enum mb2_fb_type { MB2_FB_INDEXED = 0, MB2_FB_RGB = 1, MB2_FB_EGA_TEXT = 2, MB2_FB_NONE = 0xff };
struct mb2_framebuffer {
	uint64_t addr;                 /* physical */
	uint32_t pitch, width, height; /* bytes per line; pixels (characters for EGA text) */
	uint8_t bpp, type;
	/* RGB only: bit position and width of each colour field */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_info {
	uint64_t info_phys, info_size; /* where GRUB put the original */
	char cmdline[MB2_CMDLINE_MAX];
	char loader[MB2_NAME_MAX];
	struct mb2_mmap_entry mmap[MB2_MAX_MMAP];
	size_t nmmap;
	struct mb2_module modules[MB2_MAX_MODULES];
	size_t nmodules;
	uint8_t rsdp[36]; /* ACPI RSDP copy (v1: 20 bytes, v2: 36) */
	size_t rsdp_len;
	struct mb2_framebuffer fb;
};

/* Parse `avail` readable bytes at `info`. Returns E_OK, E_FORMAT for a
 * malformed structure, E_NOSPC if a table overflows its fixed capacity. */
int mb2_parse(const void *info, size_t avail, uint64_t info_phys,
	      struct boot_info *out) __must_check;

const char *mb2_mem_type_str(uint32_t type);
/* value of "key=value" (or presence of bare "key") in the command line */
bool mb2_cmdline_has(const char *cmdline, const char *key);

#endif
