/*
 * swap [-v] [-p MS] [-n NS] OLD[,OLD...] NEW[,NEW...] [OLD NEW ...] [-t TRANSFER_FN]...
 * Replace running cells by new ones (N for M, so cells can be split or
 * merged), without stopping the tasks using them. -v prints each stage's
 * time. -p puts the new cells on probation for MS milliseconds: the old
 * ones stay loaded, and a fault in a new one rolls the swap back (`ns log`
 * shows how it ended). -n names the namespace (a personality: `swap -n simd
 * vecsum vecsum` gives it the kernel's build); by default the kernel's, or
 * the applications' if the old cell is an application. New cells come from
 * the boot image.
 */
#include "cell_mgr.h"
#include "args.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"

int main(int argc, char **argv);

#define USAGE "swap [-v] [-p MS] [-n NS] OLD[,OLD...] NEW[,NEW...] [OLD NEW ...] [-t TRANSFER_FN]"

static bool
in_image(const char *name)
{
	const char *mods[256];
	size_t n = cell_modules(mods, ARRAY_SIZE(mods));
	for (size_t i = 0; i < n && i < ARRAY_SIZE(mods); i++)
		if (!strcmp(mods[i], name))
			return true;
	return false;
}

/* every old cell is loaded (in one namespace) and every new one is in the
 * image: else say which is not, and why that may be */
static bool
names_ok(const struct swap_request *rq)
{
	for (size_t i = 0; i < rq->nold; i++) {
		if (cell_find(rq->ns, rq->old[i]))
			continue;
		struct cell_ns *other = rq->ns == cell_ns_kernel() ? cell_ns_apps() : cell_ns_kernel();
		if (cell_find(other, rq->old[i]))
			kprintf("swap: %s is loaded in namespace %s, %s in %s: one swap replaces cells of one namespace\n",
				rq->old[i], cell_ns_name(other), rq->old[0], cell_ns_name(rq->ns));
		else if (in_image(rq->old[i]) && cell_module_is_app(rq->old[i]))
			kprintf("swap: no cell %s is loaded: an application cell is loaded when it first runs (run `%s` "
				"first); until then its next run loads the image's object anyway\n", rq->old[i],
				rq->old[i]);
		else if (in_image(rq->old[i]))
			kprintf("swap: no cell %s is loaded: it is in the image but nothing has loaded it yet, so its "
				"next load uses the image's object anyway\n", rq->old[i]);
		else
			kprintf("swap: no cell %s (not loaded, not in the image; `ns` lists the loaded cells)\n",
				rq->old[i]);
		return false;
	}
	for (size_t i = 0; i < rq->nnew; i++) {
		if (!in_image(rq->new_names[i])) {
			kprintf("swap: no cell %s in the image to swap in (`help` lists the application cells, "
				"`ns` the loaded ones)\n", rq->new_names[i]);
			return false;
		}
	}
	return true;
}

int
main(int argc, char **argv)
{
	static struct swap_request rq;
	memset(&rq, 0, sizeof(rq));
	bool verbose = false;
	int pos = 0;
	struct cell_ns *ns = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[i], "-p")) {
			uint64_t ms;
			if (i + 1 == argc || str_to_u64(argv[i + 1], 10, 3600000, &ms) || !ms) {
				kprintf("swap: -p needs a probation in milliseconds, 1 to 3600000 (usage: %s)\n", USAGE);
				return ARGS_USAGE;
			}
			rq.probation_ms = (uint32_t)ms;
			i++;
		} else if (!strcmp(argv[i], "-n")) {
			if (i + 1 == argc || !(ns = cell_ns_find(argv[i + 1]))) {
				kprintf("swap: -n needs a namespace (`ns` lists them; usage: %s)\n", USAGE);
				return ARGS_USAGE;
			}
			i++;
		} else if (!strcmp(argv[i], "-t")) {
			if (i + 1 == argc || rq.ntransfer == SWAP_MAX) {
				kprintf("swap: -t needs a transfer function's name (at most %d; usage: %s)\n", SWAP_MAX,
					USAGE);
				return ARGS_USAGE;
			}
			rq.transfer[rq.ntransfer++] = argv[++i];
		} else if (argv[i][0] == '-') {
			return args_bad(argv, i, USAGE);
		} else if (pos++ % 2 == 0) {
			rq.nold += str_split(argv[i], ',', rq.old + rq.nold, SWAP_MAX - rq.nold);
		} else {
			rq.nnew += str_split(argv[i], ',', rq.new_names + rq.nnew, SWAP_MAX - rq.nnew);
		}
	}
	if (!rq.nold || !rq.nnew || pos % 2) {
		kprintf("usage: %s\n", USAGE);
		return ARGS_USAGE;
	}
	rq.ns = ns ? ns : cell_find(cell_ns_kernel(), rq.old[0]) ? cell_ns_kernel() : cell_ns_apps();
	if (!names_ok(&rq))
		return 1;
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
	if (t.commit)
		kprintf("  commit #%u%s\n", t.commit, rq.probation_ms ? ", on probation (the old cells are kept)" : "");
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
