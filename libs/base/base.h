/*
 * base: the vocabulary every cell shares - fixed-width types, compiler
 * attributes, and small arithmetic helpers. Header-only apart from err.c.
 * Keeps no state.
 */
#ifndef BASE_H
#define BASE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

#define __must_check   __attribute__((warn_unused_result))
#define __noreturn     __attribute__((noreturn))
#define __packed       __attribute__((packed))
#define __aligned(n)   __attribute__((aligned(n)))
#define __section(s)   __attribute__((section(s)))
#define __used         __attribute__((used))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define likely(x)      __builtin_expect(!!(x), 1)
#define unlikely(x)    __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)      ((a) < (b) ? (a) : (b))
#define MAX(a, b)      ((a) > (b) ? (a) : (b))
/* a must be a power of two */
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + (__typeof__(x))(a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(x, d) (((x) + (d) - 1) / (d))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define PAGE_SIZE  4096UL
#define PAGE_SHIFT 12

/* compile_assert in seL4's sense: pin layouts that cross a boundary */
#define compile_assert(name, expr) _Static_assert(expr, #name)

/* base's other headers are internal: every cell reaches them through
 * base.h, its one public header (docs/cells.md, "Declared dependencies") */
#include "err.h"
#include "own.h"
#include "export.h"
#include "spinlock.h"
#include "guarded.h"
#include "qlist.h"

#endif
