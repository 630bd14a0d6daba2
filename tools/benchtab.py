"""benchtab.py: the benchmark table (docs/performance.md).

Reads the serial logs of `make bench` (BUILD/bench-NAME.log, one per
bench/bench_NAME cell) and of `make bench-linux` (BUILD/bench-linux.log)
and turns their BENCH lines into rows. ROWS below is the table: every row
names the log and pattern of our figure and, where Linux has a
counterpart, the key of tools/linux-bench.c's line. A row whose figure is
missing is printed as MISSING and makes the table fail.

  tools/bench-table BUILD                 our table (make bench)
  tools/bench-compare ...                 Linux and ours side by side
"""
import os
import re
import statistics

# (section, label, our log, our pattern, scale to the unit shown, unit,
#  Linux key or None, Linux scale, better: "low" or "high")
ROWS = [
    ("Table 9.4", "null call (getpid / task_current()->id)", "tasks",
     r"^BENCH null_call ([\d.]+) ns", 1, "ns", "null_call", 1, "low"),
    ("Table 9.4", "context switch (2 tasks yielding, 1 CPU)", "tasks",
     r"^BENCH context_switch (\d+) ns", 1, "ns", "context_switch", 1, "low"),
    ("Table 9.4", "create (fork+exec+wait / load+link+spawn+join hello)", "cells",
     r"^BENCH create_hello_avg (\d+) us", 1, "us", "create", 1, "low"),
    ("Table 9.4", "spawn alone (pthread_create+join / spawn+join empty task)", "tasks",
     r"^BENCH spawn_join_empty (\d+) ns", 1e-3, "us", "thread_create", 1e-3, "low"),
    ("Table 9.4", "4 KiB map + write + unmap", "mem",
     r"^BENCH map_write_unmap_4k_avg (\d+) ns", 1e-3, "us", "map_4k", 1e-3, "low"),
    ("Table 9.4", "1-byte round trip across CPUs: rendezvous channel (Linux: pipe)", "chan",
     r"^BENCH rendezvous channel +round trip +(\d+) ns", 1e-3, "us", "pipe_round_trip", 1e-3, "low"),
    ("Table 9.4", "1-byte round trip across CPUs: buffered channel (Linux: pipe)", "chan",
     r"^BENCH buffered channel +round trip +(\d+) ns", 1e-3, "us", "pipe_round_trip", 1e-3, "low"),
    ("Table 9.4", "1-byte round trip across CPUs: fastpath (Linux: pipe)", "chan",
     r"^BENCH fastpath +round trip +(\d+) ns", 1e-3, "us", "pipe_round_trip", 1e-3, "low"),
    ("heap", "heap alloc+free pairs, 64 B (glibc / ours)", "mem",
     r"^BENCH heap_alloc_free_64B (\d+) pairs/s", 1e-6, "M/s", "heap_64B", 1e-6, "high"),
    ("heap", "heap alloc+free pairs, 1 KiB", "mem",
     r"^BENCH heap_alloc_free_1KiB (\d+) pairs/s", 1e-6, "M/s", "heap_1KiB", 1e-6, "high"),
    ("heap", "heap alloc+free pairs, 64 KiB", "mem",
     r"^BENCH heap_alloc_free_64KiB (\d+) pairs/s", 1e-6, "M/s", "heap_64KiB", 1e-6, "high"),
    ("heap", "threadtest (2 M x 8 B, 4 tasks on 4 CPUs)", "mem",
     r"^BENCH threadtest (\d+) ms", 1, "ms", "threadtest", 1, "low"),
    ("heap", "shbench (1 M x 1-1000 B, 4 tasks on 4 CPUs)", "mem",
     r"^BENCH shbench (\d+) ms", 1, "ms", "shbench", 1, "low"),
    ("network", "TCP bulk host -> OS, 4 MiB (e1000, QEMU user net; timed on the host)", "net",
     r"^BENCH tcp_host_to_os (\d+) KB/s", 1e-3, "MB/s", "tcp_host_to_os", 1e-3, "high"),
    ("network", "TCP bulk OS -> host, 4 MiB (e1000, QEMU user net; timed on the host)", "net",
     r"^BENCH tcp_os_to_host (\d+) KB/s", 1e-3, "MB/s", "tcp_os_to_host", 1e-3, "high"),
    ("cells", "load + link the loaded boot cells (one batch)", "cells",
     r"^BENCH load_link_boot_cells_avg (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("cells", "load + link hello", "cells",
     r"^BENCH load_link_hello_avg (\d+) us", 1, "us", None, 1, "low"),
    ("swap", "policy swap sched_rr <-> sched_prio: total (median)", "swap",
     r"^BENCH swap_policy_total (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("swap", "policy swap: load / quiesce / clean up (medians)", "swap",
     (r"^BENCH swap_policy_load (\d+) us", r"^BENCH swap_policy_quiesce (\d+) us",
      r"^BENCH swap_policy_cleanup (\d+) us"), 1e-3, "ms", None, 1, "low"),
    ("swap", "policy swap: pause of all CPUs (longest)", "swap",
     r"^BENCH swap_policy_pause_max (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("swap", "chan_rendezvous reloaded in use: total (median)", "swap",
     r"^BENCH swap_chan_reload_total (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("swap", "chan_rendezvous reload: load / quiesce / clean up (medians)", "swap",
     (r"^BENCH swap_chan_reload_load (\d+) us", r"^BENCH swap_chan_reload_quiesce (\d+) us",
      r"^BENCH swap_chan_reload_cleanup (\d+) us"), 1e-3, "ms", None, 1, "low"),
    ("swap", "chan_rendezvous reload: pause (median / longest)", "swap",
     (r"^BENCH swap_chan_reload_pause (\d+) us", r"^BENCH swap_chan_reload_pause_max (\d+) us"),
     1e-3, "ms", None, 1, "low"),
    ("recovery", "Table 9.2: rendezvous, restart task (median downtime)", "recovery",
     r"^BENCH downtime rendezvous, restart task .*median (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("recovery", "Table 9.2: rendezvous, reload cell (median downtime)", "recovery",
     r"^BENCH downtime rendezvous, reload cell .*median (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("recovery", "Table 9.2: buffered, restart task (median downtime)", "recovery",
     r"^BENCH downtime buffered, restart task .*median (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("recovery", "Table 9.2: buffered, reload cell (median downtime)", "recovery",
     r"^BENCH downtime buffered, reload cell .*median (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("recovery", "fault to task unwound (mean)", "unwind",
     r"^BENCH fault_to_unwound_avg (\d+) us", 1, "us", None, 1, "low"),
    ("recovery", "fault to task restarted (mean)", "unwind",
     r"^BENCH fault_to_restarted_avg (\d+) us", 1e-3, "ms", None, 1, "low"),
    ("fat32", "FAT32 sequential write, 1 MiB in 64 KiB writes (hdb, IDE: ours PIO, Linux MWDMA2)", "fat32",
     r"^BENCH fat32_seq_write (\d+) KiB/s", 1, "KiB/s", "fat32_seq_write", 1, "high"),
    ("fat32", "FAT32 sequential read, 1 MiB in 64 KiB reads", "fat32",
     r"^BENCH fat32_seq_read (\d+) KiB/s", 1, "KiB/s", "fat32_seq_read", 1, "high"),
    ("fat32", "FAT32 small files: create + write 2 KiB", "fat32",
     r"^BENCH fat32_small_create_write (\d+) files/s", 1, "files/s", "fat32_small_create_write", 1, "high"),
    ("fat32", "FAT32 small files: look up + read", "fat32",
     r"^BENCH fat32_small_lookup_read (\d+) files/s", 1, "files/s", "fat32_small_lookup_read", 1, "high"),
    ("fat32", "FAT32 small files: remove", "fat32",
     r"^BENCH fat32_small_remove (\d+) files/s", 1, "files/s", "fat32_small_remove", 1, "high"),
    ("files", "memfs sequential write / read, 64 KiB requests", "fs",
     (r"^BENCH fs_seq_write_64KiB (\d+) MiB/s", r"^BENCH fs_seq_read_64KiB (\d+) MiB/s"), 1, "MiB/s", None, 1, "high"),
    ("files", "memfs sequential write / read, 4 KiB requests", "fs",
     (r"^BENCH fs_seq_write_4KiB (\d+) MiB/s", r"^BENCH fs_seq_read_4KiB (\d+) MiB/s"), 1, "MiB/s", None, 1, "high"),
    ("files", "memfs 4 KiB files: create+write / open+read / remove", "fs",
     (r"^BENCH fs_small_create_write (\d+) files/s", r"^BENCH fs_small_open_read (\d+) files/s",
      r"^BENCH fs_small_remove (\d+) files/s"), 1, "files/s", None, 1, "high"),
]


