/*
 * Use after drop of a heap object: the node is freed, then its link is
 * read to continue the walk.
 */
/* expect: -Wanalyzer-use-after-free */
#include "heap.h"

struct node {
	struct node *next;
	uint64_t val;
};

uint64_t
sum_two(uint64_t a, uint64_t b)
{
	struct node *n = KNEW(struct node);
	if (!n)
		return 0;
	n->val = a + b;
	kfree(n);
	return n->val; /* BUG: n was freed */
}
