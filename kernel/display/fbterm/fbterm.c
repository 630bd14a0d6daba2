/*
 * fbterm.c: bring-up, the drawing task, the transfer function.
 */
#define LOG_TAG "fbterm"
#include "fbterm_int.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "mm_acct.h"
#include "nano_core.h"
#include "task.h"

#define FRAME_NS (30 * 1000000ULL)       /* after a few rows (typing) */
#define FULL_FRAME_NS (150 * 1000000ULL) /* after a whole screen (scrolling) */
#define SINK "fbterm"

/* map the boot framebuffer and size the grid; nothing changes on failure */
static int
setup(void)
{
	const struct mb2_framebuffer *fb = &nano_core_boot_info()->fb;
	const struct font *f = font_console();
	if (fb->type != MB2_FB_RGB) {
		log_info("no linear RGB framebuffer from the boot loader (type %u): no framebuffer terminal", fb->type);
		return E_NOENT;
	}
	if (!f)
		return E_FORMAT;
	if ((fb->bpp != 32 && fb->bpp != 24 && fb->bpp != 16) || fb->red_size > 8 || fb->green_size > 8 ||
	    fb->blue_size > 8 || fb->pitch % 8) {
		log_warn("framebuffer %ux%ux%u: pixel format not supported", fb->width, fb->height, fb->bpp);
		return E_NOTSUP;
	}
	uint32_t cols = fb->width / f->width, rows = fb->height / f->height;
	if (cols > MAX_COLS)
		cols = MAX_COLS;
	if (rows > MAX_ROWS)
		rows = MAX_ROWS;
	if (!cols || !rows)
		return E_RANGE;
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp =
		mp_map_phys(fb->addr, (size_t)fb->pitch * fb->height, MP_WRITE, &err);
	if (!mp)
		return err;
	uint8_t *px = MP_AS_ARRAY_MUT(mp, uint8_t, 0, (size_t)fb->pitch * fb->height, &err);
	if (!px)
		return err;
	/* commit: nothing below fails */
	mp_set_acct(mp, MM_ACCT_NONE); /* the system's, not the test's or task's that set it up */
	screen = (struct screen){ .map = TAKE_PTR(mp), .px = px, .phys = fb->addr, .width = fb->width,
				  .height = fb->height, .pitch = fb->pitch, .bpp = fb->bpp,
				  .fg = draw_pack(0xc0, 0xc0, 0xc0, fb), .bg = draw_pack(0, 0, 0x20, fb) };
	draw_clear();
	term_reset(cols, rows);
	term.ready = true;
	return E_OK;
}

/* the drawing task; global, so a swap restarts it into the new cell's */
uint64_t fbterm_task(uint64_t arg);

uint64_t
fbterm_task(uint64_t arg)
{
	(void)arg;
	/* a reload with fresh data lost the mapping and the grid: set up again */
	if (!term.ready && setup())
		return 1;
	const struct font *f = font_console();
	uint64_t drawn = term.gen - 1;
	for (;;) {
		uint64_t gen = term.gen, pause = FRAME_NS;
		if (gen != drawn || term.full) {
			bool all = draw_frame(f);
			drawn = gen;
			/* scrolling output is drawn a few times a second, and
			 * drawing takes at most a fifth of a CPU however fast
			 * lines arrive (under emulation every guest cycle is
			 * taken from the other virtual CPUs) */
			uint64_t min = all ? FULL_FRAME_NS : FRAME_NS;
			pause = 4 * screen.frame_ns_last > min ? 4 * screen.frame_ns_last : min;
		}
		task_sleep_ns(pause);
	}
	return 0;
}

void
fbterm_start(const char *cmdline)
{
	(void)cmdline;
	int err = setup();
	if (err)
		return;
	struct task_builder b = TASK_BUILDER(fbterm_task, (uint64_t)0);
	b.name = "fbterm";
	b.restartable = true;
	if ((err = task_spawn_detached(&b)) || (err = log_set_sink(SINK, fbterm_sink))) {
		term.ready = false;
		log_err("framebuffer terminal not started: %s", err_str(err));
		return;
	}
	const struct font *f = font_console();
	log_info("framebuffer terminal: %ux%ux%u at %#lx, %ux%u characters of %ux%u (Terminus, console-setup-linux)",
		 screen.width, screen.height, screen.bpp, screen.phys, term.cols, term.rows, f->width, f->height);
}

int fbterm_adopt(void);

int
fbterm_adopt(void)
{
	return log_set_sink(SINK, fbterm_sink);
}

void
fbterm_info(struct fbterm_info *out)
{
	const struct font *f = font_console();
	*out = (struct fbterm_info){
		.ready = term.ready, .phys = screen.phys, .width = screen.width, .height = screen.height,
		.pitch = screen.pitch, .bpp = screen.bpp, .cols = term.cols, .rows = term.rows,
		.font_w = f ? f->width : 0, .font_h = f ? f->height : 0, .chars = term.chars,
		.scrolls = term.scrolls, .frames = screen.frames, .frame_ns_max = screen.frame_ns_max,
		.frame_ns_last = screen.frame_ns_last,
	};
}

int
fbterm_line(uint32_t row, char *buf, size_t cap)
{
	if (!term.ready || row >= term.rows || !cap)
		return E_RANGE;
	const uint8_t *text = term.text[(term.top + row) % term.rows];
	size_t n = term.cols < cap - 1 ? term.cols : cap - 1;
	memcpy(buf, text, n);
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;
	return E_OK;
}

EXPORT_APP(fbterm_info);
EXPORT_APP(fbterm_line);
