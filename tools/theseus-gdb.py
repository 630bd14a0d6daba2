# theseus-gdb.py: gdb commands for Theseus/C (sourced by tools/gdbinit).
#
#   theseus-load-cells [CELL...]
#       For every cell loaded at run time (or the named ones), load the
#       symbols of build/cells/<cell>.o with each of its sections at the
#       address the cell manager placed it. Cells are built with
#       -ffunction-sections (one section per function, main in
#       .text.startup.main), so one `-s .text ADDR` would put nearly every
#       symbol at 0: every section needs its own -s.
#
# The addresses come from the guest's memory, not from a log: the cell
# manager's namespaces (meta.c's kernel_ns and apps_ns, reached through
# build/nano_core.elf's debug info) list each struct cell, whose sections[]
# hold name, address and size (kernel/cells/cell_mgr/cell.h). The
# nano_core's own cells are in build/nano_core.elf already and are
# skipped. Run it again after more cells load (apps load on first use);
# it replaces what it loaded before. State: the files loaded, to replace.
import os

import gdb

CELLS_DIR = os.environ.get("THESEUS_CELLS", "build/cells")
_loaded = {}  # cell name -> object path given to add-symbol-file


def _namespaces():
    out = []
    for name in ("kernel_ns", "apps_ns"):
        sym = gdb.lookup_static_symbol(name)
        if sym is None:
            raise gdb.GdbError("theseus-load-cells: no symbol %s: is build/nano_core.elf loaded "
                               "(file build/nano_core.elf)?" % name)
        out.append(sym.value())
    return out


def _cells():
    """(name, namespace, [(section, addr, size)]) for each loaded non-nano_core cell."""
    for ns in _namespaces():
        nsname = ns["name"].string()
        c = ns["cells"]
        seen = 0
        while int(c) != 0:
            seen += 1
            if seen > 10000:
                raise gdb.GdbError("theseus-load-cells: the cell list of %s does not end" % nsname)
            cell = c.dereference()
            if not bool(cell["nano_core"]):
                secs = []
                arr = cell["sections"]
                for i in range(int(cell["nsections"])):
                    s = arr[i]
                    secs.append((s["name"].string(), int(s["addr"]), int(s["size"])))
                yield cell["name"].string(), nsname, secs
            c = cell["next"]


class LoadCells(gdb.Command):
    """Load the symbols of every cell loaded at run time, at its sections' addresses.
Usage: theseus-load-cells [CELL...]   (all loaded cells if none is named)"""

    def __init__(self):
        super().__init__("theseus-load-cells", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        want = set(gdb.string_to_argv(arg))
        n = 0
        found = set()
        for name, nsname, secs in _cells():
            if want and name not in want:
                continue
            found.add(name)
            path = os.path.join(CELLS_DIR, name + ".o")
            if not os.path.exists(path):
                print("theseus-load-cells: %s (%s): no %s, skipped" % (name, nsname, path))
                continue
            if name in _loaded:
                try:
                    gdb.execute("remove-symbol-file %s" % _loaded[name], to_string=True)
                except gdb.error:
                    pass
            args = " ".join("-s %s %#x" % (s, a) for s, a, size in secs if size)
            if not args:
                continue
            gdb.execute("add-symbol-file %s %s" % (path, args), to_string=True)
            _loaded[name] = path
            n += 1
            if from_tty:
                print("  %-16s %-6s %3d sections" % (name, nsname, len(secs)))
        missing = want - found
        if missing:
            raise gdb.GdbError("theseus-load-cells: not loaded: %s" % " ".join(sorted(missing)))
        print("theseus-load-cells: symbols of %d cells loaded at their run-time addresses" % n)


LoadCells()
