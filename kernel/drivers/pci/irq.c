/*
 * irq.c: device interrupts. Each attached line gets a vector from a pool
 * (0x40-0x5F) on CPU 0's local APIC, delivered by MSI-X (table entry 0),
 * MSI, or INTx/ISA through the IOAPIC (level/edge). One dispatcher serves
 * every vector: it calls the driver's handler under a fault catcher, so a
 * fault in a handler does not stop the CPU: the line is masked at its
 * source (MSI-X entry mask, MSI enable, IOAPIC pin), the fault goes to the
 * fault log, and the pci-recover task reloads the handler's cell (a swap
 * of the cell for a fresh copy, whose "<cell>_adopt" rebinds the line)
 * and calls the driver's recover function, which resets the device and
 * unmasks the line. The dispatcher sends the EOI.
 * State: the lines (vector -> handler, source, counters), the recovery
 * queue. A driver's registration pins its cell (cell_pin_addr).
 */
#define LOG_TAG "pci"
#include "pci.h"
#include "acpi.h"
#include "apic.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "exceptions.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"
#include "pci_int.h"

#define VEC_BASE 0x40
#define NLINES 32

struct line {
	bool used;
	enum pci_irq_kind kind;
	struct pci_dev *dev;
	unsigned cap;                       /* MSI/MSI-X capability offset */
	volatile uint32_t *msix;            /* MSI-X table entry 0 */
	uint32_t gsi;
	pci_irq_fn fn;
	pci_recover_fn rec;
	void *ctx;
	uint64_t count, spurious_masked, faults, recoveries;
	volatile bool faulted, recover_pending;
	char owner[24];
};

static struct line lines[NLINES];
static struct spinlock lock = SPINLOCK_INIT; /* guards attach/rebind */
static struct waitq recover_q = WAITQ_INIT;  /* pci-recover waits here */
static struct waitq recovered_q = WAITQ_INIT;/* tests wait for a recovery */
static bool worker_started;

static struct line *
line_of(uint8_t vec)
{
	if (vec < VEC_BASE || vec >= VEC_BASE + NLINES || !lines[vec - VEC_BASE].used)
		return NULL;
	return &lines[vec - VEC_BASE];
}

static void
owner_of(pci_irq_fn fn, char *out, size_t n)
{
	cell_read_begin();
	struct cell *c = cell_at((uint64_t)(uintptr_t)fn);
	strlcpy(out, c ? c->name : "?", n);
	cell_read_end();
}

/* mask at the source; interrupt context or with the lock held */
static void
mask_line(struct line *l, bool masked)
{
	switch (l->kind) {
	case PCI_IRQ_MSIX:
		l->msix[3] = masked ? 1 : 0;
		break;
	case PCI_IRQ_MSI: {
		uint16_t ctl = (uint16_t)pci_cfg_read(l->dev, l->cap + 2, 2);
		pci_cfg_write(l->dev, l->cap + 2, 2, masked ? ctl & ~1u : ctl | 1u);
		break;
	}
	case PCI_IRQ_INTX:
	case PCI_IRQ_ISA:
		if (masked) {
			if (ioapic_mask(l->gsi))
				log_err("vector %#lx: cannot mask GSI %u", (unsigned long)(l - lines) + VEC_BASE, l->gsi);
		} else if (ioapic_route(l->gsi, (uint8_t)(VEC_BASE + (l - lines)), percpu_of(0)->apic_id,
					l->kind == PCI_IRQ_INTX, false)) {
			log_err("vector %#lx: cannot route GSI %u", (unsigned long)(l - lines) + VEC_BASE, l->gsi);
		}
		break;
	default:
		break;
	}
}

static void
handler_faulted(struct line *l, uint8_t vec, const struct fault_info *fi)
{
	l->faults++;
	l->faulted = true;
	l->recover_pending = true;
	mask_line(l, true);
	kprintf("pci: the interrupt handler of vector %#x (cell %s) faulted: %s; line masked, %s to be reloaded\n",
		vec, l->owner, fi->msg, l->owner);
	struct fault_record rec = { .cpu = cpu_id(), .vector = VEC_RECOVERY, .rip = fi->rip, .cr2 = fi->cr2 };
	strlcpy(rec.task, "-", sizeof(rec.task));
	strlcpy(rec.cell, l->owner, sizeof(rec.cell));
	strlcpy(rec.section, "irq", sizeof(rec.section));
	strlcpy(rec.msg, fi->msg, sizeof(rec.msg));
	snprintf(rec.action, sizeof(rec.action), "interrupt handler (vector %#x) caught: line masked, reload of %s queued",
		 vec, l->owner);
	fault_log_add(&rec);
	waitq_wake_all(&recover_q);
}

