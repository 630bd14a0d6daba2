/* httpd_int.h: the parts of httpd its files share */
#ifndef HTTPD_INT_H
#define HTTPD_INT_H
#include "base.h"

/* a growing text buffer; oom once an allocation failed */
struct out {
	char *p;
	size_t len, cap;
	bool oom;
};
void out_put(struct out *o, const char *s, size_t n);
void out_printf(struct out *o, const char *fmt, ...) __printf(2, 3);
void out_drop(struct out *o);

/* the status page (page.c) */
extern const char httpd_page[];
#endif
