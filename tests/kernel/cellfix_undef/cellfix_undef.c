/*
 * cellfix_undef: test fixture that must fail to load: it needs a symbol
 * no cell provides.
 */
int no_such_function_anywhere(void);
int cellfix_undef_run(void);

int
cellfix_undef_run(void)
{
	return no_such_function_anywhere();
}
