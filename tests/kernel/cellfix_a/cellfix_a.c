/*
 * cellfix_a: a test fixture cell (with cellfix_b: a circular pair). Not
 * loaded at boot; test_cells loads, calls, walks and unloads it.
 */
int cellfix_a_counter = 5;
int cellfix_b_twice(int x);
int cellfix_a_calls_b(int x);
int cellfix_a_base(void);

int
cellfix_a_calls_b(int x)
{
	return cellfix_b_twice(x) + cellfix_a_counter;
}

int
cellfix_a_base(void)
{
	return 100;
}
