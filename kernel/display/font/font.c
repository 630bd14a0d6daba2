/*
 * font.c: the embedded console font, parsed once.
 */
#define LOG_TAG "font"
#include "font.h"
#include "logger.h"

extern const uint8_t font_psf[];
extern const uint64_t font_psf_len;

static struct font console;
static int state; /* 0 not parsed, 1 parsed, -1 malformed */

const struct font *
font_console(void)
{
	if (state == 0) {
		int err = font_parse(font_psf, font_psf_len, &console);
		if (err)
			log_err("the embedded console font is malformed: %s", err_str(err));
		state = err ? -1 : 1;
	}
	return state > 0 ? &console : NULL;
}
