/*
 * mem: physical frames, virtual pages, mappings and heap in use.
 */
#include "args.h"
#include "frame_alloc.h"
#include "heap.h"
#include "logger.h"
#include "memory.h"
#include "page_alloc.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	struct frame_stats f;
	struct page_stats p;
	struct heap_stats h;
	struct mm_usage u;
	heap_trim(); /* cached empty slabs go back first: figures compare across runs */
	frame_stats(&f);
	page_stats(&p);
	heap_stats(&h);
	mm_usage(&u);
	kprintf("frames: %lu MiB RAM, %lu used, %lu free, %lu reserved free, %lu kernel metadata, %lu device\n",
		f.ram * 4096 >> 20, f.ram - f.free - f.raw, f.free, f.reserved_free, f.raw, f.device);
	kprintf("pages:  %lu free in the code zone, %lu free in the any zone, %lu metadata\n",
		p.free_code, p.free_any, p.raw);
	kprintf("mapped: %lu mappings, %lu frame objects, %lu page objects\n", u.mapped, u.frame_objs,
		u.page_objs);
	kprintf("heap:   %lu bytes in %lu objects, %lu slabs, %lu large, %lu KiB mapped\n", h.bytes_in_use,
		h.objects, h.slabs, h.large, h.mapped_bytes >> 10);
	return 0;
}
