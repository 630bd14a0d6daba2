/*
 * Host unit tests for kernel/input/kbd/decode.c: scancode set 1 to the
 * bytes a terminal sends, and the rejection of malformed streams.
 *
 * HOST_TEST_SOURCES: kernel/input/kbd/decode.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../kernel/input/kbd/kbd_decode.h"

static struct kbd_decoder D;

/* feed bytes; everything they produce, NUL-terminated; every byte must be accepted */
static const char *
feed(const uint8_t *b, size_t n)
{
	static char out[256];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		char o[KBD_OUT_MAX];
		size_t k;
		assert_int_equal(kbd_decode(&D, b[i], o, &k), KBD_OK);
		assert_true(k < KBD_OUT_MAX);
		memcpy(out + len, o, k);
		len += k;
	}
	out[len] = 0;
	return out;
}
#define FEED(...) feed((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static int
setup(void **state)
{
	(void)state;
	memset(&D, 0, sizeof(D));
	return 0;
}

static void
test_letters_digits_shift(void **state)
{
	(void)state;
	/* h e l l o: make and break each */
	assert_string_equal(FEED(0x23, 0xa3, 0x12, 0x92, 0x26, 0xa6, 0x26, 0xa6, 0x18, 0x98), "hello");
	/* Shift-h, Shift-1, then shift released: i */
	assert_string_equal(FEED(0x2a, 0x23, 0xa3, 0x02, 0x82, 0xaa, 0x17, 0x97), "H!i");
	/* right shift and symbols: ~ ? " */
	assert_string_equal(FEED(0x36, 0x29, 0xa9, 0x35, 0xb5, 0x28, 0xa8, 0xb6), "~?\"");
	assert_string_equal(FEED(0x39, 0xb9, 0x1c, 0x9c, 0x0e, 0x8e, 0x0f, 0x8f, 0x01, 0x81), " \r\x7f\t\x1b");
}

static void
test_caps_lock(void **state)
{
	(void)state;
	/* Caps on: letters upper, digits not shifted; Shift inverts letters */
	assert_string_equal(FEED(0x3a, 0xba, 0x1e, 0x9e, 0x02, 0x82, 0x2a, 0x1e, 0x9e, 0xaa), "A1a");
	/* a typematic repeat of Caps Lock does not toggle it again */
	assert_string_equal(FEED(0x3a, 0x3a, 0xba, 0x1e, 0x9e), "a");
}

static void
test_ctrl(void **state)
{
	(void)state;
	/* Ctrl-C, Ctrl-U, right Ctrl (E0 1D) + a, Ctrl-[ */
	assert_string_equal(FEED(0x1d, 0x2e, 0xae, 0x16, 0x96, 0x9d), "\x03\x15");
	assert_string_equal(FEED(0xe0, 0x1d, 0x1e, 0x9e, 0x1a, 0x9a, 0xe0, 0x9d), "\x01\x1b");
	/* Ctrl with a digit other than 2 gives nothing; Ctrl-Enter is still CR */
	assert_string_equal(FEED(0x1d, 0x05, 0x85, 0x1c, 0x9c, 0x9d), "\r");
}

static void
test_arrows_and_keypad(void **state)
{
	(void)state;
	assert_string_equal(FEED(0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x50, 0xe0, 0xd0), "\x1b[A\x1b[B");
	assert_string_equal(FEED(0xe0, 0x4d, 0xe0, 0xcd, 0xe0, 0x4b, 0xe0, 0xcb), "\x1b[C\x1b[D");
	assert_string_equal(FEED(0xe0, 0x47, 0xe0, 0xc7, 0xe0, 0x4f, 0xe0, 0xcf), "\x1b[H\x1b[F");
	/* Delete and Page Up: accepted, no bytes (the line editor knows no 4-byte sequences) */
	assert_string_equal(FEED(0xe0, 0x53, 0xe0, 0xd3, 0xe0, 0x49, 0xe0, 0xc9), "");
	/* keypad digits, +, keypad Enter, keypad / */
	assert_string_equal(FEED(0x4f, 0xcf, 0x4e, 0xce, 0x50, 0xd0, 0xe0, 0x1c, 0xe0, 0x9c, 0xe0, 0x35, 0xe0, 0xb5),
			    "1+2\r/");
	/* Print Screen with its fake shifts, then Pause: nothing, accepted */
	assert_string_equal(FEED(0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa), "");
	assert_string_equal(FEED(0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5), "");
	/* the up arrow is not the keypad's 8 */
	assert_string_equal(FEED(0x48, 0xc8), "8");
}

static void
expect_reject(uint8_t b, enum kbd_verdict v)
{
	char o[KBD_OUT_MAX];
	size_t k = 99;
	struct kbd_decoder before = D;
	assert_int_equal(kbd_decode(&D, b, o, &k), v);
	assert_int_equal(k, 0);
	/* nothing changed but the prefix, which a rejected byte ends */
	before.prefix = before.e1_seen = before.e1_first = 0;
	assert_memory_equal(&before, &D, sizeof(D));
}

static void
test_garbage_rejected(void **state)
{
	(void)state;
	expect_reject(0x00, KBD_R_ERROR);
	expect_reject(0xff, KBD_R_ERROR);
	expect_reject(0xfa, KBD_R_REPLY);
	expect_reject(0xfe, KBD_R_REPLY);
	expect_reject(0xee, KBD_R_REPLY);
	expect_reject(0x9e, KBD_R_BREAK);   /* 'a' released, never pressed */
	expect_reject(0x7f, KBD_R_UNMAPPED);
	expect_reject(0x55, KBD_R_UNMAPPED);
	FEED(0xe0);
	expect_reject(0xe0, KBD_R_PREFIX);  /* E0 E0 */
	FEED(0xe0);
	expect_reject(0x10, KBD_R_UNMAPPED); /* E0 10: a media key we do not have */
	FEED(0xe1);
	expect_reject(0x45, KBD_R_PREFIX);  /* a Pause sequence out of order */
	FEED(0xe1, 0x1d);
	expect_reject(0xc5, KBD_R_PREFIX);
	/* after all that the stream decodes normally, with a key held across */
	assert_string_equal(FEED(0x2a, 0x1e), "A");
	expect_reject(0xe0 ^ 0xe0, KBD_R_ERROR);
	assert_string_equal(FEED(0x1e, 0x9e, 0xaa, 0x1e, 0x9e), "Aa");
}

static void
test_every_byte_is_safe(void **state)
{
	(void)state;
	/* every byte after every prefix state: accepted or rejected, never
	 * more than KBD_OUT_MAX - 1 bytes out, state stays in range */
	srand(17);
	for (int i = 0; i < 200000; i++) {
		char o[KBD_OUT_MAX];
		size_t k;
		enum kbd_verdict v = kbd_decode(&D, (uint8_t)rand(), o, &k);
		assert_true(v < KBD_NVERDICTS);
		assert_true(k < KBD_OUT_MAX);
		assert_true(D.prefix == 0 || D.prefix == 0xe0 || D.prefix == 0xe1);
		assert_true(kbd_verdict_str(v) != NULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_letters_digits_shift, setup),
		cmocka_unit_test_setup(test_caps_lock, setup),
		cmocka_unit_test_setup(test_ctrl, setup),
		cmocka_unit_test_setup(test_arrows_and_keypad, setup),
		cmocka_unit_test_setup(test_garbage_rejected, setup),
		cmocka_unit_test_setup(test_every_byte_is_safe, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
