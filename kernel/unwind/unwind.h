/*
 * unwind: the runtime entry points GCC's cleanup landing pads reference
 * (cells are built with -fexceptions, so every function holding an owned
 * resource has a pad that runs its drop and then calls _Unwind_Resume).
 * Until the DWARF unwinder lands (issue "Unwinding") nothing enters a pad,
 * so these are reached only if something is badly wrong, and say so.
 * State: none.
 */
#ifndef UNWIND_H
#define UNWIND_H

#include "base.h"

struct _Unwind_Exception;
__noreturn void _Unwind_Resume(struct _Unwind_Exception *e);

#endif