def read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return [l.rstrip("\n") for l in f if l.startswith("BENCH")]
    except OSError:
        return []


def find(lines, pattern):
    for l in lines:
        m = re.search(pattern, l)
        if m:
            return float(m.group(1))
    return None


def ours(build, benches=None):
    """{row index: value or tuple of values, in the row's unit} from one
    `make bench` run's logs (rows of benchmarks not in benches skipped)"""
    out = {}
    for i, r in enumerate(ROWS):
        _, _, log, pat, scale = r[:5]
        if benches is not None and log not in benches:
            continue
        lines = read_lines(os.path.join(build, "bench-%s.log" % log))
        pats = pat if isinstance(pat, tuple) else (pat,)
        vals = [find(lines, p) for p in pats]
        if None in vals:
            out[i] = None
        else:
            v = tuple(x * scale for x in vals)
            out[i] = v if len(v) > 1 else v[0]
    return out


def linux(path):
    """{row index: value in the row's unit} from a bench-linux log"""
    lines = read_lines(path)
    out = {}
    for i, r in enumerate(ROWS):
        key, lscale = r[6], r[7]
        if key:
            v = find(lines, r"^BENCH %s ([\d.]+) " % re.escape(key))
            out[i] = None if v is None else v * lscale
    return out


def fmt(v):
    if v is None:
        return "MISSING"
    if isinstance(v, tuple):
        return " / ".join(fmt(x) for x in v)
    if v >= 100:
        return "{:,.0f}".format(v)
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v if v >= 0.1 else "%.3f" % v


