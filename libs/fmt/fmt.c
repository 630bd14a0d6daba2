/*
 * fmt.c: the formatter behind the logger, snprintf and the shell.
 * Output goes through a sink so the logger can stream without a buffer.
 * No state.
 */
#include "base.h"
#include "fmt.h"

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int prec; /* -1: none */
	int len;  /* 0 int, 1 long, 2 long long, -1 short, -2 char */
};

static size_t
emit_pad(fmt_sink_fn sink, void *ctx, char c, int n)
{
	char buf[16];
	size_t total = 0;

	for (int i = 0; i < (int)sizeof(buf); i++)
		buf[i] = c;
	while (n > 0) {
		int k = n > (int)sizeof(buf) ? (int)sizeof(buf) : n;
		sink(ctx, buf, (size_t)k);
		n -= k;
		total += (size_t)k;
	}
	return total;
}

static size_t
emit_str(fmt_sink_fn sink, void *ctx, const struct spec *sp, const char *s)
{
	size_t len = 0, total = 0;

	if (!s)
		s = "(null)";
	/* precision first: the array need not be terminated within it */
	while ((sp->prec < 0 || len < (size_t)sp->prec) && s[len])
		len++;
	int pad = sp->width > (int)len ? sp->width - (int)len : 0;
	if (!sp->left)
		total += emit_pad(sink, ctx, ' ', pad);
	sink(ctx, s, len);
	total += len;
	if (sp->left)
		total += emit_pad(sink, ctx, ' ', pad);
	return total;
}

static size_t
emit_num(fmt_sink_fn sink, void *ctx, const struct spec *sp, uint64_t v,
	 bool neg, unsigned base, bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	size_t total = 0;
	char sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;

	if (v == 0 && sp->prec != 0)
		tmp[n++] = '0';
	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	int zeros = sp->prec > n ? sp->prec - n : 0;
	int plen = (int)__builtin_strlen(prefix);
	/* '#' with 'o' only forces a leading 0: none if the digits have one */
	if (base == 8 && plen && (zeros || (n && tmp[n - 1] == '0')))
		plen = 0;
	int body = n + zeros + (sign ? 1 : 0) + plen;
	int pad = sp->width > body ? sp->width - body : 0;
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left)
		total += emit_pad(sink, ctx, ' ', pad);
	if (sign) {
		sink(ctx, &sign, 1);
		total++;
	}
	if (plen) {
		sink(ctx, prefix, (size_t)plen);
		total += (size_t)plen;
	}
	total += emit_pad(sink, ctx, '0', zeros);
	for (int i = n - 1; i >= 0; i--)
		sink(ctx, &tmp[i], 1);
	total += (size_t)n;
	if (sp->left)
		total += emit_pad(sink, ctx, ' ', pad);
	return total;
}

static int
parse_int(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9') {
		if (v < 100000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

size_t
fmt_vformat(fmt_sink_fn sink, void *ctx, const char *f, va_list ap)
{
	size_t total = 0;

	while (*f) {
		const char *start = f;
		while (*f && *f != '%')
			f++;
		if (f > start) {
			sink(ctx, start, (size_t)(f - start));
			total += (size_t)(f - start);
		}
		if (!*f)
			break;
		f++; /* '%' */

		struct spec sp = { .prec = -1 };
		for (;; f++) {
			if (*f == '-') sp.left = true;
			else if (*f == '0') sp.zero = true;
			else if (*f == '+') sp.plus = true;
			else if (*f == ' ') sp.space = true;
			else if (*f == '#') sp.alt = true;
			else break;
		}
		if (*f == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = true;
				/* -INT_MIN overflows; no sane width is that large */
				sp.width = sp.width < -100000 ? 100000 : -sp.width;
			}
			f++;
		} else {
			sp.width = parse_int(&f);
		}
		if (*f == '.') {
			f++;
			if (*f == '*') {
				sp.prec = va_arg(ap, int);
				f++;
			} else {
				sp.prec = parse_int(&f);
			}
		}
		for (;; f++) {
			if (*f == 'l') sp.len++;
			else if (*f == 'h') sp.len--;
			else if (*f == 'z' || *f == 't' || *f == 'j') sp.len = 2;
			else break;
		}

		char c = *f ? *f++ : 0;
		int64_t sv;
		uint64_t uv;
		switch (c) {
		case 'd':
		case 'i':
			sv = sp.len >= 1 ? (sp.len == 1 ? va_arg(ap, long) : va_arg(ap, long long))
					 : va_arg(ap, int);
			if (sp.len == -1) sv = (short)sv;
			if (sp.len <= -2) sv = (signed char)sv;
			uv = sv < 0 ? (uint64_t)0 - (uint64_t)sv : (uint64_t)sv;
			total += emit_num(sink, ctx, &sp, uv, sv < 0, 10, false, "");
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			uv = sp.len >= 1 ? (sp.len == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned long long))
					 : va_arg(ap, unsigned int);
			if (sp.len == -1) uv = (unsigned short)uv;
			if (sp.len <= -2) uv = (unsigned char)uv;
			sp.plus = sp.space = false; /* signed conversions only */
			{
				unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
				const char *pre = "";
				if (sp.alt && uv && base == 16)
					pre = c == 'X' ? "0X" : "0x";
				else if (sp.alt && base == 8)
					pre = "0";
				total += emit_num(sink, ctx, &sp, uv, false, base, c == 'X', pre);
			}
			break;
		case 'p':
			uv = (uint64_t)(uintptr_t)va_arg(ap, void *);
			total += emit_num(sink, ctx, &sp, uv, false, 16, false, "0x");
			break;
		case 's':
			total += emit_str(sink, ctx, &sp, va_arg(ap, const char *));
			break;
		case 'c': {
			char ch = (char)va_arg(ap, int);
			int pad = sp.width > 1 ? sp.width - 1 : 0;
			if (!sp.left)
				total += emit_pad(sink, ctx, ' ', pad);
			sink(ctx, &ch, 1);
			total++;
			if (sp.left)
				total += emit_pad(sink, ctx, ' ', pad);
			break;
		}
		case '%':
			sink(ctx, "%", 1);
			total++;
			break;
		default:
			/* unknown conversion: show it verbatim so the bug is visible */
			sink(ctx, "%", 1);
			total++;
			if (c) {
				sink(ctx, &c, 1);
				total++;
			}
			break;
		}
	}
	return total;
}

struct buf_sink {
	char *buf;
	size_t size, pos;
};

static void
buf_put(void *ctx, const char *s, size_t n)
{
	struct buf_sink *b = ctx;

	for (size_t i = 0; i < n; i++, b->pos++)
		if (b->size && b->pos < b->size - 1)
			b->buf[b->pos] = s[i];
}

int
vsnprintf(char *buf, size_t size, const char *f, va_list ap)
{
	struct buf_sink b = { buf, size, 0 };

	fmt_vformat(buf_put, &b, f, ap);
	if (size)
		buf[b.pos < size ? b.pos : size - 1] = '\0';
	return (int)b.pos;
}

int
snprintf(char *buf, size_t size, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	int n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(snprintf);
EXPORT_APP(vsnprintf);
