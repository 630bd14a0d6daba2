/*
 * input [inject kbd|mouse BYTE...] [fault kbd|mouse]: the PS/2
 * keyboard's, mouse's and controller's counters and the pointer; `inject`
 * has the controller present each byte (hex) as if that device had sent
 * it, through the real interrupt path; `fault` makes that device's next
 * interrupt handler run fault (then see `faults` and `input`).
 */
#include "base.h"
#include "kbd.h"
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

static int
inject(bool mouse, int n, char **args)
{
	uint8_t b[32];
	if (n > (int)sizeof(b)) {
		kprintf("input: at most %zu bytes\n", sizeof(b));
		return 2;
	}
	for (int i = 0; i < n; i++)
		if (parse_byte(args[i], &b[i])) {
			kprintf("input: '%s' is not a byte in hex; nothing injected\n", args[i]);
			return 2;
		}
	for (int i = 0; i < n; i++) {
		int err = mouse ? ps2_inject_aux(b[i]) : ps2_inject(b[i]);
		if (err) {
			kprintf("input: injecting byte %d (%#x): %s\n", i + 1, b[i], err_str(err));
			return 1;
		}
	}
	kprintf("input: %d byte(s) injected\n", n);
	return 0;
}

static void
show(void)
{
	struct kbd_stats s;
	struct mouse_stats m;
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
	if (ps2_has_mouse()) {
		mouse_stats(&m);
		kprintf("pointer at %d,%d of %ux%u, buttons %s%s%s\n", m.x, m.y, m.width, m.height,
			m.buttons & 1 ? "L" : "-", m.buttons & 4 ? "M" : "-", m.buttons & 2 ? "R" : "-");
		kprintf("mouse: %lu interrupts (%lu spurious), %lu bytes accepted, %lu packets; rejected: "
			"%lu %s, %lu %s; handler faults: %lu in this copy of mouse\n",
			m.irqs, m.spurious, m.bytes, m.packets, m.rejected[MOUSE_R_SYNC],
			mouse_verdict_str(MOUSE_R_SYNC), m.rejected[MOUSE_R_OVERFLOW],
			mouse_verdict_str(MOUSE_R_OVERFLOW), m.faults);
	} else {
		kprintf("mouse: none\n");
	}
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
	bool kbd = argc >= 3 && !strcmp(argv[2], "kbd"), mouse = argc >= 3 && !strcmp(argv[2], "mouse");
	if (mouse && !ps2_has_mouse()) {
		kprintf("input: no PS/2 mouse\n");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "fault") && (kbd || mouse)) {
		if (mouse)
			mouse_inject_fault();
		else
			kbd_inject_fault();
		kprintf("input: the next %s interrupt faults\n", mouse ? "mouse" : "keyboard");
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "inject") && (kbd || mouse))
		return inject(mouse, argc - 3, argv + 3);
	kprintf("usage: input [inject kbd|mouse BYTE...] [fault kbd|mouse]\n");
	return 2;
}
