/*
 * shell_int.h: private to the shell cell.
 */
#ifndef SHELL_INT_H
#define SHELL_INT_H

#include "shell.h"

#define MAX_ARGS 16
#define LINE_MAX 256

/* jobs.c */
void jobs_run(char *line);
void jobs_report_done(void);
void jobs_list(void);
size_t jobs_commands(const char **out, size_t max);

/* line.c: read one edited line into buf; false if input ended */
bool line_read(char *buf, size_t cap);

#endif
