/*
 * chan-bench [ROUNDS]: round-trip time of 1-byte messages between two
 * CPUs over the rendezvous, buffered and fastpath channels.
 */
#include "base.h"
#include "logger.h"

int main(int argc, char **argv);
int bench_chan_run(unsigned rounds);

int
main(int argc, char **argv)
{
	unsigned rounds = 5000;
	if (argc > 1) {
		rounds = 0;
		for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
			rounds = rounds * 10 + (unsigned)(*p - '0');
	}
	if (!rounds) {
		kprintf("usage: chan-bench [ROUNDS]\n");
		return 2;
	}
	int err = bench_chan_run(rounds);
	if (err)
		kprintf("chan-bench: %s\n", err_str(err));
	return err ? 1 : 0;
}
