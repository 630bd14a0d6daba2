/*
 * chan-bench [ROUNDS]: round-trip time of 1-byte messages between two
 * CPUs over the rendezvous, buffered and fastpath channels.
 */
#include "args.h"
#include "base.h"
#include "logger.h"

int main(int argc, char **argv);
int bench_chan_run(unsigned rounds);

int
main(int argc, char **argv)
{
	uint64_t rounds = 5000;
	if (args_opt_number(argc, argv, "chan-bench [ROUNDS]", "ROUNDS", 1, 10000000, &rounds))
		return ARGS_USAGE;
	int err = bench_chan_run((unsigned)rounds);
	if (err)
		kprintf("chan-bench: %s\n", err_str(err));
	return err ? 1 : 0;
}
