/*
 * Host unit tests for libs/fmt: the kernel's snprintf/vsnprintf, compared
 * byte for byte (and by return value) with the host C library's for every
 * conversion, flag, width, precision and length modifier it claims to
 * support. The kernel's functions are compiled renamed to k_snprintf and
 * k_vsnprintf so both can live in one program.
 *
 * HOST_TEST_SOURCES: libs/fmt/fmt.c
 * HOST_TEST_SOURCE_CFLAGS: -Dsnprintf=k_snprintf -Dvsnprintf=k_vsnprintf
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#define snprintf k_snprintf
#define vsnprintf k_vsnprintf
#include "fmt.h"
#undef snprintf
#undef vsnprintf

static int mismatches;

static int
setup(void **state)
{
	(void)state;
	mismatches = 0;
	return 0;
}

static void
vcompare(const char *where, const char *f, va_list ap)
{
	char want[512], got[512];
	va_list ap2;

	va_copy(ap2, ap);
	memset(got, 0x7F, sizeof(got));
	int wn = vsnprintf(want, sizeof(want), f, ap);
	int gn = k_vsnprintf(got, sizeof(got), f, ap2);
	va_end(ap2);
	if (wn != gn || memchr(got, 0, sizeof(got)) == NULL || strcmp(want, got) != 0) {
		if (mismatches < 40)
			print_error("%s: format \"%s\": libc \"%s\" (%d), kernel \"%.*s\" (%d)\n",
				    where, f, want, wn, (int)sizeof(got) - 1, got, gn);
		mismatches++;
	}
}

/* literal formats, type-checked by the compiler */
static void __attribute__((format(printf, 2, 3)))
compare(const char *where, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vcompare(where, f, ap);
	va_end(ap);
}

/* formats GCC would warn about although their meaning is defined
 * (e.g. '+' with %u: the flag applies to signed conversions only) */
static void
compare_nocheck(const char *where, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vcompare(where, f, ap);
	va_end(ap);
}

#define STR2(x) #x
#define STR(x) STR2(x)
#define WHERE __FILE__ ":" STR(__LINE__)
#define CMP(...) compare(WHERE, __VA_ARGS__)
#define CMPX(...) compare_nocheck(WHERE, __VA_ARGS__)

#define ASSERT_NO_MISMATCH() \
	do { if (mismatches) fail_msg("%d output(s) differ from libc", mismatches); } while (0)

/* all flag subsets of `flags`, in order */
static void
flag_subsets(const char *flags, char out[][8], size_t *n)
{
	size_t k = strlen(flags);

	*n = 0;
	for (unsigned mask = 0; mask < (1u << k); mask++) {
		char *p = out[(*n)++];
		for (size_t i = 0; i < k; i++)
			if (mask & (1u << i))
				*p++ = flags[i];
		*p = '\0';
	}
}

/* "[%<flags><width><prec><conv>]" */
static void
build_fmt(char *f, const char *flags, const char *width, const char *prec, char conv)
{
	char c[2] = { conv, '\0' };

	strcpy(f, "[%");
	strcat(f, flags);
	strcat(f, width);
	strcat(f, prec);
	strcat(f, c);
	strcat(f, "]");
}

static const char *const widths[] = { "", "1", "6", "15" };
static const char *const precs[] = { "", ".", ".0", ".1", ".3", ".12" };

static void
test_signed_sweep(void **state)
{
	(void)state;
	static const int vals[] = { 0, 1, -1, 7, -7, 42, -42, 1000, -99999, INT_MAX, INT_MIN };
	char flags[32][8], f[32];
	size_t nflags;
	int n = 0;

	flag_subsets("-0 +", flags, &nflags);
	for (const char *c = "di"; *c; c++)
		for (size_t fl = 0; fl < nflags; fl++)
			for (size_t w = 0; w < 4; w++)
				for (size_t p = 0; p < 6; p++)
					for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
						build_fmt(f, flags[fl], widths[w], precs[p], *c);
						compare_nocheck("signed sweep", f, vals[v]);
						n++;
					}
	assert_int_equal(n, 2 * 16 * 4 * 6 * 11);
	ASSERT_NO_MISMATCH();
}

static void
test_unsigned_sweep(void **state)
{
	(void)state;
	static const unsigned vals[] = { 0, 1, 7, 8, 9, 15, 16, 255, 0777, 0x1234abcd, UINT_MAX };
	char flags[32][8], f[32];
	size_t nflags;

	flag_subsets("-0#", flags, &nflags);
	for (const char *c = "uxXo"; *c; c++)
		for (size_t fl = 0; fl < nflags; fl++) {
			if (*c == 'u' && strchr(flags[fl], '#'))
				continue; /* undefined for %u */
			for (size_t w = 0; w < 4; w++)
				for (size_t p = 0; p < 6; p++)
					for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
						build_fmt(f, flags[fl], widths[w], precs[p], *c);
						compare_nocheck("unsigned sweep", f, vals[v]);
					}
		}
	ASSERT_NO_MISMATCH();
}

