/*
 * tty: console input. COM1's "data available" interrupt (routed through
 * the IOAPIC) fills a ring buffer that readers take from; Ctrl-C also
 * calls the interrupt hook (the shell kills its foreground job). Output
 * stays with the logger (kprintf), mirrored to VGA.
 * State: the input ring (bytes typed but not yet read) and the hook.
 */
#ifndef TTY_H
#define TTY_H

#include "base.h"

int tty_init(void) __must_check;
/* next input byte, waiting at most timeout_ns (UINT64_MAX: forever); -1 on timeout */
int tty_getc(uint64_t timeout_ns);
/* the same, but only bytes typed since (not those given back by tty_unget) */
int tty_getc_typed(uint64_t timeout_ns);
/* keep a byte for the next tty_getc (type-ahead read while a command ran) */
void tty_unget(int c);
/* called from the interrupt when Ctrl-C (0x03) arrives */
void tty_set_intr_hook(void (*hook)(void));
/* input from another source (the PS/2 keyboard), as if typed on COM1;
 * returns how many bytes fitted (the rest are counted as dropped) */
size_t tty_input(const char *s, size_t n);
/* bytes dropped because the ring was full */
uint64_t tty_dropped(void);

#endif
