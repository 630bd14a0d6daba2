/*
 * cellfix_app: an application fixture that must be refused: it calls a
 * kernel function (frames_alloc) that no kernel cell exports to apps.
 */
#include "frame_alloc.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	int err;
	struct frames *f = frames_alloc(1, &err);
	frames_drop(f);
	return 0;
}
