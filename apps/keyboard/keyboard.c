/*
 * keyboard [inject BYTE...] [fault]: the PS/2 keyboard's counters; `inject`
 * has the controller present each byte (hex) as if the keyboard had sent
 * it, through the real interrupt path; `fault` makes the keyboard's next
 * interrupt handler run fault (then watch it recover: `faults`, `kbd`).
 */
#include "base.h"
#include "kbd.h"
#include "klibc.h"
#include "logger.h"
#include "ps2.h"

int main(int argc, char **argv);

static int
parse_byte(const char *s, uint8_t *b)
{
	unsigned v = 0;
	size_t i = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
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

static void
show(void)
{
	struct kbd_stats s;
	struct ps2_stats p;
	kbd_stats(&s);
	ps2_stats(&p);
	kprintf("keyboard: %lu interrupts (%lu spurious, %lu while a command ran), %lu bytes accepted, "
		"%lu delivered to the console, %lu dropped (console full), %lu mouse-port bytes ignored\n",
		s.irqs, s.spurious, s.busy, s.bytes, s.delivered, s.dropped, s.aux);
	kprintf("rejected:");
	for (unsigned v = 1; v < KBD_NVERDICTS; v++)
		kprintf(" %lu %s;", s.rejected[v], kbd_verdict_str((enum kbd_verdict)v));
	kprintf("\nhandler faults: %lu in this copy of kbd\n", s.faults);
	kprintf("controller: %lu inits (%lu failed), %lu keyboard resets, %lu bytes injected, "
		"%lu recoveries (%lu failed), last %lu us\n",
		p.inits, p.init_failures, p.resets, p.injected, p.recoveries, p.recovery_failures,
		p.last_recovery_ns / 1000);
}

int
main(int argc, char **argv)
{
	if (argc == 1) {
		show();
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "fault")) {
		kbd_inject_fault();
		kprintf("keyboard: the next keyboard interrupt faults\n");
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "inject")) {
		uint8_t b[32];
		int n = argc - 2;
		if (n > (int)sizeof(b)) {
			kprintf("keyboard: at most %zu bytes\n", sizeof(b));
			return 2;
		}
		for (int i = 0; i < n; i++)
			if (parse_byte(argv[i + 2], &b[i])) {
				kprintf("keyboard: '%s' is not a byte in hex; nothing injected\n", argv[i + 2]);
				return 2;
			}
		for (int i = 0; i < n; i++) {
			int err = ps2_inject(b[i]);
			if (err) {
				kprintf("keyboard: injecting byte %d (%#x): %s\n", i + 1, b[i], err_str(err));
				return 1;
			}
		}
		kprintf("keyboard: %d byte(s) injected\n", n);
		return 0;
	}
	kprintf("usage: keyboard [inject BYTE...] [fault]\n");
	return 2;
}