static void
dispatch(struct trap_frame *f)
{
	uint8_t vec = (uint8_t)f->vector;
	struct line *l = line_of(vec);
	pci_irq_fn fn = l ? __atomic_load_n(&l->fn, __ATOMIC_ACQUIRE) : NULL;
	void *ctx = l ? l->ctx : NULL;
	if (!fn || l->faulted) {
		if (l)
			l->spurious_masked++;
		apic_eoi();
		return;
	}
	l->count++;
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		fn(ctx);
		fault_catch_disarm(&c);
	} else {
		handler_faulted(l, vec, &c.info);
	}
	apic_eoi();
}

static bool registered[NLINES]; /* dispatch is registered for the vector */

static struct line *
alloc_line(uint8_t *vec)
{
	for (unsigned i = 0; i < NLINES; i++) {
		if (lines[i].used)
			continue;
		int err = registered[i] ? E_OK : exc_register_irq((uint8_t)(VEC_BASE + i), dispatch);
		if (err == E_BUSY) /* taken by another cell: skip it */
			continue;
		if (err)
			return NULL;
		registered[i] = true;
		memset(&lines[i], 0, sizeof(lines[i]));
		lines[i].used = true;
		*vec = (uint8_t)(VEC_BASE + i);
		return &lines[i];
	}
	return NULL;
}

static void
bind(struct line *l, pci_irq_fn fn, pci_recover_fn rec, void *ctx)
{
	cell_unpin_addr((const void *)l->fn);
	cell_unpin_addr((const void *)l->rec);
	l->ctx = ctx;
	l->rec = rec;
	__atomic_store_n(&l->fn, fn, __ATOMIC_RELEASE);
	cell_pin_addr((const void *)fn);
	cell_pin_addr((const void *)rec);
	if (fn)
		owner_of(fn, l->owner, sizeof(l->owner));
}

static int
setup_msix(struct line *l, uint8_t vec)
{
	struct pci_dev *d = l->dev;
	uint32_t tbl = pci_cfg_read(d, l->cap + 4, 4);
	int err;
	volatile uint8_t *bar = pci_bar_map(d, tbl & 7, &err);
	if (!bar)
		return err;
	uint16_t ctl = (uint16_t)pci_cfg_read(d, l->cap + 2, 2);
	/* enabled with the whole function masked while entry 0 is written */
	pci_cfg_write(d, l->cap + 2, 2, ctl | (1u << 15) | (1u << 14));
	l->msix = (volatile uint32_t *)(bar + (tbl & ~7u));
	l->msix[0] = 0xFEE00000u | (percpu_of(0)->apic_id << 12);
	l->msix[1] = 0;
	l->msix[2] = vec;
	l->msix[3] = 0;
	pci_cfg_write(d, l->cap + 2, 2, (ctl | (1u << 15)) & ~(1u << 14));
	return E_OK;
}

static void
setup_msi(struct line *l, uint8_t vec)
{
	struct pci_dev *d = l->dev;
	uint16_t ctl = (uint16_t)pci_cfg_read(d, l->cap + 2, 2);
	bool is64 = ctl & (1u << 7);
	pci_cfg_write(d, l->cap + 4, 4, 0xFEE00000u | (percpu_of(0)->apic_id << 12));
	if (is64)
		pci_cfg_write(d, l->cap + 8, 4, 0);
	pci_cfg_write(d, l->cap + (is64 ? 12 : 8), 2, vec);
	/* one message (multiple-message enable 0), enabled */
	pci_cfg_write(d, l->cap + 2, 2, (ctl & ~(7u << 4)) | 1u);
}

static int
attach(struct pci_dev *d, enum pci_irq_kind kind, uint32_t gsi, pci_irq_fn fn, pci_recover_fn rec,
       void *ctx, uint8_t *vector)
{
	if (!fn)
		return E_INVAL;
	bool irq = spin_lock_irq(&lock);
	uint8_t vec = 0;
	struct line *l = alloc_line(&vec);
	spin_unlock_irq(&lock, irq);
	if (!l)
		return E_NOSPC;
	l->dev = d;
	l->gsi = gsi;
	if (d && kind == PCI_IRQ_NONE) {
		if ((l->cap = pci_cap(d, PCI_CAP_MSIX)))
			kind = PCI_IRQ_MSIX;
		else if ((l->cap = pci_cap(d, PCI_CAP_MSI)))
			kind = PCI_IRQ_MSI;
		else if (d->irq_pin && d->irq_line && d->irq_line < 16) {
			kind = PCI_IRQ_INTX;
			l->gsi = acpi_info()->isa_irq_gsi[d->irq_line];
		} else {
			l->used = false;
			return E_NOTSUP;
		}
	}
	l->kind = kind;
	bind(l, fn, rec, ctx);
	int err = E_OK;
	switch (kind) {
	case PCI_IRQ_MSIX:
		err = setup_msix(l, vec);
		break;
	case PCI_IRQ_MSI:
		setup_msi(l, vec);
		break;
	default: /* INTx (level, as QEMU's PCI interrupt overrides say) or ISA (edge) */
		err = ioapic_route(l->gsi, vec, percpu_of(0)->apic_id, kind == PCI_IRQ_INTX, false);
		break;
	}
	if (d && (kind == PCI_IRQ_MSIX || kind == PCI_IRQ_MSI))
		pci_enable(d, PCI_CMD_INTX_OFF);
	if (err) {
		bind(l, NULL, NULL, NULL);
		l->used = false;
		return err;
	}
	static const char *const kinds[] = { "none", "MSI-X", "MSI", "INTx", "ISA" };
	if (kind >= PCI_IRQ_INTX)
		log_info("vector %#x: %s, GSI %u, for cell %s", vec, kinds[kind], l->gsi, l->owner);
	else
		log_info("vector %#x: %s for cell %s", vec, kinds[kind], l->owner);
	*vector = vec;
	return E_OK;
}

