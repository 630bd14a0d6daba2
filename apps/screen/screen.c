/*
 * screen: the framebuffer terminal's mode, grid and drawing counters.
 */
#include "base.h"
#include "fbterm.h"
#include "logger.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct fbterm_info fi;
	fbterm_info(&fi);
	if (!fi.ready) {
		kprintf("screen: no framebuffer terminal (the boot loader gave no linear RGB framebuffer)\n");
		return 1;
	}
	kprintf("framebuffer %ux%ux%u at %#lx (%u bytes a line), %ux%u characters of %ux%u\n", fi.width,
		fi.height, fi.bpp, fi.phys, fi.pitch, fi.cols, fi.rows, fi.font_w, fi.font_h);
	kprintf("%lu characters written, %lu lines scrolled, %lu frames drawn (last %lu us, longest %lu us)\n",
		fi.chars, fi.scrolls, fi.frames, fi.frame_ns_last / 1000, fi.frame_ns_max / 1000);
	return 0;
}
