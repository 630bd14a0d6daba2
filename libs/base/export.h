/*
 * export.h: EXPORT_APP(sym) lists a kernel symbol as callable by
 * application cells (the cell manager refuses any other kernel symbol to
 * apps). The names go into the cell's .app_exports section.
 */
#ifndef EXPORT_H
#define EXPORT_H

#define EXPORT_APP(sym)                                                   \
	static const char export_app_##sym[]                                  \
		__attribute__((used, section(".app_exports"))) = #sym

/*
 * CELL_CARRY(var), on a variable's definition: `var` holds plain values (no
 * pointers into this cell, no locks, no queues) and is carried into the
 * next version of this cell when it is swapped or reloaded: copied into
 * the new cell's variable of the same name and size. Everything else in
 * .data/.bss starts fresh (its initial value) in the new cell; state that
 * needs more than a copy is rebuilt by the cell's transfer function
 * (docs/evolution.md, "State transfer").
 *   static int counter CELL_CARRY(counter);
 */
#define CELL_CARRY(var) __attribute__((section(".data.carry." #var)))

/*
 * CELL_TRANSFER_LIVE(fn), next to a transfer function's definition: fn
 * switches the running system over to this cell by itself, under its own
 * locks, while the other CPUs run (the scheduling policies install
 * themselves CPU by CPU). A swap whose only work in the running system is
 * such transfers - no relocation to rewrite, nothing carried - takes no
 * pause: no CPU is stopped (docs/evolution.md).
 */
#define CELL_TRANSFER_LIVE(fn) const char fn##__transfer_live __attribute__((used)) = 1

#endif
