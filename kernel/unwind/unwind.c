/*
 * unwind.c: see unwind.h. The personality routine answers "fatal" so no
 * unwinder would ever enter a pad through it before the real one exists.
 */
#include "unwind.h"
#include "exceptions.h"

/* _URC_FATAL_PHASE1_ERROR from the Itanium C++ ABI's unwind interface */
#define URC_FATAL_PHASE1_ERROR 3

int __gcc_personality_v0(int version, int actions, uint64_t exc_class, void *exc, void *ctx);

int
__gcc_personality_v0(int version, int actions, uint64_t exc_class, void *exc, void *ctx)
{
	(void)version; (void)actions; (void)exc_class; (void)exc; (void)ctx;
	return URC_FATAL_PHASE1_ERROR;
}

void
_Unwind_Resume(struct _Unwind_Exception *e)
{
	panic("_Unwind_Resume(%p) reached, but no unwinder is installed yet", (void *)e);
}
