"""report.py: the campaign's tables, in the form of thesis Table 9.1.

A result is a dict: type, region, target, addr, outcome, detail, stage.
"""
import csv
import os

STAGE_NAMES = ["repair in place", "unwound", "restart task", "reload cell", "reload with dependents", "reboot"]
THESIS = {"manifested": 665, "recovered": 461, "restart": 50, "reload": 411, "incomplete unwinding": 94,
          "hung task": 30, "failed cell replacement": 18, "unwinder failure": 62}


def pct(a, b):
    return "%.0f%%" % (100.0 * a / b) if b else "-"


def tally(results):
    man = [r for r in results if r["outcome"] not in ("not activated", "masked")]
    rec = [r for r in man if r["outcome"] == "recovered"]
    wd = [r for r in rec if r["detail"] == "watchdog"]
    return man, rec, wd


def table(results, extra):
    """the summary: (manifested, recovered, recovered without watchdog rescues)"""
    man, rec, wd = tally(results)
    return len(man), len(rec), len(rec) - len(wd)


def write(results, out, args, secs, boots, unattributed):
    types = ["word", "flip", "skip"]
    lines = ["# Fault-injection campaign", "",
             "`tools/inject %s` (QEMU TCG -smp 4; %.0f s, %d boots)" % (args, secs, boots), "",
             "| fault type | injected | activated | manifested | recovered | recovered / manifested |",
             "|---|---|---|---|---|---|"]
    for t in types + ["all"]:
        rs = [r for r in results if t == "all" or r["type"] == t]
        act = [r for r in rs if r["outcome"] != "not activated"]
        man, rec, _ = tally(rs)
        lines.append("| %s | %d | %d | %d | %d | %s |" % (t, len(rs), len(act), len(man), len(rec), pct(len(rec), len(man))))
    lines += ["", "| region | injected | activated | manifested | recovered |", "|---|---|---|---|---|"]
    for reg in sorted({r["region"] for r in results}):
        rs = [r for r in results if r["region"] == reg]
        man, rec, _ = tally(rs)
        lines.append("| %s | %d | %d | %d | %d |" % (reg, len(rs), sum(r["outcome"] != "not activated" for r in rs),
                                                  len(man), len(rec)))
    man, rec, wd = tally(results)
    fails = {}
    for r in man:
        if r["outcome"] == "failed":
            fails[r["detail"]] = fails.get(r["detail"], 0) + 1
    how = {}
    for r in rec:
        how[r["detail"]] = how.get(r["detail"], 0) + 1
    n_man, n_rec, n_wd = len(man), len(rec), len(wd)
    lines += ["", "## In the form of thesis Table 9.1", "",
              "| | Theseus (thesis, real hardware) | Theseus/C (this campaign) |", "|---|---|---|",
              "| **Successful recovery** | %d | %d |" % (THESIS["recovered"], n_rec),
              "| restart task (recovery cascade) | %d | %d |" % (THESIS["restart"], how.get("restart", 0)),
              "| reload cell | %d | %d |" % (THESIS["reload"], how.get("reload", 0)),
              "| helper task unwound, its supervisor (the unit) ran the work again | - | %d |" % how.get("unit retried", 0),
              "| stuck spin lock broken, its spinner went on (no CPU stalled holding it) | - | %d |"
              % how.get("stuck lock broken", 0),
              "| manifested, then masked by the workload (it went on correctly, no recovery action) | - | %d |"
              % how.get("masked by the workload", 0),
              "| hang rescued by the watchdog (killed and restarted) | - | %d |" % n_wd,
              "| **Failed recovery** | %d | %d |" % (THESIS["manifested"] - THESIS["recovered"], n_man - n_rec)]
    for k in ["incomplete unwinding", "hung task", "failed cell replacement", "unwinder failure"]:
        lines.append("| %s | %d | %d |" % (k, THESIS[k], fails.pop(k, 0)))
    for k, v in sorted(fails.items()):
        lines.append("| %s | - | %d |" % (k, v))
    lines += ["| **Total manifested faults** | %d | %d |" % (THESIS["manifested"], n_man),
              "| recovered / manifested | %s | %s |" % (pct(THESIS["recovered"], THESIS["manifested"]), pct(n_rec, n_man)),
              "| the same, watchdog rescues counted as failures | - | %s |" % pct(n_rec - n_wd, n_man), ""]
    lines += ["Recovered, by the highest recovery stage the log shows: " +
              (", ".join("stage %d (%s): %d" % (s, STAGE_NAMES[s], sum(1 for r in rec if r["stage"] == s))
                         for s in sorted({r["stage"] for r in rec})) or "none"), ""]
    lines += ["Not charged to an injection (each also a failure of the system, counted here on its own): "
              "%d stall(s), %d late failure(s) and %d leak(s) with no masked or recovered injection since the last "
              "check to blame." % (unattributed["stall"], unattributed["late"], unattributed.get("leak", 0)), ""]
    text = "\n".join(lines)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")  # (a leak's detail holds commas: quoted)
        w.writerow(["i", "type", "region", "target", "addr", "outcome", "detail", "stage"])
        for k, r in enumerate(results):
            w.writerow([k, r["type"], r["region"], r["target"], "%#x" % r["addr"], r["outcome"], r["detail"],
                        r["stage"]])
    print(text)
    acts = sum(r["outcome"] != "not activated" for r in results)
    leaked = sum(1 for r in man if r["outcome"] == "failed" and r["detail"].startswith("leak"))
    print("FAULTS injected %d activated %d manifested %d recovered %d watchdog %d unattributed %d leaked %d"
          % (len(results), acts, n_man, n_rec, n_wd, sum(unattributed.values()), leaked))
