/*
 * klibc: the freestanding C library subset the compiler and cells rely on
 * (mem*, str*). GCC may emit calls to memcpy/memset/memmove/memcmp itself.
 * No state.
 */
#ifndef KLIBC_H
#define KLIBC_H

#include "base.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);
/* copies at most size-1 bytes and always terminates; returns strlen(src) */
size_t strlcpy(char *dst, const char *src, size_t size);
bool str_starts_with(const char *s, const char *prefix);
/* split s in place at each sep into up to max pieces; returns how many */
size_t str_split(char *s, char sep, const char **out, size_t max);
/* the whole of s as a number in base (10 or 16, lower or upper case
 * digits): E_OK with *out, E_INVAL if s is empty or holds a non-digit,
 * E_RANGE if it is above max (no wrap-around) */
int str_to_u64(const char *s, unsigned base, uint64_t max, uint64_t *out) __must_check;
/* decimal, or hexadecimal after 0x: str_to_u64 up to UINT64_MAX */
int str_to_u64_any(const char *s, uint64_t *out) __must_check;

/* the first element of arr[0..n) whose member .name is the string key, or
 * NULL: the linear search by name of the small tables cells keep (a load
 * batch's objects, an evolution manifest's, a cell's sections) */
#define FIND_NAMED(arr, n, key)                                         \
	({                                                              \
		__typeof__(&(arr)[0]) found_ = NULL;                    \
		for (size_t i_ = 0; !found_ && i_ < (n); i_++)          \
			if (!strcmp((arr)[i_].name, (key)))             \
				found_ = &(arr)[i_];                    \
		found_;                                                 \
	})

#endif