static void
test_alt_octal(void **state)
{
	(void)state;
	/* '#' with 'o' forces a leading 0 only if there is none yet */
	CMP("%#o", 0u);
	CMP("%#o", 8u);
	CMP("%#.0o", 0u);
	CMP("%#.3o", 0u);
	CMP("%#.5o", 8u);
	CMP("%#.2o", 8u);
	CMP("%#.3o", 8u);
	CMP("%#6.4o", 8u);
	CMP("%#06o", 8u);
	CMP("%#-6o|", 0u);
	CMP("%#llo", ULLONG_MAX);
	ASSERT_NO_MISMATCH();
}

static void
test_sign_flags_only_for_signed(void **state)
{
	(void)state;
	CMPX("%+u", 5u);
	CMPX("% u", 5u);
	CMPX("%+x", 0xabu);
	CMPX("% X", 0xabu);
	CMPX("%+o", 8u);
	CMPX("%+#x", 0xabu);
	CMPX("% 08x", 0xabu);
	CMPX("%+lu", ULONG_MAX);
	CMPX("% .3u", 0u);
	/* but they do apply to %d and %i */
	CMP("%+d|% d|%+i|% i", 5, 5, 0, -3);
	CMPX("%+ d|% +d", 5, 5); /* '+' wins over ' ' */
	ASSERT_NO_MISMATCH();
}

static void
test_length_modifiers(void **state)
{
	(void)state;
	CMP("%hhd %hhd %hhd", 200, -129, 127);
	CMP("%hhu %hhx %hho", 300, 0x1ff, 0777);
	CMP("%hd %hd %hi", 70000, -32769, 32767);
	CMP("%hu %hx %hX", -1, 0x12345, 0xfffff);
	CMP("%ld %li %ld", LONG_MAX, LONG_MIN, 0L);
	CMP("%lu %lx %lo", ULONG_MAX, ULONG_MAX, ULONG_MAX);
	CMP("%lld %lli %lld", LLONG_MAX, LLONG_MIN, -1LL);
	CMP("%llu %llx %llX %llo", ULLONG_MAX, 0x123456789abcdefULL, ULLONG_MAX, 1ULL << 63);
	CMP("%zu %zx %zd %zd", SIZE_MAX, (size_t)0xdeadbeefcafe, (ssize_t)-5, (ssize_t)SSIZE_MAX);
	CMP("%td %jd %ju", (ptrdiff_t)-77, INTMAX_MIN, UINTMAX_MAX);
	CMP("%-22lld|%022lld|%+.20lld", LLONG_MIN, LLONG_MIN, 1LL);
	CMP("%#lx %#llo %#zx", 0xffffffffffUL, 01234567ULL, (size_t)0);
	ASSERT_NO_MISMATCH();
}

static void
test_star_width_precision(void **state)
{
	(void)state;
	CMP("[%*d]", 6, 42);
	CMP("[%*d]", -6, 42); /* negative width: left-justify */
	CMP("[%-*d]", 6, 42);
	CMP("[%-*d]", -6, 42);
	CMP("[%0*d]", 6, -42);
	CMP("[%.*d]", 5, 42);
	CMP("[%.*d]", -1, 42); /* negative precision: as if none */
	CMPX("[%0.*d]", -1, 42);
	CMPX("[%08.*d]", -3, 42);
	CMP("[%.*d]", 0, 0);
	CMP("[%*.*d]", 8, 4, -42);
	CMP("[%*.*x]", -8, 3, 0xau);
	CMP("[%*s]", 5, "ab");
	CMP("[%*s]", -5, "ab");
	CMP("[%.*s]", 2, "abcdef");
	CMP("[%.*s]", -2, "abcdef");
	CMP("[%*c]", 3, 'z');
	CMP("[%*d|%*d]", 3, 1, 4, 2); /* argument order */
	ASSERT_NO_MISMATCH();
}

static void
test_strings_chars_percent(void **state)
{
	(void)state;
	CMP("%s", "");
	CMP("%s", "hello");
	CMP("[%10s]", "hello");
	CMP("[%-10s]", "hello");
	CMP("[%.3s]", "hello");
	CMP("[%.0s]", "hello");
	CMP("[%.10s]", "hello");
	CMP("[%8.3s]", "hello");
	CMP("[%-8.3s]", "hello");
	CMP("[%2s]", "hello");
	CMP("%c%c%c", 'a', 'b', 'c');
	CMP("[%5c]", 'x');
	CMP("[%-5c]", 'x');
	CMP("[%c]", 0xE9); /* converted to unsigned char */
	CMP("100%%");
	CMP("%%d %d %%", 7);
	CMP("a%sb%cc%%%dd", "-", '+', 3);
	CMP("no conversions at all");
	CMP("%s=%d %s=%#x %s=%c", "a", -1, "b", 255u, "c", 'q');

	/* precision bounds the read: the array need not be NUL-terminated */
	char *raw = malloc(3);
	assert_non_null(raw);
	memcpy(raw, "abc", 3);
	CMP("[%.3s]", raw);
	CMP("[%.2s]", raw);
	CMP("[%-6.3s]", raw);
	free(raw);
	ASSERT_NO_MISMATCH();
}

