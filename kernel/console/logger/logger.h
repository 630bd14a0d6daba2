/*
 * logger: leveled, timestamped log lines to every registered console sink
 * (COM1 always, the VGA text mirror once mapped, the framebuffer terminal
 * once started: log_set_sink). A file sets LOG_TAG
 * before including this header to name its lines.
 *   [    1.234567] I mm: 2 regions, 510 MiB free
 * State: the sink list, the level threshold, the console lock and the
 * table of output captures (pointers to the callers' capture records).
 */
#ifndef LOG_H
#define LOG_H

#include "base.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

#ifndef LOG_TAG
#define LOG_TAG "kernel"
#endif

typedef void (*log_sink_fn)(const char *s, size_t n);

void log_write(enum log_level lvl, const char *tag, const char *fmt, ...) __printf(3, 4);
/* raw console output, no prefix, no newline added (dumps, shell output) */
void kprintf(const char *fmt, ...) __printf(1, 2);
void kvprintf(const char *fmt, va_list ap);
/* until log_capture_end, this CPU's kprintf output and log lines go into
 * buf (n bytes, kept NUL-terminated; what does not fit is dropped) rather
 * than to the console: a report composed now, written out later. The
 * caller keeps interrupts off in between (it must stay on this CPU). */
void log_capture_begin(char *buf, size_t n);
size_t log_capture_end(void); /* the bytes captured */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
int log_add_sink(log_sink_fn sink) __must_check;
/* add, replace (NULL: remove) the sink called `name` (under 16 chars): a
 * sink cell's transfer function takes its place over this way */
int log_set_sink(const char *name, log_sink_fn sink) __must_check;

/* The console's edit line: the prompt and the line being typed at it (the
 * shell's). Other output first erases it and, once that output has ended
 * its line, draws it again below, so log lines never print over what is
 * being typed. Column arithmetic counts UTF-8 code points, and redraws use
 * only \r, \b and spaces (any terminal, and the VGA mirror).
 * log_edit_begin starts one (writing the prompt); log_edit_set records its
 * new text and cursor (a byte offset) and writes `echo`, the update the
 * editor computed from what is shown; log_edit_end forgets it (entered or
 * abandoned: later output goes below it). */
#define LOG_EDIT_MAX 1100
void log_edit_begin(const char *prompt);
void log_edit_set(const char *text, size_t cursor, const char *echo, size_t echo_len);
void log_edit_end(void);

/* Output capture (the shell's `cmd > file`): while a capture for a task is
 * added, what that task prints with kprintf (not log lines, not output from
 * interrupt handlers on its CPU) is appended to the capture's buffer
 * instead of the console. The buffer is heap memory that grows as needed
 * up to `max` bytes; past that, bytes are counted in `lost`. The record is
 * the caller's; remove it (after the task has ended) before freeing it,
 * then kfree(buf). */
struct log_capture {
	const void *task;      /* the struct task whose output it takes */
	char *buf;             /* owned by the record's holder once removed */
	size_t len, cap, max;
	uint64_t lost;
};
#define LOG_CAPTURES 40
/* E_NOSPC if LOG_CAPTURES are in use */
int log_capture_add(struct log_capture *c) __must_check;
void log_capture_remove(struct log_capture *c);

#define log_err(...)   log_write(LOG_ERROR, LOG_TAG, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, LOG_TAG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, LOG_TAG, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, LOG_TAG, __VA_ARGS__)
#define log_trace(...) log_write(LOG_TRACE, LOG_TAG, __VA_ARGS__)

#endif
