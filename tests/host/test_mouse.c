/*
 * Host unit tests for kernel/input/mouse/decode.c: PS/2 mouse packets.
 *
 * HOST_TEST_SOURCES: kernel/input/mouse/decode.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../kernel/input/mouse/mouse_decode.h"

static struct mouse_decoder D;

static enum mouse_verdict
feed3(uint8_t a, uint8_t b, uint8_t c, struct mouse_packet *p)
{
	assert_int_equal(mouse_decode(&D, a, p), MOUSE_MORE);
	assert_int_equal(mouse_decode(&D, b, p), MOUSE_MORE);
	return mouse_decode(&D, c, p);
}

static void
test_packets(void **state)
{
	(void)state;
	struct mouse_packet p;
	memset(&D, 0, sizeof(D));
	assert_int_equal(feed3(0x08, 10, 5, &p), MOUSE_PACKET);
	assert_int_equal(p.dx, 10);
	assert_int_equal(p.dy, 5);
	assert_int_equal(p.buttons, 0);
	/* negative X and Y (9-bit two's complement), left and middle held */
	assert_int_equal(feed3(0x08 | 0x10 | 0x20 | 0x05, 0xf6, 0x00, &p), MOUSE_PACKET);
	assert_int_equal(p.dx, -10);
	assert_int_equal(p.dy, -256);
	assert_int_equal(p.buttons, 5);
}

static void
test_garbage(void **state)
{
	(void)state;
	struct mouse_packet p;
	memset(&D, 0, sizeof(D));
	/* out of step: bytes without bit 3 where a packet starts are dropped */
	assert_int_equal(mouse_decode(&D, 0x00, &p), MOUSE_R_SYNC);
	assert_int_equal(mouse_decode(&D, 0x37, &p), MOUSE_R_SYNC);
	assert_int_equal(D.n, 0);
	/* an overflowing packet is dropped whole, the next one is fine */
	assert_int_equal(feed3(0x08 | 0x40, 1, 1, &p), MOUSE_R_OVERFLOW);
	assert_int_equal(feed3(0x08 | 0x80, 1, 1, &p), MOUSE_R_OVERFLOW);
	assert_int_equal(feed3(0x09, 3, 4, &p), MOUSE_PACKET);
	assert_int_equal(p.buttons, 1);
	/* random bytes: every verdict known, the packet length in range */
	srand(3);
	for (int i = 0; i < 100000; i++) {
		enum mouse_verdict v = mouse_decode(&D, (uint8_t)rand(), &p);
		assert_true(v < MOUSE_NVERDICTS);
		assert_true(D.n < 3);
		if (v == MOUSE_PACKET)
			assert_true(p.dx >= -256 && p.dx <= 255 && p.dy >= -256 && p.dy <= 255);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
