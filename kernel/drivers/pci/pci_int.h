/*
 * pci_int.h: between the pci cell's files.
 */
#ifndef PCI_INT_H
#define PCI_INT_H

/* start the pci-recover task (irq.c; start.c calls it) */
int pci_irq_start_worker(void) __must_check;

#endif
