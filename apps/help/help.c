/*
 * help: the commands, each an application cell (apps/<name>).
 */
#include "args.h"
#include "cell_mgr.h"
#include "klibc.h"
#include "logger.h"

int main(int argc, char **argv);

static const struct {
	const char *name, *text;
} known[] = {
	{ "help", "this list" },
	{ "ns", "[-r] | -s CELL | log [NS] | diff A B | checkout N | rollback N: namespaces and their cells; their history of evolutions" },
	{ "deps", "[CELL|SYMBOL|SECTION] [--dot] | --check: dependencies and dependents, both ways" },
	{ "ps", "tasks: id, name, state, CPU, pin, cell, run time" },
	{ "kill", "[-a] ID|NAME...: kill tasks (they unwind, releasing what they hold); -a: every task of a name" },
	{ "rq", "each CPU's current task and runqueue" },
	{ "faults", "the fault log" },
	{ "mem", "frames, pages, mappings and heap in use" },
	{ "bt", "ID|NAME: backtrace of a task" },
	{ "uptime", "time since boot, tasks, CPUs" },
	{ "echo", "ARGS: print them" },
	{ "hello", "[ARGS]: a greeting (the smallest application cell)" },
	{ "test", "[NAME...]: run the test cells (or the named tests/cells)" },
	{ "crash", "panic|null|div: crash on purpose (recovery demo)" },
	{ "spin", "[SECONDS]: run until killed (or for SECONDS), holding memory" },
	{ "swap", "[-v] [-p MS] OLD[,OLD...] NEW[,NEW...] [-t FN]: replace running cells by the image's (-p: on probation)" },
	{ "states", "the state_db's states" },
	{ "chan-bench", "[ROUNDS]: channel round-trip times between two CPUs" },
	{ "lspci", "[-v]: PCI functions and the device interrupt lines (-v: BARs, INTx, capabilities)" },
	{ "nic", "| nic arp [N]: the e1000's MAC, link and counters; N ARP requests to the gateway" },
	{ "net", "| net up [SECONDS] | net static IP/PREFIX [GW] | net off | net fault nic|stack: the network interface (lwIP over the e1000): address, link, counters" },
	{ "ping", "[-c N] [-s BYTES] A.B.C.D: ICMP echo requests" },
	{ "nc", "[-u] [-w S] IP PORT [TEXT] | [-u] [-e] -l PORT | -l PORT -c | IP PORT -n BYTES: TCP/UDP connect, listen, echo, count" },
	{ "serve", "[PORT] | -s: the status server (HTTP: /, /cells, /tasks, /faults, /memory, /net); -s: its counters" },
	{ "disk", "| disk read DISK LBA | disk write|check DISK LBA N SEED: the disks and their sectors" },
	{ "fat", "DISK ls|mkdir|write|append|check|trunc|rm|mv|cat ...: a FAT32 disk through the fat32 cell" },
	{ "input", "[inject kbd|mouse BYTE...] [fault kbd|mouse]: the PS/2 keyboard's, mouse's and controller's counters" },
	{ "screen", "the framebuffer terminal's mode, grid and frame times" },
	{ "simd", "[KIB] [ROUNDS]: one computation in the kernel namespace and in the simd personality (an SSE2 build), compared" },
	{ "ls", "[PATH...]: directory entries (kind, size, name) or a file's line" },
	{ "cat", "FILE...: print files" },
	{ "mkdir", "DIR...: make directories" },
	{ "rm", "PATH...: remove files and empty directories" },
	{ "cp", "FROM TO: copy a file (TO a directory: into it)" },
	{ "mv", "FROM TO: move or rename (across mounts: copy, then remove)" },
	{ "mount", "| mount TYPE DEVICE|- DIR: the mount table; mount a filesystem type at a directory" },
	{ "umount", "DIR: unmount" },
	{ "fswork", "FILE SECONDS: keep FILE and /sys/namespaces open, write and check records (a load for reload tests)" },
	{ "halt", "power off" },
	{ "reboot", "reboot" },
	{ "jobs", "background jobs (shell built-in; `cmd &` starts one)" },
	{ "cd", "[DIR]: change the shell's directory (shell built-in; no DIR: /)" },
	{ "pwd", "the shell's directory (shell built-in)" },
};

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	kprintf("Commands (Tab completes; Ctrl-C kills the running one; `cmd &` runs in the background;\n"
		"arrows, Home, End, Delete edit the line; Up/Down walk the history; `cmd > FILE` and `cmd >> FILE`\n"
		"write a command's output to a file):\n");
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		kprintf("  %-10s %s\n", known[i].name, known[i].text);
	const char *mods[256];
	size_t n = cell_modules(mods, ARRAY_SIZE(mods));
	bool header = false;
	for (size_t i = 0; i < n; i++) {
		if (!cell_module_is_app(mods[i]))
			continue;
		bool listed = false;
		for (size_t k = 0; k < ARRAY_SIZE(known); k++)
			listed |= !strcmp(known[k].name, mods[i]);
		if (!listed) {
			if (!header)
				kprintf("Other application cells:");
			header = true;
			kprintf(" %s", mods[i]);
		}
	}
	if (header)
		kprintf("\n");
	return 0;
}
