/*
 * hello: the smallest application cell. It is carried in the image as a
 * boot module; the cell loader links it at run time into the `apps`
 * namespace, where main(argc, argv) is its entry. No state.
 */
#include "logger.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	kprintf("Hello from the hello cell!");
	for (int i = 1; i < argc; i++)
		kprintf(" %s", argv[i]);
	kprintf("\n");
	return 0;
}
