/*
 * serial.c: 16550 UART, 115200 8N1, FIFOs on, interrupts off (polled).
 */
#include "serial.h"
#include "cpu.h"

enum { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7 };
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20

void
serial_init(uint16_t port)
{
	outb(port + IER, 0x00);
	outb(port + LCR, 0x80); /* DLAB: divisor follows */
	outb(port + DATA, 0x01); /* 115200 baud */
	outb(port + IER, 0x00);
	outb(port + LCR, 0x03); /* 8 bits, no parity, 1 stop */
	outb(port + FCR, 0xC7); /* enable and clear FIFOs */
	outb(port + MCR, 0x0B);
}

void
serial_putc(uint16_t port, char c)
{
	if (c == '\n')
		serial_putc(port, '\r');
	for (int spins = 0; !(inb(port + LSR) & LSR_THR_EMPTY) && spins < 100000; spins++)
		cpu_relax();
	outb(port + DATA, (uint8_t)c);
}

void
serial_write(uint16_t port, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(port, s[i]);
}

/* an absent UART floats the bus: its registers read 0xFF, and a value
 * written to the scratch register does not read back */
bool
serial_present(uint16_t port)
{
	if (inb(port + LSR) == 0xFF)
		return false;
	uint8_t old = inb(port + SCR);
	outb(port + SCR, 0x5A);
	bool a = inb(port + SCR) == 0x5A;
	outb(port + SCR, 0xA5);
	bool b = inb(port + SCR) == 0xA5;
	outb(port + SCR, old);
	return a && b;
}

int
serial_getc_nowait(uint16_t port)
{
	uint8_t lsr = inb(port + LSR);
	/* 0xFF: no UART there (every bit set, including "data ready") */
	if (lsr == 0xFF || !(lsr & LSR_DATA_READY))
		return -1;
	return inb(port + DATA);
}
