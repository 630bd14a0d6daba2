/*
 * test_fbterm: the framebuffer terminal mirrors the console, scrolls,
 * and is swapped for a new copy of itself while output goes on (the
 * screen's text carried, the sink and the drawing task taken over).
 */
#include "ktest.h"
#include "base.h"
#include "cell_mgr.h"
#include "fbterm.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

/* the screen row holding `s` (searched bottom up), or -1 */
static int
find_row(const char *s)
{
	struct fbterm_info fi;
	fbterm_info(&fi);
	char line[300];
	for (int r = (int)fi.rows - 1; r >= 0; r--)
		if (!fbterm_line((uint32_t)r, line, sizeof(line)) && strstr(line, s))
			return r;
	return -1;
}

KTEST(fbterm_mirrors_the_console_and_scrolls)
{
	struct fbterm_info a, b;
	fbterm_info(&a);
	KT_ASSERT(a.ready);
	KT_ASSERT(a.cols >= 40 && a.rows >= 10);
	kprintf("fbterm-mark-%lu\n", a.chars);
	char mark[40];
	snprintf(mark, sizeof(mark), "fbterm-mark-%lu", a.chars);
	int r = find_row(mark);
	KT_ASSERT(r >= 0);
	/* a full screen of lines later the mark has scrolled off */
	for (uint32_t i = 0; i < a.rows; i++)
		kprintf("fbterm scroll line %u\n", i);
	KT_EQ(find_row(mark), -1);
	fbterm_info(&b);
	KT_ASSERT(b.scrolls >= a.scrolls + a.rows - (uint32_t)r - 1);
	/* and the task draws it: a frame within a second */
	uint64_t end = tsc_ns() + 2000000000ULL;
	while (b.frames == a.frames && tsc_ns() < end) {
		task_sleep_ns(10000000);
		fbterm_info(&b);
	}
	KT_ASSERT(b.frames > a.frames);
}

static volatile bool writing;

static uint64_t
writer(uint64_t n)
{
	for (uint64_t i = 0; i < n && writing; i++) {
		kprintf("fbterm-writer %lu\n", i);
		task_sleep_ns(10000000);
	}
	return 0;
}

/* the copies this test swapped out are freed before it ends (a later
 * test's frame balance must not see them go) */
static bool
reclaim_retired(void)
{
	for (int i = 0; i < 300 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(10000000);
	}
	return cell_retired() == 0;
}

KTEST_FLAGS(fbterm_swapped_while_output_goes_on, KTEST_NO_FRAMECHECK)
{
	struct fbterm_info a, b;
	fbterm_info(&a);
	KT_ASSERT(a.ready);
	kprintf("fbterm-before-swap\n");
	writing = true;
	int err;
	struct task_builder tb = TASK_BUILDER(writer, (uint64_t)100000);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&tb, &err);
	KT_ASSERT(t);
	struct cell *c = cell_find(cell_ns_kernel(), "fbterm");
	KT_ASSERT(c);
	uint64_t text = c->start[REGION_TEXT];
	struct swap_request rq = { .ns = cell_ns_kernel(), .nold = 1, .nnew = 1, .ntransfer = 1 };
	rq.old[0] = rq.new_names[0] = "fbterm";
	rq.transfer[0] = "fbterm_adopt";
	struct swap_times st;
	struct cell_error why;
	task_sleep_ns(10000000);
	err = cell_swap(&rq, &st, &why);
	task_sleep_ns(10000000);
	writing = false;
	uint64_t ret = 1;
	KT_OK(task_join(t, &ret));
	if (err)
		KT_FAIL("%s", why.msg);
	c = cell_find(cell_ns_kernel(), "fbterm");
	KT_ASSERT(c && c->start[REGION_TEXT] != text);
	/* the grid came along (the line written before the swap is still on
	 * the screen, and the count of characters went on), and the new
	 * sink and task go on: a line written now is there and gets drawn */
	fbterm_info(&b);
	KT_ASSERT(b.ready);
	KT_ASSERT(b.chars > a.chars);
	KT_EQ(b.cols, a.cols);
	KT_ASSERT(find_row("fbterm-before-swap") >= 0);
	kprintf("fbterm-after-swap\n");
	KT_ASSERT(find_row("fbterm-after-swap") >= 0);
	uint64_t end = tsc_ns() + 2000000000ULL;
	uint64_t frames = b.frames;
	while (b.frames == frames && tsc_ns() < end) {
		task_sleep_ns(10000000);
		fbterm_info(&b);
	}
	KT_ASSERT(b.frames > frames);
	KT_ASSERT(reclaim_retired());
	kprintf("fbterm: swapped while a task wrote to the console: pause %lu us, total %lu us, %lu chars carried\n",
		st.pause / 1000, st.total / 1000, a.chars);
}