static void
test_pointer(void **state)
{
	(void)state;
	int x;
	void *ptrs[] = { &x, (void *)1, (void *)0xdeadbeef, (void *)0xffff800000001000ULL,
			 (void *)UINTPTR_MAX };

	for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
		CMP("%p", ptrs[i]);
		CMP("[%20p]", ptrs[i]);
		CMP("[%-20p]", ptrs[i]);
		CMP("[%3p]", ptrs[i]);
	}
	ASSERT_NO_MISMATCH();
	/* NULL is implementation-defined (glibc: "(nil)"); ours is plain hex */
	char buf[16];
	assert_int_equal(k_snprintf(buf, sizeof(buf), "%p", (void *)0), 3);
	assert_string_equal(buf, "0x0");
}

static void
truncation(void **state)
{
	(void)state;
	const char *full = "value=-12345 name=abcdef";
	int len = (int)strlen(full);
	char buf[64], lbuf[64];

	for (size_t size = 1; size <= (size_t)len + 3; size++) {
		memset(buf, '#', sizeof(buf));
		memset(lbuf, '#', sizeof(lbuf));
		int n = k_snprintf(buf, size, "value=%d name=%s", -12345, "abcdef");
		int ln = snprintf(lbuf, size, "value=%d name=%s", -12345, "abcdef");
		assert_int_equal(n, len); /* always the full length */
		assert_int_equal(ln, n);
		size_t keep = size - 1 < (size_t)len ? size - 1 : (size_t)len;
		assert_memory_equal(buf, full, keep);
		assert_int_equal(buf[keep], '\0'); /* always terminated */
		for (size_t i = keep + 1; i < sizeof(buf); i++)
			if (buf[i] != '#')
				fail_msg("size %zu: byte %zu written", size, i);
		assert_memory_equal(buf, lbuf, sizeof(buf));
	}
	/* a huge padded field into a small buffer */
	assert_int_equal(k_snprintf(buf, 8, "%300d|", 1), 301);
	assert_string_equal(buf, "       ");
}

static void
size_zero(void **state)
{
	(void)state;
	char buf[4] = "xyz";

	assert_int_equal(k_snprintf(NULL, 0, "%d-%s", 12345, "ab"), 8);
	assert_int_equal(k_snprintf(buf, 0, "%d-%s", 12345, "ab"), 8);
	assert_memory_equal(buf, "xyz", 4); /* untouched */
	const char *empty = "";

	assert_int_equal(k_snprintf(buf, 0, empty, 0), 0);
	assert_int_equal(k_snprintf(buf, 1, "%d", 12345), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'y');
	assert_int_equal(k_snprintf(buf, sizeof(buf), "%s", ""), 0);
	assert_string_equal(buf, "");
}

struct collect {
	char buf[256];
	size_t len;
	int calls;
};

static void
collect_sink(void *ctx, const char *s, size_t n)
{
	struct collect *c = ctx;

	assert_true(c->len + n < sizeof(c->buf));
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	c->calls++;
}

static size_t
vformat(struct collect *c, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	size_t n = fmt_vformat(collect_sink, c, f, ap);
	va_end(ap);
	return n;
}

static void
test_vformat_sink(void **state)
{
	(void)state;
	struct collect c = { .len = 0 };
	char want[256];

	int wn = snprintf(want, sizeof(want), "[%-40s|%040d|%x]", "left", -7, 0xbeefu);
	size_t n = vformat(&c, "[%-40s|%040d|%x]", "left", -7, 0xbeefu);
	assert_int_equal(n, (size_t)wn);
	assert_int_equal(c.len, n);
	assert_memory_equal(c.buf, want, n);
	assert_true(c.calls > 1); /* streamed in pieces, never NUL-terminated */

	/* unknown conversions are shown verbatim, a lone trailing % too */
	c.len = 0;
	n = vformat(&c, "a%qb%");
	assert_int_equal(n, 5);
	assert_memory_equal(c.buf, "a%qb%", 5);
}

static void
test_truncation_and_size_zero(void **state)
{
	truncation(state);
	size_zero(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_signed_sweep, setup),
		cmocka_unit_test_setup(test_unsigned_sweep, setup),
		cmocka_unit_test_setup(test_alt_octal, setup),
		cmocka_unit_test_setup(test_sign_flags_only_for_signed, setup),
		cmocka_unit_test_setup(test_length_modifiers, setup),
		cmocka_unit_test_setup(test_star_width_precision, setup),
		cmocka_unit_test_setup(test_strings_chars_percent, setup),
		cmocka_unit_test_setup(test_pointer, setup),
		cmocka_unit_test_setup(test_truncation_and_size_zero, setup),
		cmocka_unit_test_setup(test_vformat_sink, setup),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
