"""replay.py: one chosen fault, injected into a fresh boot of the workload
image, judged as the campaign judges it, then the allocator check with
what is left shown (`ps`, `mem`): for finding out why one campaign row
failed (tools/inject --replay).

A fault is TYPE@ADDR[=HEX]: TYPE word (8 bytes, HEX or random) or flip
(bit HEX, default 0, of the byte at ADDR). No activation watch and no
undo: the bytes stay, as an activated fault's do.
"""
import os
import random
import re
import time

from faults import judge, targets
from faults.machine import Machine


def parse(spec):
    m = re.fullmatch(r"(word|flip)@(0x[0-9a-fA-F]+)(?:=([0-9a-fA-F]+))?", spec)
    if not m:
        return None
    return m.group(1), int(m.group(2), 16), m.group(3)


def replay(spec, iso, out, port, observe, seed=1):
    parsed = parse(spec)
    if not parsed:
        print("replay: a fault is word@0xADDR[=16 hex digits] or flip@0xADDR[=bit]")
        return 2
    ftype, addr, arg = parsed
    rng = random.Random(seed)
    m = Machine(iso, out, port)
    try:
        if not m.up():
            print("replay: the workload image did not come up")
            return 2
        t0, start = time.time(), m.ser.size()
        m.ser.send(b"uptime\r")
        while time.time() - t0 < 20 and not judge.UPTIME.search(m.ser.text(start)):
            time.sleep(0.1)
        m.mem_report(targets.UNITS)
        base_mem = m.mem_report(targets.UNITS)
        print("baseline:", base_mem)
        g = m.gdb
        g.interrupt()
        old = g.read(addr, 8)
        if old is None:
            g.cont()
            print("replay: %#x is not readable" % addr)
            return 2
        if ftype == "word":
            new = bytes.fromhex(arg) if arg else bytes(rng.randrange(256) for _ in range(8))
        else:
            b = bytearray(old)
            b[0] ^= 1 << (int(arg, 16) if arg else 0)
            new = bytes(b)
        g.write(addr, new)
        print("%#x: %s -> %s" % (addr, old.hex(), new.hex()))
        start = m.ser.size()
        base = judge.last_rounds(m.ser.text())
        g.cont()
        verdict = None
        t0 = time.time()
        while time.time() - t0 < observe and m.q.poll() is None:
            time.sleep(0.5)
            m.ser.send(b"uptime\r")
        seg = m.ser.text(start)
        verdict = judge.judge(seg, base, exited=m.q.poll() is not None, final=True)
        print("verdict:", verdict)
        if m.q.poll() is None:
            now = m.mem_report(targets.UNITS)
            for _ in range(3):
                what = judge.leak(base_mem, now) if now else None
                if not what:
                    break
                time.sleep(2)
                again = m.mem_report(targets.UNITS)
                now = {k: min(now[k], again[k]) for k in now} if again else now
            print("leak:", judge.leak(base_mem, now) if now else "(no report)")
            s2 = m.ser.size()
            m.ser.send(b"ps\r")
            time.sleep(3)
            print(m.ser.text(s2))
        with open(os.path.join(out, "replay.log"), "w") as f:
            f.write(m.ser.text())
        print("serial log:", os.path.join(out, "replay.log"))
        return 0
    finally:
        m.kill()
