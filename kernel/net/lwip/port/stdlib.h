/* stdlib.h for lwIP's sources: netif.c's atoi (netif names like "en0") */
#ifndef LWIP_PORT_STDLIB_H
#define LWIP_PORT_STDLIB_H
static inline int
atoi(const char *s)
{
	int v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}
#endif
