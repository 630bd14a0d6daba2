/*
 * cellfix_b: test fixture; depends on cellfix_a, which depends on it.
 */
int cellfix_a_base(void);
int cellfix_b_twice(int x);

int
cellfix_b_twice(int x)
{
	return 2 * x + cellfix_a_base();
}
