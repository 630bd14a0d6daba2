/*
 * Wrong drop function: frames handed to the pages' drop. Each owned type
 * has exactly one drop function (OWNED_BY names it).
 */
/* expect: -Wanalyzer-mismatching-deallocation */
#include "frame_alloc.h"
#include "page_alloc.h"

void
grab_and_release(int *err)
{
	struct frames *f = frames_alloc(1, err);
	if (!f)
		return;
	pages_drop((struct pages *)f); /* BUG: frames are dropped by frames_drop */
}
