/*
 * sys_arch.c: lwIP's operating-system layer on our primitives (the
 * "sys_arch" port, docs/network.md):
 *   sys_sem    a count and a wait queue (waitq_wait_deadline)
 *   sys_mutex  our blocking mutex; the guard is kept in the object while
 *              locked (lwIP locks and unlocks in different frames)
 *   sys_mbox   a buffered channel (chan_buffered) of pointers
 *   sys_thread a detached task
 *   sys_now    the TSC clock in ms; timeouts run in tcpip_thread
 *   protect    one recursive spinlock with interrupts off
 * lwIP's heap allocations go to our heap.
 * State: the protect lock; each object lives in the heap, owned by the
 * lwIP structure that created it.
 */
#include "base.h"
#include "chan_buffered.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "lwip.h"
#include "sync.h"
#include "task.h"
#include "tsc.h"

#include "lwip/opt.h"
#include "lwip/sys.h"
#include "lwip/err.h"

#undef LOG_TAG
#define LOG_TAG "lwip"

/* ---- heap ---- */
void *
lwip_port_malloc(size_t n)
{
	return kmalloc(n ? n : 1);
}

void *
lwip_port_calloc(size_t n, size_t m)
{
	if (m && n > SIZE_MAX / m)
		return NULL;
	return kzalloc(n && m ? n * m : 1);
}

void
lwip_port_free(void *p)
{
	kfree(p);
}

/* ---- diagnostics ---- */
void
lwip_port_diag(const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_info("%s", buf);
}

void
lwip_port_assert(const char *msg, const char *file, int line)
{
	log_err("assertion failed: %s (%s:%d)", msg, file, line);
	__builtin_trap();
}

static uint64_t rand_state;

uint32_t
lwip_port_rand(void)
{
	uint64_t x = __atomic_load_n(&rand_state, __ATOMIC_RELAXED);
	if (!x)
		x = tsc_ns() | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	__atomic_store_n(&rand_state, x, __ATOMIC_RELAXED);
	return (uint32_t)(x >> 16);
}

/* ---- time ---- */
void
sys_init(void)
{
}

u32_t
sys_now(void)
{
	return (u32_t)(tsc_ns() / 1000000);
}

/* ---- protection: recursive, interrupts off ---- */
static struct spinlock prot_lock = SPINLOCK_INIT;
static struct task *prot_owner;
static unsigned prot_depth;

sys_prot_t
sys_arch_protect(void)
{
	bool on = spin_irq_save_();
	struct task *me = task_current();
	if (__atomic_load_n(&prot_owner, __ATOMIC_RELAXED) == me) {
		prot_depth++;
		return on;
	}
	spin_lock_raw(&prot_lock);
	prot_owner = me;
	prot_depth = 1;
	return on;
}

void
sys_arch_unprotect(sys_prot_t was_on)
{
	if (--prot_depth == 0) {
		__atomic_store_n(&prot_owner, NULL, __ATOMIC_RELAXED);
		spin_unlock_raw(&prot_lock);
	}
	if (was_on)
		__asm__ volatile("sti" ::: "memory");
}

/* ---- semaphores ---- */
struct lwip_sem {
	struct waitq q;
	uint32_t count;   /* guarded by q.lock */
};

err_t
sys_sem_new(sys_sem_t *sem, u8_t count)
{
	struct lwip_sem *s = kzalloc(sizeof(*s));
	if (!s)
		return ERR_MEM;
	waitq_init(&s->q);
	s->count = count;
	*sem = s;
	return ERR_OK;
}

void
sys_sem_free(sys_sem_t *sem)
{
	kfree(*sem);
	*sem = NULL;
}

void
sys_sem_signal(sys_sem_t *sem)
{
	struct lwip_sem *s = *sem;
	bool on = spin_lock_irq(&s->q.lock);
	s->count++;
	spin_unlock_irq(&s->q.lock, on);
	waitq_wake_one(&s->q);
}

static bool
sem_take(void *ctx)
{
	struct lwip_sem *s = ctx;
	if (!s->count)
		return false;
	s->count--;
	return true;
}

/* a task being killed (or unwinding) no longer sleeps on wait queues
 * (they answer E_INTR at once): it polls, a millisecond apart */
static void
poll_pause(void)
{
	task_sleep_ns(1000000);
	task_yield();
}

/* 0: forever. Returns the ms waited, or SYS_ARCH_TIMEOUT. A wait without a
 * timeout is lwIP waiting for its own completion (a callback that always
 * comes), so a kill on the way does not end it: the task polls until the
 * completion, then the kill is delivered. */
u32_t
sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout_ms)
{
	struct lwip_sem *s = *sem;
	uint64_t t0 = tsc_ns();
	uint64_t deadline = timeout_ms ? t0 + (uint64_t)timeout_ms * 1000000 : UINT64_MAX;
	int err = waitq_wait_deadline(&s->q, sem_take, s, deadline);
	while (err == E_INTR && !timeout_ms) {
		bool on = spin_lock_irq(&s->q.lock);
		bool got = sem_take(s);
		spin_unlock_irq(&s->q.lock, on);
		if (got)
			err = E_OK;
		else
			poll_pause();
	}
	return err ? SYS_ARCH_TIMEOUT : (u32_t)((tsc_ns() - t0) / 1000000);
}

/* ---- mutexes ----
 * lwIP takes and releases a mutex in different frames (LOCK_TCPIP_CORE),
 * so the guard lives in the object, where unwinding cannot see it. Every
 * lwIP mutex is on one list instead, and lwip_port_unlock_mine - run by
 * the cleanups of lwIP's threads and of the socket layer's calls - releases
 * those the current task holds: a task that faults or is killed inside
 * lwIP does not leave the core locked behind it. */
