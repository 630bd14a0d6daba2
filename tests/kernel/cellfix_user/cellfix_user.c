/*
 * cellfix_user: test fixture; depends on cellfix_a and on the nano_core.
 */
#include "heap.h"

int cellfix_a_calls_b(int x);
int cellfix_user_run(void);

int
cellfix_user_run(void)
{
	char *p = kmalloc(16); /* a dependency on the nano_core's heap cell */
	int r = cellfix_a_calls_b(1) + (p ? 1 : 0);
	kfree(p);
	return r;
}