int
pci_irq_attach(struct pci_dev *d, pci_irq_fn fn, pci_recover_fn rec, void *ctx, uint8_t *vector)
{
	return d ? attach(d, PCI_IRQ_NONE, 0, fn, rec, ctx, vector) : E_INVAL;
}

int
pci_irq_attach_isa(unsigned isa_irq, pci_irq_fn fn, pci_recover_fn rec, void *ctx, uint8_t *vector)
{
	if (isa_irq >= 16)
		return E_INVAL;
	return attach(NULL, PCI_IRQ_ISA, acpi_info()->isa_irq_gsi[isa_irq], fn, rec, ctx, vector);
}

int
pci_irq_rebind(uint8_t vector, pci_irq_fn fn, pci_recover_fn rec, void *ctx, bool *was_faulted)
{
	struct line *l = line_of(vector);
	if (!l || !fn)
		return l ? E_INVAL : E_NOENT;
	bool irq = spin_lock_irq(&lock);
	bind(l, fn, rec, ctx);
	if (was_faulted)
		*was_faulted = l->faulted;
	spin_unlock_irq(&lock, irq);
	return E_OK;
}

int
pci_irq_detach(uint8_t vector)
{
	struct line *l = line_of(vector);
	if (!l)
		return E_NOENT;
	bool irq = spin_lock_irq(&lock);
	mask_line(l, true);
	bind(l, NULL, NULL, NULL);
	l->used = false;
	spin_unlock_irq(&lock, irq);
	return E_OK;
}

int
pci_irq_unmask(uint8_t vector)
{
	struct line *l = line_of(vector);
	if (!l)
		return E_NOENT;
	bool irq = spin_lock_irq(&lock);
	l->faulted = false;
	mask_line(l, false);
	spin_unlock_irq(&lock, irq);
	return E_OK;
}

int
pci_irq_get(uint8_t vector, struct pci_irq_info *out)
{
	struct line *l = line_of(vector);
	if (!l)
		return E_NOENT;
	*out = (struct pci_irq_info){ .vector = vector, .kind = l->kind, .gsi = l->gsi, .count = l->count,
				      .spurious_masked = l->spurious_masked, .faults = l->faults,
				      .recoveries = l->recoveries, .faulted = l->faulted };
	strlcpy(out->owner, l->owner, sizeof(out->owner));
	return E_OK;
}

static bool
remote_irr(const struct line *l)
{
	uint64_t e;
	return !ioapic_entry_get(l->gsi, &e) && (e & (1u << 14));
}

int
pci_irq_self(uint8_t vector)
{
	struct line *l = line_of(vector);
	if (!l)
		return E_NOENT;
	/* An IPI on the vector of a level-triggered line must not meet one
	 * of the device's interrupts in the local APIC: the EOI would then not
	 * reach the IOAPIC (the vector's trigger mode is the IPI's, edge),
	 * whose pin would wait for it for ever. So the pin is masked first and
	 * the IPI sent once no level interrupt is outstanding (remote IRR
	 * clear), then unmasked after the dispatcher ran. */
	bool level = l->kind == PCI_IRQ_INTX;
	if (level) {
		bool irq = spin_lock_irq(&lock);
		mask_line(l, true);
		spin_unlock_irq(&lock, irq);
		uint64_t t0 = tsc_ns();
		while (remote_irr(l) && tsc_ns() - t0 < 100000000)
			task_yield();
	}
	uint64_t seen = __atomic_load_n(&l->count, __ATOMIC_ACQUIRE) + l->spurious_masked;
	bool on = irq_save();
	apic_send_ipi(apic_id(), vector);
	irq_restore(on);
	uint64_t t0 = tsc_ns();
	while (__atomic_load_n(&l->count, __ATOMIC_ACQUIRE) + l->spurious_masked == seen && tsc_ns() - t0 < 100000000)
		task_yield();
	if (level && !l->faulted) {
		bool irq = spin_lock_irq(&lock);
		mask_line(l, false);
		spin_unlock_irq(&lock, irq);
	}
	return E_OK;
}