struct lwip_mutex {
	struct mutex m;
	struct guard g;   /* held while locked */
	struct lwip_mutex *next;
};
static struct lwip_mutex *mutexes;     /* guarded by prot (sys_arch_protect) */

err_t
sys_mutex_new(sys_mutex_t *mutex)
{
	struct lwip_mutex *m = kzalloc(sizeof(*m));
	if (!m)
		return ERR_MEM;
	mutex_init(&m->m);
	sys_prot_t p = sys_arch_protect();
	m->next = mutexes;
	mutexes = m;
	sys_arch_unprotect(p);
	*mutex = m;
	return ERR_OK;
}

void
sys_mutex_free(sys_mutex_t *mutex)
{
	struct lwip_mutex *m = *mutex;
	sys_prot_t p = sys_arch_protect();
	for (struct lwip_mutex **pp = &mutexes; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	sys_arch_unprotect(p);
	kfree(m);
	*mutex = NULL;
}

size_t
lwip_port_unlock_mine(void)
{
	size_t n = 0;
	for (;;) {
		struct lwip_mutex *mine = NULL;
		sys_prot_t p = sys_arch_protect();
		for (struct lwip_mutex *m = mutexes; m && !mine; m = m->next)
			if (mutex_held_by_me(&m->m))
				mine = m;
		sys_arch_unprotect(p);
		if (!mine)
			return n;
		struct guard g = guard_take(&mine->g);
		guard_drop(&g);
		n++;
	}
}

void
lwip_port_cleanup(int *unused)
{
	if (lwip_port_unlock_mine())
		log_warn("%s left lwIP while holding its lock: released", task_current()->name);
}

void
sys_mutex_lock(sys_mutex_t *mutex)
{
	struct lwip_mutex *m = *mutex;
	m->g = mutex_lock(&m->m);
}

void
sys_mutex_unlock(sys_mutex_t *mutex)
{
	struct lwip_mutex *m = *mutex;
	struct guard g = guard_take(&m->g);
	guard_drop(&g);
}

/* ---- mailboxes: buffered channels of pointers ---- */
struct lwip_mbox {
	struct bchan_tx *tx;
	struct bchan_rx *rx;
};

err_t
sys_mbox_new(sys_mbox_t *mbox, int size)
{
	struct lwip_mbox *b = kzalloc(sizeof(*b));
	if (!b)
		return ERR_MEM;
	if (bchan_new_raw(sizeof(void *), size > 0 ? (size_t)size : 16, &b->tx, &b->rx)) {
		kfree(b);
		return ERR_MEM;
	}
	*mbox = b;
	return ERR_OK;
}

void
sys_mbox_free(sys_mbox_t *mbox)
{
	struct lwip_mbox *b = *mbox;
	bchan_tx_drop(b->tx);
	bchan_rx_drop(b->rx);
	kfree(b);
	*mbox = NULL;
}

void
sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
	if (bchan_send_raw((*mbox)->tx, &msg, sizeof(msg), BCHAN_FOREVER) != E_INTR)
		return;
	while (bchan_send_raw((*mbox)->tx, &msg, sizeof(msg), BCHAN_NOWAIT))
		poll_pause();
}

err_t
sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
	return bchan_send_raw((*mbox)->tx, &msg, sizeof(msg), BCHAN_NOWAIT) ? ERR_MEM : ERR_OK;
}

err_t
sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
	return sys_mbox_trypost(mbox, msg);
}

u32_t
sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout_ms)
{
	uint64_t t0 = tsc_ns();
	void *m = NULL;
	/* a kill ends the wait as a timeout would: lwIP's callers of a
	 * fetch (netconn receive and accept, tcpip_thread) handle timeouts */
	if (bchan_recv_raw((*mbox)->rx, &m, sizeof(m), timeout_ms ? (uint64_t)timeout_ms * 1000000 : BCHAN_FOREVER))
		return SYS_ARCH_TIMEOUT;
	if (msg)
		*msg = m;
	return (u32_t)((tsc_ns() - t0) / 1000000);
}

u32_t
sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
	void *m = NULL;
	if (bchan_recv_raw((*mbox)->rx, &m, sizeof(m), BCHAN_NOWAIT))
		return SYS_MBOX_EMPTY;
	if (msg)
		*msg = m;
	return 0;
}

/* ---- threads ---- */
struct lwip_thread {
	lwip_thread_fn fn;
	void *arg;
};

/* lwIP's threads (tcpip_thread) are restartable tasks: after a fault the
 * recovery cascade spawns them again with the same builder, so `t` stays
 * allocated for good (they never end). The cleanup releases the core lock
 * the dying thread held. */
static uint64_t
lwip_thread_entry(struct lwip_thread *t)
{
	_cleanup_(lwip_port_cleanup) int guard = 0;
	t->fn(t->arg);
	return 0;
}

sys_thread_t
sys_thread_new(const char *name, lwip_thread_fn thread, void *arg, int stacksize, int prio)
{
	struct lwip_thread *t = kzalloc(sizeof(*t));
	LWIP_ASSERT("sys_thread_new: no memory", t != NULL);
	t->fn = thread;
	t->arg = arg;
	struct task_builder b = TASK_BUILDER(lwip_thread_entry, t);
	b.name = name;
	b.stack_pages = stacksize > 0 ? ((size_t)stacksize + 4095) / 4096 : 8;
	b.system = true;
	b.restartable = true;
	int err = 0;
	struct task *tk = task_spawn(&b, &err);
	LWIP_ASSERT("sys_thread_new: spawn failed", tk != NULL);
	uint32_t id = tk->id;
	task_unref(tk);
	return id;
}
