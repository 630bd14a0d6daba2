"""judge.py: what an activated fault did, read from the serial log alone.

Pure functions over text, so that host tests can feed recorded logs
(tests/host/faults/) and check every verdict. The injector calls
`judge()` on the log written since the fault activated, again and again
as more arrives, until it returns a verdict; `late()` reads what arrived
after a verdict (a panic, a CPU stop, a failed workload check).

A verdict is (outcome, detail, stage):
  outcome  "masked" | "recovered" | "failed"
  detail   for failures the class (below); for recoveries how
           ("restart", "reload", "unit retried", "watchdog", ...)
  stage    the highest recovery stage the log shows (0 if none)
"""
import re

# the machine can no longer be trusted as a whole
# (a double fault is not by itself: one from a stack pointer that left its
# stack ends the task, which is restarted; one that stops its CPU says so)
FATAL = re.compile(r"PANIC|!!! CPU \d+ halted|stops; the others go on|"
                   r"unwinding finished without a task layer|_Unwind_Resume with a bad")
# something visibly went wrong (a fault was taken or a check failed)
MANIFEST = re.compile(r" died: | killed: |EXCEPTION|PANIC|STUCK LOCK|WL FAIL|CPU \d+ halted|watchdog|RECOVERED ")
STAGE = re.compile(r"stage (\d): [^\n]*")
ROUNDS = re.compile(r"WL rounds (\d+) (\d+) (\d+) (\d+) retries")
UPTIME = re.compile(r"^up \d+\.\d+ s, ", re.M)
WATCHDOG = re.compile(r"watchdog")
RELOAD_FAILED = re.compile(r"stage \d: [^\n]*failed")
LOCK_BROKEN = re.compile(r"STUCK LOCK [^\n]*; broken: ")

# failure classes: thesis Table 9.1's, then ours
CLASSES = [
    ("unwinder failure", re.compile(r"inside the unwinder|_Unwind_Resume with a bad|unwinding finished without")),
    ("failed cell replacement", RELOAD_FAILED),
    ("fault in interrupt context", re.compile(r"in an interrupt handler")),
    ("fault before tasks", re.compile(r"before tasks exist")),
    ("panic", re.compile(r"PANIC|panic")),
]


def rounds(text):
    """every progress row: (offset of the row's end, [rchan, bchan, spawn, mm])"""
    return [(m.end(), [int(x) for x in m.groups()]) for m in ROUNDS.finditer(text)]


def last_rounds(text):
    r = rounds(text)
    return r[-1][1] if r else None


def failure_class(text, default):
    for name, rx in CLASSES:
        if rx.search(text):
            return name
    return default


def _last_event(text):
    """offset just past the last line that shows something going wrong or
    being recovered: progress only counts after it"""
    end = 0
    for rx in (MANIFEST, STAGE):
        for m in rx.finditer(text):
            nl = text.find("\n", m.end())
            end = max(end, nl + 1 if nl >= 0 else len(text))
    return end


def stage_taken(text):
    """the highest recovery stage that was carried out (a queued or
    refused stage does not count): reloaded 3/4, restarted 2, unwound 1"""
    best = 0
    for m in STAGE.finditer(text):
        line, n = m.group(0), int(m.group(1))
        if "reloaded" in line:
            best = max(best, n)
        elif "restarted as" in line:
            best = max(best, 2)
        elif "unwound" in line:
            best = max(best, 1)
    return best


def judge(seg, base, exited=False, final=False):
    """the verdict on `seg`, the log since the fault activated, or None
    while undecided. base: the progress row in force when it activated.
    exited: QEMU has ended. final: no more text will come (decide now)."""
    if exited:
        return ("failed", "reboot" if "last resort" in seg or "Rebooting" in seg
                else failure_class(seg, "crash"), 0)
    if FATAL.search(seg):
        return ("failed", failure_class(seg, "crash"), 0)
    if "WL FAIL" in seg:
        return ("failed", "silent corruption", 0)
    manifested = bool(MANIFEST.search(seg))
    after = _last_event(seg) if manifested else 0
    rows = rounds(seg)
    # every unit moved on past where it stood when the last thing went
    # wrong (or, if later, when the fault activated)
    ref = base
    for off, row in rows:
        if off <= after and ref is not None:
            ref = [max(a, b) for a, b in zip(ref, row)]
    moved = ref is not None and any(off > after and all(a > b for a, b in zip(row, ref)) for off, row in rows)
    answered = any(m.start() >= after for m in UPTIME.finditer(seg)) or (
        not manifested and UPTIME.search(seg))
    if moved and answered:
        if not manifested:
            return ("masked", "", 0)
        stage = stage_taken(seg)
        if WATCHDOG.search(seg):
            how = "watchdog"
        elif LOCK_BROKEN.search(seg) and stage < 2:
            how = "stuck lock broken"
        elif stage >= 3:
            how = "reload"
        elif stage == 2:
            how = "restart"
        elif stage == 1 or " died: " in seg or " killed: " in seg:
            how, stage = "unit retried", 1
        else:
            how = "masked by the workload"
        return ("recovered", how, stage)
    if final:
        if manifested and not moved and RELOAD_FAILED.search(seg):
            return ("failed", "failed cell replacement", 0)
        return ("failed", "hung task" if manifested or base is not None else "hang", 0)
    return None


MEM_MAPPED = re.compile(r"\bmapped: (\d+) mappings, (\d+) frame objects, (\d+) page objects", re.M)
MEM_HEAP = re.compile(r"\bheap: +(\d+) bytes in (\d+) objects, (\d+) slabs, (\d+) large", re.M)


def mem_usage(text):
    """the last `mem` report in text, as a dict of counters, or None. The
    heap's own pages (its slabs and large regions, one mapping, frame and
    page object each) are taken out of the mapping counts: how many slabs
    hold the same objects varies with the order of frees, and the heap's
    objects are counted on their own"""
    m, h = list(MEM_MAPPED.finditer(text)), list(MEM_HEAP.finditer(text))
    if not m or not h:
        return None
    m, h = m[-1], h[-1]
    heap_maps = int(h.group(3)) + int(h.group(4))
    return {"mappings": int(m.group(1)) - heap_maps, "frame objects": int(m.group(2)) - heap_maps,
            "page objects": int(m.group(3)) - heap_maps,
            "heap bytes": int(h.group(1)), "heap objects": int(h.group(2))}


def leak(base, now):
    """what `now` holds beyond `base` (two mem_usage() results taken with
    the workload parked between rounds), as text, or None: the allocator
    check. Less than the baseline is not a leak (a cache let go)."""
    if base is None or now is None:
        return None
    more = ["%s +%d" % (k, now[k] - base[k]) for k in base if now[k] > base[k]]
    return "leak: " + ", ".join(more) if more else None


def late(text):
    """a failure that shows in text the injector read after its verdicts:
    (class) or None"""
    if FATAL.search(text):
        return failure_class(text, "crash")
    if "WL FAIL" in text:
        return "silent corruption"
    return None
