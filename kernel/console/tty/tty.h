/*
 * tty: console input. COM1's "data available" interrupt (routed through
 * the IOAPIC) fills a ring buffer that readers take from; Ctrl-C also
 * calls the interrupt hook. Type-ahead is never lost: a full ring stops
 * taking bytes from the UART (its receive interrupt is masked), so the
 * sender waits - QEMU keeps them in its input - until a reader makes room.
 * Output stays with the logger (kprintf), mirrored to VGA.
 * State: the input ring (bytes typed but not yet read) and the hook.
 */
#ifndef TTY_H
#define TTY_H

#include "base.h"

/* bytes of type-ahead the ring holds (a pasted screenful and more) */
#define TTY_RING 8192

int tty_init(void) __must_check;
/* next input byte, waiting at most timeout_ns (UINT64_MAX: forever); -1 on timeout */
int tty_getc(uint64_t timeout_ns);
/* wait at most timeout_ns for a Ctrl-C (0x03) among the bytes typed and
 * take the first one out, leaving every other byte where it was for
 * tty_getc: true if there was one (what a shell waiting for a command
 * does, so that lines typed ahead stay whole) */
bool tty_take_intr(uint64_t timeout_ns);
/* called from the interrupt when Ctrl-C (0x03) arrives */
void tty_set_intr_hook(void (*hook)(void));
/* how often the ring filled up, so the sender had to wait; bytes the UART
 * itself lost (overrun: the ring was not the cause) */
uint64_t tty_full_count(void);
uint64_t tty_overruns(void);
/* input from another source (the PS/2 keyboard), as if typed on COM1;
 * returns how many bytes fitted (the rest are counted as dropped) */
size_t tty_input(const char *s, size_t n);
/* bytes dropped because the ring was full */
uint64_t tty_dropped(void);

#endif
