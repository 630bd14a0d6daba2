/*
 * states: the state_db's states - name, owner, size, soft or not, present,
 * generation, regenerations.
 */
#include "args.h"
#include "logger.h"
#include "state_db.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	static struct state_info info[STATE_MAX];
	size_t n = state_db_list(info, STATE_MAX);
	kprintf("%-28s %-12s %8s %-5s %-7s %4s %6s\n", "STATE", "OWNER", "BYTES", "SOFT", "PRESENT", "GEN",
		"REGEN");
	for (size_t i = 0; i < n && i < STATE_MAX; i++)
		kprintf("%-28s %-12s %8zu %-5s %-7s %4u %6u\n", info[i].name, info[i].owner, info[i].size,
			info[i].soft ? "yes" : "no", info[i].present ? "yes" : "no", info[i].gen,
			info[i].regenerations);
	kprintf("%zu states\n", n);
	return 0;
}
