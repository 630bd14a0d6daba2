/*
 * arch/sys_arch.h: lwIP's OS types in terms of ours (sys_arch.c):
 * semaphores are a count and a wait queue, mutexes our blocking mutex
 * (holding its guard while locked), mailboxes buffered channels of
 * pointers, threads our tasks.
 */
#ifndef LWIP_ARCH_SYS_ARCH_H
#define LWIP_ARCH_SYS_ARCH_H

#include <stdint.h>
#include <stdbool.h>

struct lwip_sem;
struct lwip_mutex;
struct lwip_mbox;
typedef struct lwip_sem *sys_sem_t;
typedef struct lwip_mutex *sys_mutex_t;
typedef struct lwip_mbox *sys_mbox_t;
typedef uint32_t sys_thread_t;
typedef uint64_t sys_prot_t;

#define sys_sem_valid(s)          ((s) != NULL && *(s) != NULL)
#define sys_sem_set_invalid(s)    do { if ((s) != NULL) *(s) = NULL; } while (0)
#define sys_mutex_valid(m)        ((m) != NULL && *(m) != NULL)
#define sys_mutex_set_invalid(m)  do { if ((m) != NULL) *(m) = NULL; } while (0)
#define sys_mbox_valid(b)         ((b) != NULL && *(b) != NULL)
#define sys_mbox_set_invalid(b)   do { if ((b) != NULL) *(b) = NULL; } while (0)

#endif
