/*
 * cellfix_undeclared: test fixture that must fail to load: it links to
 * tsc_ns of cell tsc, but its deps file does not declare tsc (it declares
 * the function itself instead of including tsc.h, which the build would
 * refuse). The build's link check exempts it (DEPS_LINK_UNCHECKED in the
 * Makefile) so that the cell manager's own check can be tested
 * (test_cells: undeclared_dependency_refused).
 */
#include "base.h"

uint64_t tsc_ns(void);
uint64_t cellfix_undeclared_now(void);

uint64_t
cellfix_undeclared_now(void)
{
	return tsc_ns();
}
