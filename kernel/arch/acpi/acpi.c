/*
 * acpi.c: find and copy the tables; madt.c parses the MADT.
 */
#define LOG_TAG "acpi"
#include "acpi.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "multiboot2.h"
#include "memory.h"
#include "nano_core.h"

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __packed;
compile_assert(sdt_header_size, sizeof(struct sdt_header) == 36);

static struct acpi_info info;

bool
acpi_checksum_ok(const void *t, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + ((const uint8_t *)t)[i]);
	return sum == 0;
}

/* copy `len` bytes of physical memory at `phys` into a new heap buffer */
static void *
copy_phys(uint64_t phys, size_t len, int *err)
{
	uint64_t base = ALIGN_DOWN(phys, PAGE_SIZE);
	size_t span = (size_t)(phys + len - base);
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_map_phys(base, span, MP_READ, err);
	if (!mp)
		return NULL;
	const void *src = mp_as(mp, (size_t)(phys - base), len, err);
	void *dst = src ? kmalloc(len) : NULL;
	if (src && !dst)
		err_set(err, E_NOMEM);
	if (dst)
		memcpy(dst, src, len);
	return dst;
}

/* a whole table: header first (for its length), then all of it */
static void *
copy_table(uint64_t phys, const char *want, int *err)
{
	_cleanup_(kfreep) struct sdt_header *h = copy_phys(phys, sizeof(*h), err);
	if (!h)
		return NULL;
	if ((want && memcmp(h->sig, want, 4)) || h->length < sizeof(*h) || h->length > (1 << 20))
		return err_null(err, E_FORMAT);
	struct sdt_header *t = copy_phys(phys, h->length, err);
	if (t && !acpi_checksum_ok(t, t->length)) {
		log_warn("table %.4s at %#lx: bad checksum", t->sig, phys);
		kfree(t);
		return err_null(err, E_FORMAT);
	}
	return t;
}

int
acpi_init(void)
{
	const struct boot_info *bi = nano_core_boot_info();
	if (bi->rsdp_len < 20 || memcmp(bi->rsdp, "RSD PTR ", 8) || !acpi_checksum_ok(bi->rsdp, 20))
		return E_NOENT;
	uint8_t rev = bi->rsdp[15];
	uint64_t root;
	bool xsdt = rev >= 2 && bi->rsdp_len >= 36;
	if (xsdt)
		memcpy(&root, bi->rsdp + 24, 8);
	else {
		uint32_t r32;
		memcpy(&r32, bi->rsdp + 16, 4);
		root = r32;
	}
	memcpy(info.oem, bi->rsdp + 9, 6);
	int err;
	_cleanup_(kfreep) struct sdt_header *rt = copy_table(root, xsdt ? "XSDT" : "RSDT", &err);
	if (!rt)
		return err;
	size_t esz = xsdt ? 8 : 4, n = (rt->length - sizeof(*rt)) / esz;
	bool have_madt = false;
	for (size_t i = 0; i < n; i++) {
		uint64_t p = 0;
		memcpy(&p, (const uint8_t *)(rt + 1) + i * esz, esz);
		_cleanup_(kfreep) struct sdt_header *t = copy_table(p, NULL, &err);
		if (!t)
			continue;
		if (!memcmp(t->sig, "APIC", 4)) {
			err = acpi_parse_madt(t, t->length, &info);
			if (err)
				return err;
			have_madt = true;
		} else if (!memcmp(t->sig, "HPET", 4) && t->length >= 56) {
			memcpy(&info.hpet_addr, (const uint8_t *)t + 44, 8);
		} else if (!memcmp(t->sig, "MCFG", 4) && t->length >= 44 + 16) {
			/* after the header and 8 reserved bytes: base, segment,
			 * first and last bus of the first configuration space */
			const uint8_t *e = (const uint8_t *)t + 44;
			memcpy(&info.ecam_base, e, 8);
			memcpy(&info.ecam_segment, e + 8, 2);
			info.ecam_bus_start = e[10];
			info.ecam_bus_end = e[11];
		}
	}
	if (!have_madt)
		return E_NOENT;
	log_info("%s %s: %zu CPUs, %zu IOAPICs, local APIC %#lx, HPET %#lx", xsdt ? "XSDT" : "RSDT",
		 info.oem, info.ncpus, info.nioapics, info.lapic_addr, info.hpet_addr);
	return E_OK;
}

const struct acpi_info *
acpi_info(void)
{
	return &info;
}
