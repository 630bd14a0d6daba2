/* fat_host.h: the fat32 core on the host (fat_host.c) */
#ifndef FAT_HOST_H
#define FAT_HOST_H
#include <setjmp.h>
#include <string.h>
#include "../../kernel/fs/fat32/fat_int.h"

struct fat_host {
	uint8_t *img;
	uint64_t sectors;
	uint32_t crash_in;        /* nonzero: longjmp(crash) instead of that write */
	uint64_t writes;
	jmp_buf crash;
};
extern struct fat_host fat_host;
void fat_intent_forget(void);
#endif
