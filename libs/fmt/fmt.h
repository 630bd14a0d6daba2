/*
 * fmt: printf-style formatting into a buffer or through a sink callback.
 * Supports %d %i %u %x %X %o %p %s %c %% with flags '-', '0', ' ', '+',
 * '#', width, precision (also '*'), and length modifiers hh h l ll z t j.
 * No floating point (the kernel is built without SSE). No state.
 */
#ifndef FMT_H
#define FMT_H

#include "base.h"

typedef void (*fmt_sink_fn)(void *ctx, const char *s, size_t n);

/* returns the number of characters produced */
size_t fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap);
/* like C's vsnprintf: returns the length the full output would have */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* Formats into buf (when buf is not NULL) and returns err: the one body of
 * every "say why in an error struct, return the error" helper. FMT_ERRF
 * takes the struct (any with a char array msg, e.g. struct elf_error,
 * struct cell_error) or NULL for "no message wanted"; why is evaluated
 * twice, so pass a plain pointer. */
/* (inline: -fanalyzer then sees that only buf is written; an opaque call
 * would make it lose track of what the caller owns) */
static inline __printf(4, 5) int
fmt_errf(char *buf, size_t size, int err, const char *fmt, ...)
{
	if (buf) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, size, fmt, ap);
		va_end(ap);
	}
	return err;
}
#define FMT_ERRF(why, err, ...) \
	fmt_errf((why) ? (why)->msg : NULL, sizeof((why)->msg), (err), __VA_ARGS__)

#endif
