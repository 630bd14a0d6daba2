/*
 * Use after drop: the mapping is dropped, then asked for its address.
 * The object is opaque, so the only "use" is handing the dropped pointer
 * to an accessor; gcc's -Wuse-after-free (enabled by -Wall, works for any
 * malloc(dealloc) pair) catches that, -fanalyzer only flags dereferences
 * (see use_after_kfree.c).
 */
/* expect: -Wuse-after-free */
#include "memory.h"

uintptr_t
mapping_end(size_t n, int *err)
{
	struct mapped_pages *mp = mp_alloc(ZONE_ANY, n, MP_WRITE, err);
	if (!mp)
		return 0;
	mp_drop(mp);
	return mp_start(mp) + mp_size(mp); /* BUG: mp was dropped */
}
