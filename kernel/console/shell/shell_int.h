/*
 * shell_int.h: private to the shell cell.
 */
#ifndef SHELL_INT_H
#define SHELL_INT_H

#include "shell.h"
#include "logger.h"

struct vfs_file;

/* a line's bytes with its NUL; a longer line is refused when entered */
#define LINE_MAX 1024
/* words are separated by spaces, so a line has at most this many: no
 * argument is ever dropped */
#define MAX_ARGS (LINE_MAX / 2)
/* background jobs at once (the table has two more slots: the foreground
 * job, and one a restarted shell adopts) */
#define MAX_BG 32

/* session.c */
struct redir {
	struct vfs_file *out;     /* owned: the file a command's output goes to */
	bool append;
	char path[256];
	struct log_capture cap;   /* the command's output meanwhile */
};
/* set the shell task's directory from the session's (at start) */
void session_restore(void);
/* cd, pwd: true if argv[0] was one (and it ran) */
bool session_builtin(int argc, char **argv);
/* cut a "> FILE" / ">> FILE" off the line and open FILE: E_OK (r->out
 * NULL if there was none), E_INVAL (no single file name), or why FILE
 * cannot be opened */
int redir_parse(char *line, struct redir *r) __must_check;
/* capture `task`'s output / write it to the file, close it */
int redir_begin(struct redir *r, const void *task) __must_check;
void redir_end(struct redir *r);
/* the id of the mount at /disk (0: none); its history file */
uint32_t history_disk(void);
void history_file_add(const char *line);
size_t history_file_read(char (*lines)[LINE_MAX], size_t max);

/* jobs.c */
void jobs_run(char *line);
void jobs_report_done(void);
void jobs_list(void);
size_t jobs_commands(const char **out, size_t max);

/* line.c: read one edited line into buf; false if input ended */
bool line_read(char *buf, size_t cap);

#endif
