/*
 * string.c: memory and string primitives. Built with
 * -fno-tree-loop-distribute-patterns so GCC does not turn these loops back
 * into calls to themselves. No state.
 */
#include "base.h"
#include "klibc.h"

void *
memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *ret = dst;
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}

void *
memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return memcpy(dst, src, n);
	/* overlapping with dst above src: copy backwards */
	while (n--)
		d[n] = s[n];
	return dst;
}

void *
memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

size_t
strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t
strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int
strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int
strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i] || !a[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
	}
	return 0;
}

char *
strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *
strstr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return (char *)hay;
	return n ? NULL : (char *)hay;
}

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

bool
str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

size_t
str_split(char *s, char sep, const char **out, size_t max)
{
	size_t n = 0;
	while (*s && n < max) {
		out[n++] = s;
		while (*s && *s != sep)
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

int
str_to_u64(const char *s, unsigned base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	bool big = false;
	if (!s || !*s)
		return E_INVAL;
	for (; *s; s++) {
		char c = *s;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
		if (d >= base)
			return E_INVAL;
		if (v > (UINT64_MAX - d) / base)
			big = true; /* keep checking the digits: "99x" is E_INVAL */
		else
			v = v * base + d;
	}
	if (big || v > max)
		return E_RANGE;
	*out = v;
	return E_OK;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(memcpy);
EXPORT_APP(memmove);
EXPORT_APP(memset);
EXPORT_APP(memcmp);
EXPORT_APP(strlen);
EXPORT_APP(strnlen);
EXPORT_APP(strcmp);
EXPORT_APP(strncmp);
EXPORT_APP(strchr);
EXPORT_APP(strstr);
EXPORT_APP(strlcpy);
EXPORT_APP(str_starts_with);
EXPORT_APP(str_split);
EXPORT_APP(str_to_u64);

int
str_to_u64_any(const char *s, uint64_t *out)
{
	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return str_to_u64(s + 2, 16, UINT64_MAX, out);
	return str_to_u64(s, 10, UINT64_MAX, out);
}
EXPORT_APP(str_to_u64_any);
