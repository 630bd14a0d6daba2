/*
 * fault_log.c: a ring of the last FAULT_LOG_SIZE faults - where each
 * happened (CPU, task, instruction, cell and section, address accessed)
 * and what recovery did. Written by the exception path and the task
 * cell's unwinding; read by tools (the `faults` shell command).
 * State: the ring. It is a record of events, kept for people, not state
 * any component relies on.
 */
#include "cell_mgr.h"
#include "exceptions.h"
#include "cpu.h"
#include "base.h"
#include "tsc.h"

#define FAULT_LOG_SIZE 64

static struct fault_record ring[FAULT_LOG_SIZE];
static uint64_t next_seq = 1;
static struct spinlock lock = SPINLOCK_INIT;

void
fault_log_add(struct fault_record *r)
{
	/* from fault paths: never wait forever for the lock */
	bool irq = irq_save();
	bool locked = false;
	for (int i = 0; i < 1000000 && !(locked = spin_trylock_raw(&lock)); i++)
		cpu_relax();
	r->seq = next_seq++;
	r->time_ns = tsc_ns();
	ring[r->seq % FAULT_LOG_SIZE] = *r;
	if (locked)
		spin_unlock_raw(&lock);
	irq_restore(irq);
}

size_t
fault_log_read(struct fault_record *out, size_t max, uint64_t since)
{
	size_t n = 0;
	bool irq = spin_lock_irq(&lock);
	uint64_t first = next_seq > FAULT_LOG_SIZE ? next_seq - FAULT_LOG_SIZE : 1;
	if (since + 1 > first)
		first = since + 1;
	for (uint64_t s = first; s < next_seq && n < max; s++)
		out[n++] = ring[s % FAULT_LOG_SIZE];
	spin_unlock_irq(&lock, irq);
	return n;
}

uint64_t
fault_log_last_seq(void)
{
	return next_seq - 1;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(fault_log_read);
EXPORT_APP(fault_log_last_seq);
