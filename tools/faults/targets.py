"""targets.py: where an injection lands.

Regions: text, rodata and data of every run-time cell the workload and
the shell exercise, and of the nano_core's cells (through its symbol
table); live heap objects the workload's code reads (its tasks, the
round's channel objects and helper tasks: tests/workload publishes
them); the used part of each workload task's stack (from its saved stack
pointer to the top).
"""
import re
import subprocess
import tempfile

# the workload's units, in its order (tests/workload/workload.c)
UNITS = ["rchan", "bchan", "spawn", "mm"]

# run-time cells (loaded at boot or on demand in the workload image)
RUNTIME = ["chan_rendezvous", "chan_buffered", "itc_core", "workload", "task", "sched_rr", "sched_prio",
           "sync", "state_db", "recovery", "apic", "smp", "tty", "shell", "evolve", "chan_fault"]
# the nano_core's cells worth aiming at (the rest is boot-time only)
NANO_CORE = ["heap", "frame_alloc", "page_table", "page_alloc", "memory", "cell_mgr", "unwind", "exceptions",
             "stack", "logger", "klibc"]
REGIONS = ["text", "rodata", "data", "heap", "stack"]


def pick_range(rng, ranges):
    """one of several (base, size) ranges, weighted by size"""
    total = sum(s for _, s in ranges)
    x = rng.randrange(total)
    for b, s in ranges:
        if x < s:
            return b, s
        x -= s
    return ranges[-1]


def cell_target(rng, cells, region):
    """(cell, base, size) of a random cell's region, or None"""
    cands = [c for c in sorted(cells) if sum(s for _, s in cells[c].get(region, []) if s >= 16) >= 16]
    if not cands:
        return None
    c = rng.choice(cands)
    b, s = pick_range(rng, [r for r in cells[c][region] if r[1] >= 16])
    return c, b, s


def heap_target(rng, gdb, table):
    """(name, base, size) of a live object the workload published, or None"""
    if not table:
        return None
    addr, n, _ = table
    raw = gdb.read(addr, 16 * n)
    if not raw:
        return None
    live = []
    for k in range(n):
        a = int.from_bytes(raw[16 * k:16 * k + 8], "little")
        s = int.from_bytes(raw[16 * k + 8:16 * k + 16], "little")
        if a and 16 <= s <= 65536:
            live.append((k, a, s))
    if not live:
        return None
    k, a, s = rng.choice(live)
    units = UNITS
    what = ["task", "channel or helper", "helper"][k % 3]
    return "%s %s" % (units[k // 3] if k // 3 < len(units) else "?", what), a, s


def stack_target(rng, gdb, units, table):
    """(unit, base, size): the used part of a workload task's stack (from
    its saved stack pointer, if it is switched out, else the top 2 KiB)"""
    cands = sorted(u for u in units if units[u]["stack"][1] >= 4096)
    if not cands:
        return None
    u = rng.choice(cands)
    lo, size = units[u]["stack"]
    top = lo + size
    used_lo = top - 2048
    if table:
        raw = gdb.read(units[u]["task"] + table[2], 8)
        if raw:
            rsp = int.from_bytes(raw, "little")
            if lo <= rsp < top - 16:
                used_lo = rsp
    return u, used_lo & ~7, top - (used_lo & ~7)


def instructions(gdb, base, size, cache):
    """the instruction start addresses of [base, base + size)"""
    key = (base, size)
    if key in cache:
        return cache[key]
    data = gdb.read(base, size)
    if not data:
        return []
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64",
                              "--adjust-vma=0x%x" % base, f.name],
                             capture_output=True, text=True).stdout
    starts = [int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\t", out, re.M)]
    cache[key] = starts
    return starts


def touched(starts, addr, n):
    """the starts of every instruction that the bytes [addr, addr + n)
    belong to (a corrupted byte changes the instruction it is part of;
    each is watched for execution)"""
    out = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else s + 16
        if s < addr + n and end > addr:
            out.append(s)
    return out


def unwritten(old, injected, now, width):
    """after the program wrote into an injected range: the bytes to put
    back (offset, value) - those still holding what was injected; a byte
    the program wrote is the program's. A 1-byte fault a write hit was
    wholly overwritten."""
    if width == 1:
        return []
    return [(k, old[k]) for k in range(width) if now[k] == injected[k] and old[k] != injected[k]]
