/*
 * lwip: lwIP 2.1.3 (Debian's source package, fetched at build time by
 * tools/fetch-lwip.sh) compiled into this cell with our port, sys_arch.c
 * (docs/network.md). Cells that declare lwip in their deps see lwIP's
 * headers ("lwip/api.h", ...) and the port's; this header is the port's
 * own interface.
 * State: all of lwIP's (interfaces, PCBs, netconns, pools, timers) in this
 * cell's data and in heap objects it points to.
 */
#ifndef LWIP_PORT_H
#define LWIP_PORT_H

#include "base.h"

/* release every lwIP lock the current task holds (the core lock, after a
 * fault or a kill inside lwIP); returns how many */
size_t lwip_port_unlock_mine(void);
/* the same as a cleanup: _cleanup_(lwip_port_cleanup) int g = 0; in a
 * frame that calls into lwIP */
void lwip_port_cleanup(int *unused);

#endif
