/*
 * sysview_int.h: private to the sysview cell.
 */
#ifndef SYSVIEW_INT_H
#define SYSVIEW_INT_H

#include "sysview.h"

/* what a node is: the kind in id, its namespace in a, a cell's gen in b */
enum sv_kind { SV_ROOT = 1, SV_CELLS, SV_NSDIR, SV_CELL, SV_TASKS, SV_FAULTS, SV_NAMESPACES, SV_MOUNTS };

struct text {
	char *p;
	size_t len, cap;
	bool cut;
};
void text_add(struct text *t, const char *fmt, ...) __printf(2, 3);

struct cell_ns;
struct cell_ns *sv_ns(uint64_t i); /* 0: kernel, 1: apps, else NULL */
#define SV_NS_COUNT 2

/* the text of a file node into t; E_NOENT if what it shows is gone */
int sv_generate(const struct fs_node *n, struct text *t) __must_check;

#endif
