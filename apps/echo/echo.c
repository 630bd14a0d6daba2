/*
 * echo: print the arguments.
 */
#include "logger.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		kprintf("%s%s", argv[i], i + 1 < argc ? " " : "");
	kprintf("\n");
	return 0;
}
