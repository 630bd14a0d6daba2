/*
 * ata: the PC's IDE/ATA controller (QEMU's PIIX3 in compatibility mode:
 * ports 0x1F0/0x3F6 with ISA interrupt 14, 0x170/0x376 with 15), disks
 * in PIO mode with LBA28/LBA48, interrupt-driven: a command's interrupt
 * says a sector is ready (read) or taken (write). Disks register with the
 * blk cell as hda, hdb...
 *
 * A channel does one command at a time: requests queue for it (waiting
 * tasks, each with its own deadline). A request whose deadline passes
 * fails with E_TIMEDOUT and the channel is reset (ATA software reset), so
 * the next request finds the device idle. A status that makes no sense
 * (an interrupt without data ready, a device that stays busy) is refused
 * with E_IO, counted and logged; an interrupt no command asked for is
 * counted as spurious.
 *
 * Live swap and recovery as the other drivers': the channel and disk
 * tables are carried (CELL_CARRY), ata_adopt rebinds the interrupt lines
 * and blk registrations; after a fault in the interrupt handler the
 * reloaded cell resets the channel and the command in flight fails with
 * E_IO.
 * State: the channel and disk tables (hardware state, no client's).
 */
#ifndef ATA_H
#define ATA_H

#include "base.h"

#define ATA_MAX_DISKS 4

struct ata_counters {
	uint64_t requests, sectors, errors, timeouts, malformed, irqs, spurious_irqs, resets, failed_at_reset;
};

size_t ata_count(void);
/* counters of the channel the disk is on */
int ata_counters(unsigned disk, struct ata_counters *out) __must_check;
int ata_vector(unsigned disk, uint8_t *vector) __must_check;
int ata_inject_irq_fault(unsigned disk) __must_check;

int ata_probe(void) __must_check;
int ata_adopt(void);

#endif
