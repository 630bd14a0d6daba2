# Theseus/C top-level build. See README.md and docs/build.md.
#
# Every directory holding .c/.S files (CELL_GLOBS below) is a cell and becomes build/cells/<dir-name>.o (ld -r of its
# sources). The nano_core is statically linked from NANO_CORE_CELLS with a
# generated linker script that brackets each cell's sections; every other
# cell goes into the ISO as a multiboot2 module.

.DEFAULT_GOAL := all

BUILD   := build
CC      := gcc
LD      := ld
OBJCOPY := objcopy
QEMU    := qemu-system-x86_64
Q       ?= @

# The cells statically linked into the nano_core, in link order.
# Only what loading cells needs: console, exceptions, memory, the cell
# manager and the libraries they use. Everything else is a boot module.
NANO_CORE_CELLS := nano_core base klibc fmt range elf cpu serial tsc logger \
	multiboot2 mm_acct frame_alloc page_alloc page_table mm_desc memory heap \
	stack symtab exceptions unwind cell_mgr



# Where cells live: kernel/<subsystem>/<cell>, libs/<cell>, apps/<cell>, and
# apart from the product bench/<cell>, tests/kernel/<cell>, tests/<cell>.
CELL_GLOBS := nano_core kernel/*/* libs/* apps/* bench/* tests/kernel/* tests/ktest tests/workload
CELL_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard $(addsuffix /*.[cS],$(CELL_GLOBS))))))
CELL_NAMES := $(notdir $(CELL_DIRS))
MODULE_CELLS := $(filter-out $(NANO_CORE_CELLS),$(CELL_NAMES))
INC_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard $(addsuffix /*.h,$(CELL_GLOBS))))))
HEADERS := $(sort $(wildcard $(addsuffix /*.h,$(CELL_GLOBS))))

# Declared dependencies (docs/cells.md): each cell folder has a `deps` file;
# a cell is compiled with only its own folder and BUILD/inc/<cell> (made by
# tools/cell-inc.sh: its declared cells' public headers, an #error for any
# other cell's header) on the include path, and tools/cell-deps-check.sh
# checks every cell object's undefined symbols against the declarations.
# Cells whose deps omit a linked cell on purpose (the cell manager's
# run-time check is tested with them); the build check only notes them:
DEPS_LINK_UNCHECKED := cellfix_undeclared
# the list of cell folders and headers: the include views change with it
$(shell mkdir -p $(BUILD)/inc; echo '$(CELL_DIRS) $(HEADERS)' | cmp -s - $(BUILD)/inc/headers.list || echo '$(CELL_DIRS) $(HEADERS)' > $(BUILD)/inc/headers.list)

CELL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fcf-protection=none \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-common -fno-strict-aliasing \
	-fno-tree-loop-distribute-patterns -ftls-model=local-exec \
	-fno-isolate-erroneous-paths-dereference -fno-isolate-erroneous-paths-attribute \
	-ffunction-sections -fdata-sections \
	-fexceptions -fnon-call-exceptions -fasynchronous-unwind-tables \
	-MMD -MP
# every cell folder: for the analyzer, which checks ownership, not deps
ALL_INC := $(addprefix -I,$(INC_DIRS)) -Ikernel/net/lwip/port -I$(BUILD)/lwip/lwip-2.1.3/src/include

QEMU_MEM  ?= 512M
QEMU_SMP  ?= 4
# QEMU_MACHINE reboots on `reboot` (make run); QEMU_BASE, for make debug,
# the test and benchmark boots, ends QEMU instead (a debugged triple fault stays)
QEMU_MACHINE := -m $(QEMU_MEM) -smp $(QEMU_SMP) -cpu qemu64,+nx \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
QEMU_BASE := $(QEMU_MACHINE) -no-reboot
QEMU_TIMEOUT ?= 300
# the devices the drivers serve (PCI, e1000, virtio-blk, IDE disk, edu):
# tools/qemu-devices.sh DIR prints them, disk images in DIR
QEMU_DEV_ARGS = $(shell tools/qemu-devices.sh $(BUILD)/disks/$(1))

FUZZ_SECONDS ?= 600
.PHONY: test-slow evolve print-cflags test-evolve faults
# a fault-injection campaign: N injections (default 2000), report in build/faults/
N ?= 2000
SEED ?= 1
faults: bootstrap $(BUILD)/theseus-workload.iso
	tools/inject -n $(N) --seed $(SEED) --out $(BUILD)/faults
.PHONY: test-shell test-files
.PHONY: all run debug test test-host test-analyzer test-kernel \
	bootstrap clean iso cells analyze
all: iso

bootstrap:
	@tools/bootstrap.sh

# --- cells -------------------------------------------------------------
# A cell object is the ld -r of its sources plus a .cell_deps section (its
# name, then its declared cells, NUL-terminated) that the cell manager
# checks every link against.
define cell_rule
$(1)_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(wildcard $(1)/*.[cS])))
$$($(1)_OBJS): CELL_INC := -I$(1) -I$(BUILD)/inc/$(notdir $(1))
$$($(1)_OBJS): $(BUILD)/inc/$(notdir $(1)).stamp
$(BUILD)/inc/$(notdir $(1)).ran: $(1)/deps $(BUILD)/inc/headers.list tools/cell-inc.sh
	$(Q)tools/cell-inc.sh $(BUILD) $(1) $(CELL_DIRS)
$(BUILD)/inc/$(notdir $(1)).stamp: $(BUILD)/inc/$(notdir $(1)).ran ;
$(BUILD)/cells/$(notdir $(1)).o: $$($(1)_OBJS) $(BUILD)/inc/$(notdir $(1)).stamp
	@mkdir -p $$(dir $$@)
	@echo "  CELL  $$@"
	$(Q)$(LD) -r -o $$@.tmp $$($(1)_OBJS)
	$(Q)$(OBJCOPY) --add-section .cell_deps=$(BUILD)/deps/$(notdir $(1)).bin \
		--set-section-flags .cell_deps=alloc,readonly,data,contents $$@.tmp $$@
	@rm -f $$@.tmp
endef
$(foreach d,$(CELL_DIRS),$(eval $(call cell_rule,$(d))))

# The SIMD personality's own builds (docs/evolution.md, "Personalities"):
# the cells kernel/cells/personality/simd.cells names, built again with
# the vector registers allowed and -O3, as build/cells/<cell>@simd.o.
SIMD_CELLS := $(shell grep -v '^\#' kernel/cells/personality/simd.cells)
SIMD_CFLAGS := $(filter-out -mgeneral-regs-only -O2,$(CELL_CFLAGS)) -O3 -msse2
define simd_rule
$(BUILD)/simd/$(notdir $(1))/%.o: $(1)/%.c Makefile $(BUILD)/inc/$(notdir $(1)).stamp
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$< (simd)"
	$(Q)$(CC) $(SIMD_CFLAGS) -I$(1) -I$(BUILD)/inc/$(notdir $(1)) -c $$< -o $$@
$(BUILD)/cells/$(notdir $(1))@simd.o: $(patsubst $(1)/%.c,$(BUILD)/simd/$(notdir $(1))/%.o,$(wildcard $(1)/*.c)) $(BUILD)/cells/$(notdir $(1)).o
	@echo "  CELL  $$@"
	$(Q)$(LD) -r -o $$@.tmp $$(filter $(BUILD)/simd/%,$$^)
	$(Q)$(OBJCOPY) --add-section .cell_deps=$(BUILD)/deps/$(notdir $(1)).bin \
		--set-section-flags .cell_deps=alloc,readonly,data,contents $$@.tmp $$@
	@rm -f $$@.tmp
endef
$(foreach c,$(SIMD_CELLS),$(eval $(call simd_rule,$(filter %/$(c),$(CELL_DIRS)))))
SIMD_OBJS := $(addprefix $(BUILD)/cells/,$(addsuffix @simd.o,$(SIMD_CELLS)))
# lwIP (docs/network.md): Debian's source package, fetched and checked by
# tools/fetch-lwip.sh into $(BUILD)/lwip, compiled into the lwip cell
# (kernel/net/lwip: our port beside it) with the cells' flags. Cells that
# declare lwip in their deps see its headers and the port's.
LWIP_TOP := $(BUILD)/lwip/lwip-2.1.3/src
LWIP_OK := $(BUILD)/lwip/.ok
LWIP_SRCS := $(addprefix core/,def.c inet_chksum.c init.c ip.c mem.c memp.c netif.c pbuf.c raw.c \
	stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c) \
	$(addprefix core/ipv4/,dhcp.c etharp.c icmp.c ip4.c ip4_addr.c ip4_frag.c) \
	$(addprefix api/,api_lib.c api_msg.c netbuf.c tcpip.c) netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(BUILD)/obj/lwip-src/%.o,$(LWIP_SRCS))
LWIP_INC := -Ikernel/net/lwip/port -I$(LWIP_TOP)/include
LWIP_USERS := kernel/net/lwip $(patsubst %/deps,%,$(shell grep -lx lwip $(addsuffix /deps,$(CELL_DIRS)) 2>/dev/null))
$(LWIP_OK): tools/fetch-lwip.sh
	$(Q)tools/fetch-lwip.sh $(BUILD)/lwip
kernel/net/lwip_OBJS += $(LWIP_OBJS)
$(BUILD)/cells/lwip.o: $(LWIP_OBJS)
$(foreach d,$(LWIP_USERS),$(eval $$($(d)_OBJS): CELL_INC += $(LWIP_INC))$(eval $$($(d)_OBJS): | $(LWIP_OK)))
$(LWIP_OBJS): CELL_INC := $(LWIP_INC) -Ikernel/net/lwip -I$(BUILD)/inc/lwip
$(LWIP_OBJS): $(BUILD)/inc/lwip.stamp
$(LWIP_OBJS): $(BUILD)/obj/lwip-src/%.o: $(LWIP_OK) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC    lwip/$*.c"
	$(Q)$(CC) $(CELL_CFLAGS) $(CELL_INC) -c $(LWIP_TOP)/$*.c -o $@

# deps files are sources: no implicit rule may remake one (apps/deps/deps.c);
# a missing one is "remade" by nothing, so tools/cell-inc.sh runs and says so
$(addsuffix /deps,$(CELL_DIRS)): ;

$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CELL_CFLAGS) $(CELL_INC) -c $< -o $@

$(BUILD)/obj/%.o: %.S Makefile
	@mkdir -p $(dir $@)
	@echo "  AS    $<"
	$(Q)$(CC) $(CELL_CFLAGS) $(CELL_INC) -c $< -o $@

# the framebuffer terminal's console font, fetched from Debian at build time
# and embedded by kernel/display/font/font_data.S (tools/fetch-font.sh)
FONT_PSF := $(BUILD)/font/console.psf
$(FONT_PSF): tools/fetch-font.sh
	$(Q)tools/fetch-font.sh $@
$(BUILD)/obj/kernel/display/font/font_data.o: $(FONT_PSF)

# the link-level check: every cell's undefined symbols against its deps
$(BUILD)/deps.ok: $(addprefix $(BUILD)/cells/,$(addsuffix .o,$(CELL_NAMES))) tools/cell-deps-check.sh
	@echo "  DEPS  checking every cell's links against its declared cells"
	$(Q)tools/cell-deps-check.sh $(BUILD) "$(DEPS_LINK_UNCHECKED)" -- $(CELL_DIRS)
	@touch $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

cells: $(addprefix $(BUILD)/cells/,$(addsuffix .o,$(CELL_NAMES))) $(BUILD)/deps.ok $(SIMD_OBJS)

# --- nano_core -----------------------------------------------------------
NANO_OBJS := $(addprefix $(BUILD)/cells/,$(addsuffix .o,$(NANO_CORE_CELLS)))

$(BUILD)/nano_core.ld: tools/gen-nano-ld.sh Makefile
	@mkdir -p $(dir $@)
	tools/gen-nano-ld.sh $(BUILD)/cells $(NANO_CORE_CELLS) > $@

$(BUILD)/nano_core.elf: $(NANO_OBJS) $(BUILD)/nano_core.ld $(BUILD)/deps.ok
	$(LD) -n -nostdlib -z max-page-size=0x1000 --eh-frame-hdr --emit-relocs \
		-T $(BUILD)/nano_core.ld -o $@ $(NANO_OBJS)

$(BUILD)/nano_core.syms: $(BUILD)/nano_core.elf
	$(OBJCOPY) --strip-debug $< $@

# --- images --------------------------------------------------------------
MODULE_OBJS := $(addprefix $(BUILD)/cells/,$(addsuffix .o,$(MODULE_CELLS)))
ISO_DEPS := $(BUILD)/nano_core.elf $(BUILD)/nano_core.syms $(MODULE_OBJS) $(BUILD)/deps.ok tools/mkiso.sh \
	nano_core/replaceable $(SIMD_OBJS)

$(BUILD)/theseus.iso: $(ISO_DEPS)
	tools/mkiso.sh $@ "" $(BUILD) $(MODULE_CELLS)
# the normal image under the priority scheduler (the shell suite's prio run)
$(BUILD)/theseus-prio.iso: $(ISO_DEPS)
	tools/mkiso.sh $@ "sched=prio" $(BUILD) $(MODULE_CELLS)
# make run's image: the status server starts at boot (docs/network.md)
$(BUILD)/theseus-run.iso: $(ISO_DEPS)
	tools/mkiso.sh $@ "httpd evolve-tcp" $(BUILD) $(MODULE_CELLS)
$(BUILD)/theseus-test.iso: $(ISO_DEPS)
	tools/mkiso.sh $@ "ktest" $(BUILD) $(MODULE_CELLS)
$(BUILD)/theseus-test-prio.iso: $(ISO_DEPS)
	tools/mkiso.sh $@ "ktest sched=prio" $(BUILD) $(MODULE_CELLS)
$(BUILD)/theseus-workload.iso: $(ISO_DEPS)
	tools/mkiso.sh $@ "workload" $(BUILD) $(MODULE_CELLS)
# one image per benchmark: "bench=NAME" makes the captain run the cell
# bench_NAME's bench_NAME_main
$(BUILD)/theseus-bench-%.iso: $(ISO_DEPS)
	tools/mkiso.sh $@ "bench=$*" $(BUILD) $(MODULE_CELLS)

iso: $(BUILD)/theseus.iso

# --- commands ------------------------------------------------------------
# COM1 is the console; COM2 is the evolution link (`make evolve`)
EVOLVE_SOCK := $(BUILD)/evolve.sock
# the status server (port 80 in the guest) and the evolution link over TCP
# (port 7070 in the guest) on the host's loopback
HTTP_PORT ?= 8080
EVOLVE_PORT ?= 7070
run: bootstrap $(BUILD)/theseus-run.iso
	@rm -f $(EVOLVE_SOCK)
	@echo "status page: http://127.0.0.1:$(HTTP_PORT)/ (HTTP_PORT=... to change); make evolve EVOLVE_TCP=127.0.0.1:$(EVOLVE_PORT) evolves over TCP"
	$(QEMU) $(QEMU_MACHINE) -cdrom $(BUILD)/theseus-run.iso -display none \
		-serial mon:stdio -serial unix:$(EVOLVE_SOCK),server=on,wait=off \
		$(shell NET_HOSTFWD="tcp:127.0.0.1:$(HTTP_PORT)-:80 tcp:127.0.0.1:$(EVOLVE_PORT)-:7070" tools/qemu-devices.sh $(BUILD)/disks/run)

# the same with a window: the framebuffer terminal (fbterm) and the PS/2
# keyboard, beside the serial console here (README, "With a window")
RUN_GUI_DISPLAY ?= gtk
.PHONY: run-gui test-devices-input
run-gui: bootstrap $(BUILD)/theseus.iso
	@$(QEMU) -display help 2>/dev/null | grep -qx '$(RUN_GUI_DISPLAY)' || { echo "run-gui: QEMU has no $(RUN_GUI_DISPLAY) display here; as root: apt-get install -y --no-install-recommends qemu-system-gui"; exit 1; }
	@rm -f $(EVOLVE_SOCK)
	$(QEMU) $(QEMU_BASE) -cdrom $(BUILD)/theseus.iso -display $(RUN_GUI_DISPLAY) \
		-serial mon:stdio -serial unix:$(EVOLVE_SOCK),server=on,wait=off

# keys through QEMU's QMP socket, the screen read back (tools/test-devices-input.sh)
test-devices-input: $(BUILD)/theseus.iso
	@tools/test-devices-input.sh

# rebuild, then send what changed to the OS that `make run` is running;
# TRANSFER=fn[,fn...] adds transfer functions for the kernel cells swapped;
# PROBATION=ms keeps the old cells until then, a fault rolling the swap back;
# EVOLVE_TCP=127.0.0.1:PORT sends over TCP (make run forwards EVOLVE_PORT)
# through the e1000 instead of COM2
evolve: cells
	@tools/evolve $(if $(EVOLVE_TCP),--tcp $(EVOLVE_TCP),--sock $(EVOLVE_SOCK)) --cells $(BUILD)/cells $(if $(TRANSFER),--transfer $(TRANSFER)) $(if $(PROBATION),--probation $(PROBATION)) $(MODULE_CELLS)

debug: bootstrap $(BUILD)/theseus.iso
	@echo "QEMU waits for gdb on :1234; in another terminal: gdb -x tools/gdbinit"
	@echo "then, once cells are loaded: Ctrl-C, theseus-load-cells, break FILE:LINE (docs/debugging.md)"
	$(QEMU) $(QEMU_BASE) -cdrom $(BUILD)/theseus.iso -nographic -s -S

# --- benchmarks ------------------------------------------------------------
# Every cell bench/bench_NAME is a benchmark: `make bench-NAME` boots
# build/theseus-bench-NAME.iso, prints its BENCH lines and fails (naming the
# benchmark) if QEMU did not exit with the kernel's "success" (33) or a line
# says BENCH ERROR. `make bench` runs them all, one after the other, then
# prints one table of every figure (tools/bench-table, rows in
# tools/benchtab.py) and fails if any benchmark failed, naming them, or a
# row is missing. (tools/test-make.sh runs `make bench BENCHES=nosuch` to
# see a failing benchmark fail it.) `make bench-linux` runs the same
# microbenchmarks on Debian's Linux under the same QEMU settings;
# `make bench-compare` runs both in turn (BENCH_ROUNDS rounds each) and
# prints medians side by side (docs/performance.md).
BENCHES := $(patsubst bench_%,%,$(notdir $(wildcard bench/bench_*)))
BENCH_TARGETS := $(addprefix bench-,$(BENCHES))
BENCH_ROUNDS ?= 3
.PHONY: bench bench-linux bench-compare $(BENCH_TARGETS)

$(BENCH_TARGETS): bench-%: bootstrap $(BUILD)/theseus-bench-%.iso
	@tools/run-qemu.sh $(BUILD)/theseus-bench-$*.iso $(BUILD)/bench-$*.log $(QEMU_TIMEOUT) $(QEMU_BASE) \
		$(if $(filter fat32,$*),$(call QEMU_DEV_ARGS,bench-fat32)); \
	rc=$$?; grep '^BENCH' $(BUILD)/bench-$*.log; \
	if [ $$rc != 33 ] || grep -q '^BENCH ERROR' $(BUILD)/bench-$*.log; then \
		echo "bench-$*: FAILED (QEMU exit $$rc); see $(BUILD)/bench-$*.log"; exit 1; fi

bench: bootstrap
	@failed=; for b in $(BENCHES); do \
		echo "== bench-$$b"; \
		$(MAKE) -s --no-print-directory bench-$$b || failed="$$failed bench-$$b"; \
	done; \
	echo "== table"; tools/bench-table $(BUILD) $(BENCHES) || failed="$$failed table"; \
	if [ -n "$$failed" ]; then echo "bench: FAILED:$$failed"; exit 1; fi; \
	echo "bench: all $(words $(BENCHES)) benchmarks ran"

bench-linux: bootstrap
	@tools/bench-linux.sh $(BUILD) $(QEMU_TIMEOUT) $(QEMU_BASE) $(call QEMU_DEV_ARGS,bench-linux)

# TCP bulk transfer over the e1000, host <-> OS, timed on the host
# (tools/bench-net.sh): ours, and the Linux guest's (after bench-linux)
.PHONY: bench-net bench-net-linux
bench-net: bootstrap $(BUILD)/theseus.iso
	@tools/bench-net.sh $(BUILD) ours
bench-net-linux: bootstrap
	@tools/bench-net.sh $(BUILD) linux

bench-compare: bootstrap $(BUILD)/theseus.iso $(addprefix $(BUILD)/theseus-bench-,$(addsuffix .iso,tasks cells mem chan fat32))
	@tools/bench-compare --rounds $(BENCH_ROUNDS) --build $(BUILD) --out $(BUILD)/bench-compare.md

test: bootstrap
	@tools/test-all.sh

test-host:
	@tools/test-host.sh

test-shell: $(BUILD)/theseus.iso
	@tools/test-shell.sh

test-files: $(BUILD)/theseus.iso
	@tools/test-files.sh

test-analyzer:
	@tools/test-analyzer.sh

# slow tier: fuzz the ELF validator and relocation code, and the FAT32
# cell's core (FUZZ_SECONDS each, 600)
test-slow: bootstrap
	@tools/fuzz.sh $(FUZZ_SECONDS)

# quick tier (in make test): the FAT32 fuzz target for FUZZ_QUICK_SECONDS
# from its committed corpus, which it only reads
FUZZ_QUICK_SECONDS ?= 30
.PHONY: test-fuzz-quick test-fat32
test-fuzz-quick:
	@FUZZ_QUICK=1 tools/fuzz.sh $(FUZZ_QUICK_SECONDS) fat32

# FAT32 on a disk the host made and checks (mkfs.fat, fsck.fat, mtools)
test-fat32: $(BUILD)/theseus.iso
	@tools/test-fat32.sh

# slow tier: the in-OS suite typed into the shell of a normal boot three
# times with background jobs, under each policy (make test runs it once)
.PHONY: test-live
test-live: $(BUILD)/theseus.iso $(BUILD)/theseus-prio.iso
	@tools/test-suite-live.sh 3

# the whole in-kernel suite, once under each scheduling policy
test-kernel: $(BUILD)/theseus-test.iso $(BUILD)/theseus-test-prio.iso
	@tools/test-kernel.sh $(BUILD)/theseus-test.iso $(QEMU_TIMEOUT) $(QEMU_BASE) $(call QEMU_DEV_ARGS,ktest)
	@PREFIX=prio/ LOG=build/ktest-prio.log tools/test-kernel.sh $(BUILD)/theseus-test-prio.iso $(QEMU_TIMEOUT) $(QEMU_BASE) $(call QEMU_DEV_ARGS,ktest-prio)

# -fanalyzer over every cell source (the allocators' malloc(dealloc)
# annotations make it check ownership); any warning fails.
analyze: $(BUILD)/lwip/.ok
	@tools/analyze.sh $(CELL_DIRS) -- $(CELL_CFLAGS) $(ALL_INC)

# the cell compile flags, for scripts (tools/test-analyzer.sh)
.PHONY: print-cflags
print-cflags:
	@echo $(CELL_CFLAGS) $(ALL_INC)
# without include paths: a cell adds -I<its folder> -I$(BUILD)/inc/<cell>
.PHONY: print-cell-cflags print-cell-dirs
print-cell-dirs:
	@echo $(CELL_DIRS)
print-cell-cflags:
	@echo $(CELL_CFLAGS)

clean:
	rm -rf $(BUILD)
