/*
 * vga: the VGA text-mode mirror of the console (80x25 at 0xB8000, mapped
 * through MappedPages as device memory). State: the mapping and cursor.
 */
#ifndef VGA_H
#define VGA_H

#include "base.h"

int vga_init(void) __must_check;

#endif