size_t
pci_irq_lines(uint8_t *out, size_t max)
{
	size_t n = 0;
	for (unsigned i = 0; i < NLINES && n < max; i++)
		if (lines[i].used)
			out[n++] = (uint8_t)(VEC_BASE + i);
	return n;
}

/* ---- recovery: the pci-recover task ---- */

static bool
any_pending(void *ctx)
{
	(void)ctx;
	for (unsigned i = 0; i < NLINES; i++)
		if (lines[i].used && lines[i].recover_pending)
			return true;
	return false;
}

int
pci_driver_reload(const char *name, struct swap_times *t, char *note, size_t n)
{
	cell_read_begin();
	struct cell *c = cell_find(cell_ns_kernel(), name);
	bool found = c != NULL;
	cell_read_end();
	if (!found) {
		snprintf(note, n, "cell %s is not loaded in the kernel namespace", name);
		return E_NOENT;
	}
	char adopt[48];
	snprintf(adopt, sizeof(adopt), "%s_adopt", name);
	struct swap_request rq = { .ns = cell_ns_kernel(), .nold = 1, .nnew = 1, .ntransfer = 1 };
	rq.old[0] = rq.new_names[0] = name;
	rq.transfer[0] = adopt;
	struct cell_error why;
	int err = cell_swap(&rq, t, &why);
	if (err)
		snprintf(note, n, "%s", why.msg);
	else
		snprintf(note, n, "reloaded %s in %lu us (pause %lu us)", name, t->total / 1000, t->pause / 1000);
	return err;
}

static void
recover_line(struct line *l, uint8_t vec)
{
	char name[24], note[CELL_ERR_MAX];
	strlcpy(name, l->owner, sizeof(name));
	struct swap_times t;
	int err = pci_driver_reload(name, &t, note, sizeof(note));
	/* after a reload, l->rec is the new copy's (its adopt rebound it); if
	 * the reload failed, the running copy resets the device */
	bool irq = spin_lock_irq(&lock);
	pci_recover_fn rec = l->rec;
	struct cell *use = cell_use_addr((const void *)rec); /* see cell_use_addr */
	spin_unlock_irq(&lock, irq);
	if (rec) {
		rec(l->ctx);
		cell_unuse(use);
	} else {
		l->faulted = false;
		mask_line(l, false);
	}
	l->recoveries++;
	l->recover_pending = false;
	struct fault_record r = { .cpu = cpu_id(), .vector = VEC_RECOVERY };
	strlcpy(r.task, "pci-recover", sizeof(r.task));
	strlcpy(r.cell, name, sizeof(r.cell));
	strlcpy(r.section, "irq", sizeof(r.section));
	strlcpy(r.msg, "recovery", sizeof(r.msg));
	snprintf(r.action, sizeof(r.action), "vector %#x: %s%s; device reset by %s", vec,
		 err ? "reload failed: " : "", note, rec ? "the driver" : "nobody (no recover function)");
	fault_log_add(&r);
	log_info("vector %#x: %s%s; device reset, line unmasked", vec, err ? "reload failed: " : "", note);
	waitq_wake_all(&recovered_q);
}

static uint64_t
recover_task(uint64_t arg)
{
	(void)arg;
	for (;;) {
		waitq_wait_until(&recover_q, any_pending, NULL);
		for (unsigned i = 0; i < NLINES; i++)
			if (lines[i].used && lines[i].recover_pending)
				recover_line(&lines[i], (uint8_t)(VEC_BASE + i));
	}
	return 0;
}

static bool
recovered(void *ctx)
{
	struct line *l = ctx;
	return !l->recover_pending && !l->faulted;
}

int
pci_irq_wait_recovered(uint8_t vector, uint64_t timeout_ns)
{
	struct line *l = line_of(vector);
	if (!l)
		return E_NOENT;
	return waitq_wait_deadline(&recovered_q, recovered, l, tsc_ns() + timeout_ns);
}

int
pci_irq_start_worker(void)
{
	if (worker_started)
		return E_OK;
	struct task_builder b = TASK_BUILDER(recover_task, (uint64_t)0);
	b.name = "pci-recover";
	int err = task_spawn_detached(&b);
	if (!err)
		worker_started = true;
	return err;
}

/* what applications may call (lspci; see export.h) */
EXPORT_APP(pci_irq_lines);
EXPORT_APP(pci_irq_get);
