/*
 * swap [-v] OLD[,OLD...] NEW[,NEW...] [OLD NEW ...] [-t TRANSFER_FN]...
 * Replace running cells by new ones (N for M, so cells can be split or
 * merged), without stopping the tasks using them. -v prints each stage's
 * time. New cells come from the boot image.
 */
#include "cell_mgr.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	static struct swap_request rq;
	memset(&rq, 0, sizeof(rq));
	bool verbose = false;
	int pos = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			if (rq.ntransfer < SWAP_MAX)
				rq.transfer[rq.ntransfer++] = argv[++i];
		} else if (pos++ % 2 == 0) {
			rq.nold += str_split(argv[i], ',', rq.old + rq.nold, SWAP_MAX - rq.nold);
		} else {
			rq.nnew += str_split(argv[i], ',', rq.new_names + rq.nnew, SWAP_MAX - rq.nnew);
		}
	}
	if (!rq.nold || !rq.nnew || pos % 2) {
		kprintf("usage: swap [-v] OLD[,OLD...] NEW[,NEW...] [OLD NEW ...] [-t TRANSFER_FN]\n");
		return 2;
	}
	rq.ns = cell_find(cell_ns_kernel(), rq.old[0]) ? cell_ns_kernel() : cell_ns_apps();
	struct swap_times t;
	struct cell_error why;
	int err = cell_swap(&rq, &t, &why);
	if (err) {
		kprintf("swap failed, nothing changed: %s\n", why.msg);
		return 1;
	}
	kprintf("swapped:");
	for (size_t i = 0; i < rq.nold; i++)
		kprintf(" %s", rq.old[i]);
	kprintf(" ->");
	for (size_t i = 0; i < rq.nnew; i++)
		kprintf(" %s", rq.new_names[i]);
	kprintf(" (%zu relocations rewritten, %zu data sections carried, %zu old cells freed, %zu retired)\n",
		t.relocs, t.data_copied, t.freed, cell_retired());
	if (t.restarted)
		kprintf("  %zu task(s) restarted into the new code\n", t.restarted);
	if (t.stale)
		kprintf("  still running the old code (not restartable; the old cell stays until they end): %s\n",
			t.stale_names);
	if (verbose) {
		kprintf("  load              %8lu us\n", t.load / 1000);
		kprintf("  verify            %8lu us\n", t.verify / 1000);
		kprintf("  quiesce           %8lu us  (waiting for no task inside the old cells)\n", t.quiesce / 1000);
		kprintf("  rewrite relocs    %8lu us\n", t.rewrite / 1000);
		kprintf("  update deps       %8lu us\n", t.deps / 1000);
		kprintf("  transfer state    %8lu us\n", t.transfer / 1000);
		kprintf("  clean up          %8lu us\n", t.cleanup / 1000);
		if (t.pause)
			kprintf("  pause (all CPUs)  %8lu us\n", t.pause / 1000);
		else
			kprintf("  pause (all CPUs)      none  (live transfer: no CPU stopped)\n");
		kprintf("  total             %8lu us\n", t.total / 1000);
	}
	return 0;
}
