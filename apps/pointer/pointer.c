/*
 * pointer [inject BYTE...] [fault]: the PS/2 mouse's pointer and
 * counters; `inject` has the controller present each byte (hex) as if the
 * mouse had sent it, through the real interrupt path; `fault` makes the
 * mouse's next interrupt handler run fault.
 */
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "mouse.h"
#include "ps2.h"

int main(int argc, char **argv);

static int
parse_byte(const char *s, uint8_t *b)
{
	unsigned v = 0;
	size_t i = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 2 : 0;
	if (!s[i] || strlen(s + i) > 2)
		return E_INVAL;
	for (; s[i]; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return E_INVAL;
		v = v * 16 + (unsigned)d;
	}
	*b = (uint8_t)v;
	return E_OK;
}

int
main(int argc, char **argv)
{
	if (!ps2_has_mouse()) {
		kprintf("pointer: no PS/2 mouse\n");
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "fault")) {
		mouse_inject_fault();
		kprintf("pointer: the next mouse interrupt faults\n");
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "inject")) {
		uint8_t b[32];
		int n = argc - 2;
		if (n > (int)sizeof(b)) {
			kprintf("pointer: at most %zu bytes\n", sizeof(b));
			return 2;
		}
		for (int i = 0; i < n; i++)
			if (parse_byte(argv[i + 2], &b[i])) {
				kprintf("pointer: '%s' is not a byte in hex; nothing injected\n", argv[i + 2]);
				return 2;
			}
		for (int i = 0; i < n; i++) {
			int err = ps2_inject_aux(b[i]);
			if (err) {
				kprintf("pointer: injecting byte %d (%#x): %s\n", i + 1, b[i], err_str(err));
				return 1;
			}
		}
		kprintf("pointer: %d byte(s) injected\n", n);
		return 0;
	}
	if (argc != 1) {
		kprintf("usage: pointer [inject BYTE...] [fault]\n");
		return 2;
	}
	struct mouse_stats s;
	mouse_stats(&s);
	kprintf("pointer at %d,%d of %ux%u, buttons %s%s%s\n", s.x, s.y, s.width, s.height,
		s.buttons & 1 ? "L" : "-", s.buttons & 4 ? "M" : "-", s.buttons & 2 ? "R" : "-");
	kprintf("mouse: %lu interrupts (%lu spurious), %lu bytes accepted, %lu packets; rejected: "
		"%lu %s, %lu %s; handler faults: %lu in this copy of mouse\n",
		s.irqs, s.spurious, s.bytes, s.packets, s.rejected[MOUSE_R_SYNC], mouse_verdict_str(MOUSE_R_SYNC),
		s.rejected[MOUSE_R_OVERFLOW], mouse_verdict_str(MOUSE_R_OVERFLOW), s.faults);
	return 0;
}
