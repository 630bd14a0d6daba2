/*
 * args: argument checks the application cells share, so that every
 * command answers a wrong argument with what is wrong, names itself and
 * gives its usage (exit status 2) instead of ignoring it.
 * No state.
 */
#ifndef ARGS_H
#define ARGS_H

#include "base.h"

/* exit status of a command given wrong arguments */
#define ARGS_USAGE 2

/* argv[i] is not something the command takes: prints
 * "CMD: unknown option -x (usage: USAGE)" (or "unexpected argument 'x'")
 * and returns ARGS_USAGE */
int args_bad(char **argv, int i, const char *usage);
/* too few or too many arguments: prints "CMD: wrong number of arguments
 * (usage: USAGE)" and returns ARGS_USAGE */
int args_usage(char **argv, const char *usage);
/* a command that takes no arguments: 0, or args_bad for the first one */
int args_none(int argc, char **argv);
/* s as a decimal number in [min, max] into *out: 0, or prints
 * "CMD: WHAT must be a whole number from MIN to MAX, not 'S'" and returns
 * ARGS_USAGE */
int args_number(const char *cmd, const char *what, const char *s, uint64_t min, uint64_t max,
		uint64_t *out);
/* a command whose one optional argument is a number (WHAT, in [min, max]):
 * 0 with *out set if it was given (left alone if not), or ARGS_USAGE
 * after saying what is wrong (an option, a second argument, a bad number) */
int args_opt_number(int argc, char **argv, const char *usage, const char *what, uint64_t min,
		    uint64_t max, uint64_t *out);
/* the live tasks KEY stands for - an id (decimal, 1..UINT32_MAX), or every
 * task of that name that has not finished: up to max ids into ids, returns
 * how many there are (0 after printing "CMD: no task ..." naming why) */
size_t args_tasks(const char *cmd, const char *key, uint32_t *ids, size_t max);

#endif
