/*
 * shell_int.h: private to the shell cell.
 */
#ifndef SHELL_INT_H
#define SHELL_INT_H

#include "shell.h"

/* a line's bytes with its NUL; a longer line is refused when entered */
#define LINE_MAX 1024
/* words are separated by spaces, so a line has at most this many: no
 * argument is ever dropped */
#define MAX_ARGS (LINE_MAX / 2)
/* background jobs at once (the table has two more slots: the foreground
 * job, and one a restarted shell adopts) */
#define MAX_BG 32

/* jobs.c */
void jobs_run(char *line);
void jobs_report_done(void);
void jobs_list(void);
size_t jobs_commands(const char **out, size_t max);

/* line.c: read one edited line into buf; false if input ended */
bool line_read(char *buf, size_t cap);

#endif
