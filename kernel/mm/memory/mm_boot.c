/*
 * mm_boot.c: the switch from the loader's page tables (boot.S: 2 MiB
 * pages, identity + higher half, everything RWX) to ours: the nano_core
 * image in 4 KiB pages with text RX, rodata R+NX, data R+W+NX, guard pages
 * under the boot and IST stacks left unmapped, P4[510] recursive, and the
 * permanent level-3 table of the ANY zone. Table frames are written
 * through the boot identity map, which ends with the CR3 switch; after it
 * every mapping goes through MappedPages.
 */
#define LOG_TAG "mm"
#include "cell_mgr.h"
#include "memory.h"
#include "mm_acct.h"
#include "mem_int.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "multiboot2.h"
#include "mm_desc.h"
#include "page_table.h"

extern char __kernel_phys_start[], __kernel_virt_end[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern const uint64_t boot_guard_pages[];
extern const uint64_t boot_guard_count;

#define IDENTITY_LIMIT (1ULL << 30) /* boot.S identity-maps the first GiB */

static int
early_table(uint64_t phys_table, unsigned idx, uint64_t *next)
{
	uint64_t *t = (uint64_t *)(uintptr_t)phys_table;
	if (!(t[idx] & PTE_PRESENT)) {
		uint64_t f;
		int err = frame_alloc_raw(1, &f);
		if (err)
			return err;
		if (f + PAGE_SIZE > IDENTITY_LIMIT)
			return E_NOMEM;
		memset((void *)(uintptr_t)f, 0, PAGE_SIZE);
		t[idx] = f | PTE_PRESENT | PTE_WRITE;
	}
	*next = t[idx] & PTE_ADDR_MASK;
	return E_OK;
}

static int
early_map(uint64_t p4, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t t = p4;
	for (int level = 4; level > 1; level--) {
		int err = early_table(t, pt_index(va, level), &t);
		if (err)
			return err;
	}
	((uint64_t *)(uintptr_t)t)[pt_index(va, 1)] = pa | flags | PTE_PRESENT;
	return E_OK;
}

static bool
is_boot_guard(uint64_t va)
{
	for (uint64_t i = 0; i < boot_guard_count; i++)
		if (boot_guard_pages[i] == va)
			return true;
	return false;
}

static uint64_t
image_flags(uint64_t va)
{
	if (va >= (uint64_t)__text_start && va < (uint64_t)__text_end)
		return 0; /* read + execute */
	if (va >= (uint64_t)__rodata_start && va < (uint64_t)__rodata_end)
		return PTE_NX;
	return PTE_WRITE | PTE_NX;
}

static uintptr_t
desc_grow(void)
{
	uint64_t phys, va;
	if (frame_alloc_raw(1, &phys))
		return 0;
	if (page_alloc_raw(ZONE_ANY, 1, &va)) {
		frame_free_raw(phys, 1);
		return 0;
	}
	if (pt_map_page(va, phys, PTE_WRITE | PTE_NX)) {
		frame_free_raw(phys, 1);
		return 0; /* the raw page stays reserved: harmless, counted */
	}
	return (uintptr_t)va;
}

int
mm_init(const struct boot_info *bi)
{
	uint64_t kphys = (uint64_t)__kernel_phys_start;
	uint64_t kend = (uint64_t)__kernel_virt_end - KERNEL_VMA;
	int err = frame_alloc_init(bi, kphys, kend);
	if (err)
		return err;
	page_alloc_init();

	uint64_t p4;
	err = frame_alloc_raw(1, &p4);
	if (err)
		return err;
	memset((void *)(uintptr_t)p4, 0, PAGE_SIZE);
	for (uint64_t va = (uint64_t)__text_start; va < (uint64_t)__kernel_virt_end; va += PAGE_SIZE) {
		if (is_boot_guard(va))
			continue;
		err = early_map(p4, va, va - KERNEL_VMA, image_flags(va));
		if (err)
			return err;
	}
	uint64_t any_p3;
	err = early_table(p4, ZONE_ANY_P4, &any_p3);
	if (err)
		return err;
	((uint64_t *)(uintptr_t)p4)[PT_RECURSIVE] = p4 | PTE_PRESENT | PTE_WRITE | PTE_NX;

	/* commit: the identity map and the loader's tables end here */
	write_cr3(p4);
	mm_desc_set_grow(desc_grow);
	/* lazily unmapped ranges are released before counters are read */
	err = mm_acct_add_settle_hook(mp_lazy_settle);
	if (err)
		return err;
	log_info("page tables at %#lx: text %p-%p RX, rodata %p-%p R, data %p-%p RW, %lu guard pages",
		 p4, (void *)__text_start, (void *)__text_end, (void *)__rodata_start,
		 (void *)__rodata_end, (void *)__data_start, (void *)__kernel_virt_end,
		 boot_guard_count);
	return E_OK;
}

void
mm_usage(struct mm_usage *u)
{
	struct frame_stats f;
	struct page_stats p;

	frame_stats(&f);
	page_stats(&p);
	u->frames = f.free + f.reserved_free + f.raw;
	u->pages = p.free_code + p.free_any + p.raw;
	u->frame_objs = f.objects;
	u->page_objs = p.objects;
	u->mapped = mm_mapped_count();
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(mm_usage);
