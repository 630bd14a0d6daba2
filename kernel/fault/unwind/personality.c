/*
 * personality.c: __gcc_personality_v0 is the personality routine GCC names
 * in the CIE of every function with cleanups. Our unwinder recognizes it
 * and reads the LSDA itself (lsda.c), so it is never called; it exists so
 * the reference resolves, and answers "continue unwinding" if something
 * foreign ever calls it.
 */
#include "base.h"

#define URC_CONTINUE_UNWIND 8

int __gcc_personality_v0(int version, int actions, uint64_t exc_class, void *exc, void *ctx);

int
__gcc_personality_v0(int version, int actions, uint64_t exc_class, void *exc, void *ctx)
{
	(void)version; (void)actions; (void)exc_class; (void)exc; (void)ctx;
	return URC_CONTINUE_UNWIND;
}
