/*
 * recfix_user: depends on recfix, so that recovery's stage 4 (reload the
 * suspect cell and its dependents) has a dependent to reload. No state.
 */
#include "base.h"

uint64_t recfix_crash(volatile int *faults_left);
uint64_t recfix_user_call(volatile int *faults_left);

uint64_t
recfix_user_call(volatile int *faults_left)
{
	return recfix_crash(faults_left) + 1;
}
