/*
 * serial: 16550 UART driver, polled. COM1 is the system console; COM2 is
 * reserved for host-to-OS transfers (evolution uploads). State: none beyond
 * the UART's own registers.
 */
#ifndef SERIAL_H
#define SERIAL_H

#include "base.h"

#define COM1 0x3F8
#define COM2 0x2F8

void serial_init(uint16_t port);
void serial_putc(uint16_t port, char c);
void serial_write(uint16_t port, const char *s, size_t n);
/* whether a UART answers at port (scratch register test) */
bool serial_present(uint16_t port);
/* returns -1 if no byte is waiting (or there is no UART) */
int serial_getc_nowait(uint16_t port);

#endif