def ratio(row, lin, our):
    """how many times better ours is (>1: ours faster)"""
    if lin is None or our is None or not lin or not our:
        return None
    return lin / our if ROWS[row][8] == "low" else our / lin


def median(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    if isinstance(vals[0], tuple):
        return tuple(statistics.median(v[k] for v in vals) for k in range(len(vals[0])))
    return statistics.median(vals)


def table(our, lin=None, rows=None):
    """markdown lines; lin given: Linux, ours, ratio columns"""
    rows = range(len(ROWS)) if rows is None else rows
    if lin is None:
        out = ["| benchmark | ours | unit |", "|---|---:|---|"]
    else:
        out = ["| benchmark | Linux guest | ours | unit | ours faster by |", "|---|---:|---:|---|---:|"]
    for i in rows:
        label, unit = ROWS[i][1], ROWS[i][5]
        if lin is None:
            out.append("| %s | %s | %s |" % (label, fmt(our.get(i)), unit))
        else:
            r = ratio(i, lin.get(i), our.get(i))
            rs = "-" if r is None else ("%.2fx" % r if r < 10 else "%.0fx" % r)
            if r is not None and r < 1:
                rs = "**%s**" % rs
            out.append("| %s | %s | %s | %s | %s |" % (label, fmt(lin.get(i)), fmt(our.get(i)), unit, rs))
    return out


def missing(values):
    return [ROWS[i][1] for i, v in values.items() if v is None]
