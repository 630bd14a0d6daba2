/*
 * arch/cc.h: lwIP's compiler and platform glue for the lwip cell: the
 * freestanding headers, byte order, diagnostics through our logger and an
 * assertion that faults (ud2), so a broken invariant inside lwIP unwinds
 * the task and is recovered like any other fault (docs/network.md).
 */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <stdint.h>
#include <stddef.h>
#include <limits.h>

#define LWIP_NO_INTTYPES_H 1
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"
#define LWIP_NO_CTYPE_H 1
#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_RAND() lwip_port_rand()
uint32_t lwip_port_rand(void);

void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lwip_port_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_DIAG(x) do { lwip_port_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)

#endif
