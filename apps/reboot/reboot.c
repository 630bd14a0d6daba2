/*
 * reboot: reset the machine.
 */
#include "power.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	power_reboot();
}
