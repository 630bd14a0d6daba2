/*
 * inplace.c: the data a loaded copy of a nano_core cell uses in place (the
 * running nano_core cell's objects: docs/evolution.md, "A replaceable
 * nano_core"). A swap of such cells says which cells keep their data;
 * the loader asks here, for the copy being loaded, where each of its
 * data sections' objects is. State: the cells set by the swap in
 * progress (writer lock).
 */
#define LOG_TAG "cells"
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "base.h"
#include "klibc.h"

/* a swap replacing nano_core cells (or copies of them) sets which: a
 * copy's .data and .bss are the nano_core cell's, in place (writer lock) */
static struct cell *inplace[SWAP_MAX];
static size_t ninplace;

void
load_set_inplace(struct cell *const *keep, size_t n)
{
	ninplace = 0;
	for (size_t i = 0; i < n && i < SWAP_MAX; i++)
		inplace[ninplace++] = keep[i];
}

struct cell *
load_inplace_for(const char *name)
{
	for (size_t i = 0; i < ninplace; i++)
		if (!strcmp(inplace[i]->name, name))
			return inplace[i];
	return NULL;
}

/* the address, in the nano_core cell keep, of what a copy's data section
 * `name` (".bss.heaps", ".data.threshold", ...) holds: the nano_core has a
 * section per object, named after it */
int
load_inplace_addr(struct cell_error *why, const char *obj_name, const struct cell *keep, const char *name,
		  uint64_t size, uint64_t *addr, struct section **sec)
{
	static const char *const prefixes[] = { ".data.rel.ro.local.", ".data.rel.ro.", ".data.rel.local.",
						".data.rel.", ".data.", ".bss." };
	const char *obj = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes) && !obj; i++)
		if (str_starts_with(name, prefixes[i]))
			obj = name + strlen(prefixes[i]);
	if (!obj)
		return cell_errf(why, E_NOTSUP,
				 "cell %s: data section %s is not one object's, so it cannot stay in place in the nano_core's %s",
				 obj_name, name, keep->name);
	struct section *found = NULL;
	for (size_t i = 0; i < keep->nsections; i++) {
		struct section *k = &keep->sections[i];
		if ((k->kind != SEC_DATA && k->kind != SEC_BSS) || strcmp(k->name, obj))
			continue;
		if (found)
			return cell_errf(why, E_NOTSUP, "cell %s: %s names two objects of the running %s", obj_name,
					 obj, keep->name);
		found = k;
	}
	if (!found)
		return cell_errf(why, E_NOENT, "cell %s: %s is not an object of the running %s (its data stays in place: the layout must not change)",
				 obj_name, obj, keep->name);
	if (found->size != size)
		return cell_errf(why, E_INVAL, "cell %s: %s is %lu bytes, %lu in the running %s (its data stays in place: the layout must not change)",
				 obj_name, obj, size, found->size, keep->name);
	*addr = found->addr;
	if (sec)
		*sec = found;
	return E_OK;
}
