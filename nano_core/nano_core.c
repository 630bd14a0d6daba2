/*
 * nano_core.c: the statically linked core's entry, nano_core_start().
 * Order matters and each step says why it comes where it does. Everything
 * here exists to reach the point where cells can be loaded; what comes
 * after (the captain cell) is found by symbol, not called statically.
 * State: the parsed boot information (kept for later cells: modules, RSDP).
 */
#define LOG_TAG "nano_core"
#include "base.h"
#include "cpu.h"
#include "exceptions.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "multiboot2.h"
#include "memory.h"
#include "nano_core.h"
#include "serial.h"
#include "stack.h"
#include "symtab.h"
#include "tsc.h"
#include "cell_mgr.h"

extern char boot_stack_top[], ist_df_top[], ist_nmi_top[], ist_mc_top[];

static struct boot_info boot_info;

const struct boot_info *
nano_core_boot_info(void)
{
	return &boot_info;
}

static void
print_memory_map(const struct boot_info *bi)
{
	uint64_t usable = 0;
	log_info("memory map (%zu entries):", bi->nmmap);
	for (size_t i = 0; i < bi->nmmap; i++) {
		const struct mb2_mmap_entry *m = &bi->mmap[i];
		log_info("  [%#014lx - %#014lx) %9lu KiB  %s", m->base, m->base + m->len,
			 m->len >> 10, mb2_mem_type_str(m->type));
		if (m->type == MB2_MEM_AVAILABLE)
			usable += m->len;
	}
	log_info("usable RAM: %lu MiB", usable >> 20);
}

static void
list_modules(const struct boot_info *bi)
{
	log_info("boot modules (%zu):", bi->nmodules);
	for (size_t i = 0; i < bi->nmodules; i++) {
		const struct mb2_module *m = &bi->modules[i];
		int err;
		_cleanup_(mp_drop_p) struct mapped_pages *mp =
			mp_map_phys(m->start, m->end - m->start, MP_READ, &err);
		const char *kind = err == E_BUSY ? "in use (mapped by its owner)" : "unreadable";
		const uint8_t *h = mp ? mp_as(mp, 0, 18, &err) : NULL;
		if (h && !memcmp(h, "\177ELF", 4))
			kind = h[16] == 1 ? "ELF relocatable (cell)" : "ELF image";
		else if (h)
			kind = "not ELF";
		log_info("  %-24s [%#010lx - %#010lx) %7lu bytes  %s", m->name, m->start, m->end,
			 m->end - m->start, kind);
	}
}

static __noreturn void
halt_with(const char *what, int err)
{
	log_err("%s: %s; halting", what, err_str(err));
	cpu_halt_forever();
}

void nano_core_start(uint32_t info_phys, uint32_t magic);

void
nano_core_start(uint32_t info_phys, uint32_t magic)
{
	/* per-CPU storage first: the logger, heap and fault paths use cpu_id() */
	percpu_init(0, 0);
	/* console next: every later step may need to say why it failed */
	serial_init(COM1);
	tsc_calibrate();
	log_info("Theseus/C nano_core, TSC %lu MHz", tsc_hz() / 1000000);

	/* exceptions before touching memory, so a bad pointer is reported */
	uintptr_t ists[IST_COUNT] = { (uintptr_t)ist_df_top, (uintptr_t)ist_nmi_top,
				      (uintptr_t)ist_mc_top };
	gdt_init_cpu(0, ists);
	exc_init();
	pic_disable();

	if (magic != MB2_BOOTLOADER_MAGIC)
		halt_with("not booted by a multiboot2 loader", E_FORMAT);
	/* the loader's identity map still covers the info; copy it out */
	uint32_t total = *(volatile uint32_t *)(uintptr_t)info_phys;
	int err = mb2_parse((const void *)(uintptr_t)info_phys, total, info_phys, &boot_info);
	if (err)
		halt_with("multiboot2 boot information", err);
	log_info("loader: %s; command line: '%s'", boot_info.loader, boot_info.cmdline);
	print_memory_map(&boot_info);

	err = mm_init(&boot_info);
	if (err)
		halt_with("memory init", err);
	stack_init();
	heap_init();
	frame_dump();

	err = symtab_init(&boot_info);
	if (err)
		log_warn("no nano_core symbol table (%s): backtraces unsymbolized", err_str(err));
	list_modules(&boot_info);

	/* from here on everything is a cell loaded at run time */
	err = cell_mgr_init();
	if (err)
		halt_with("cell manager", err);
	struct cell_error why;
	static const char *const first[] = { "captain" };
	if (cell_load(cell_ns_kernel(), first, 1, &why))
		halt_with(why.msg, E_NOENT);
	uint64_t captain = cell_sym_addr(cell_ns_kernel(), "captain_main");
	if (!captain)
		halt_with("no captain_main in the captain cell", E_NOENT);
	log_info("entering the captain at %#lx", captain);
	((void (*)(const struct boot_info *))(uintptr_t)captain)(&boot_info);
	halt_with("the captain returned", E_INVAL);
}
