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

#endif
