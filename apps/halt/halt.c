/*
 * halt: power off.
 */
#include "args.h"
#include "power.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	power_off();
}
