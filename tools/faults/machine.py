"""machine.py: a workload boot under QEMU, its serial log and gdb stub.

Serial keeps the whole COM1 log; Gdb speaks the few remote-protocol
packets QEMU's stub needs; Machine boots the image and reads, from the
log, where the cells, the workload's stacks and its live objects are.
"""
import os
import re
import socket
import subprocess
import threading
import time

from faults import judge

class Serial:
    """COM1 over a unix socket: a reader thread keeps the whole log."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(100):
            try:
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        self.buf = bytearray()
        self.lock = threading.Lock()
        self.alive = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                d = self.s.recv(65536)
            except OSError:
                d = b""
            if not d:
                self.alive = False
                return
            with self.lock:
                self.buf.extend(d)

    def text(self, start=0):
        with self.lock:
            return self.buf[start:].decode("utf-8", "replace")

    def size(self):
        with self.lock:
            return len(self.buf)

    def send(self, data):
        try:
            self.s.sendall(data)
        except OSError:
            pass


class Gdb:
    """The minimum of the gdb remote protocol QEMU's stub needs."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.s.settimeout(10)

    def _read_packet(self, timeout):
        self.s.settimeout(timeout)
        deadline = time.time() + timeout
        while True:
            m = re.search(rb"\$([^#]*)#..", self.buf)
            if m:
                self.buf = self.buf[m.end():]
                self.s.sendall(b"+")
                return m.group(1).decode()
            left = deadline - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            if not d:
                raise ConnectionError("gdb stub closed")
            self.buf += d.replace(b"+", b"") if not self.buf else d

    def _send(self, data):
        cs = sum(data.encode()) & 0xFF
        self.s.sendall(b"$%s#%02x" % (data.encode(), cs))

    def cmd(self, data, timeout=10):
        self._send(data)
        return self._read_packet(timeout)

    def cont(self):
        self._send("c")

    def wait_stop(self, timeout):
        return self._read_packet(timeout)

    def interrupt(self):
        self.s.sendall(b"\x03")
        r = self._read_packet(10)
        self.drain()
        return r

    def drain(self):
        """late stop replies (a watchpoint hit just after a timeout, say)
        would shift every later reply by one: read them away"""
        while self._read_packet(0.05) is not None:
            pass

    def read(self, addr, n):
        out = bytearray()
        while n:
            k = min(n, 2048)
            r = self.cmd("m%x,%x" % (addr, k))
            if not r or r.startswith("E"):
                return None
            out += bytes.fromhex(r)
            addr += k
            n -= k
        return bytes(out)

    def write(self, addr, data):
        return self.cmd("M%x,%x:%s" % (addr, len(data), data.hex())) == "OK"


class Machine:
    def __init__(self, iso, work, port):
        self.work, self.port = work, port
        self.sock = os.path.join(work, "com1.sock")
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        # the CPU state QEMU logs when a triple fault resets the machine
        # (-no-reboot: it then ends), for the failure log
        self.reset_log = os.path.join(work, "qemu-reset.log")
        if os.path.exists(self.reset_log):
            os.unlink(self.reset_log)
        self.q = subprocess.Popen(
            ["qemu-system-x86_64", "-m", "512M", "-smp", "4", "-no-reboot", "-cpu", "qemu64,+nx",
             "-display", "none", "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
             "-serial", "unix:%s,server=on,wait=on" % self.sock, "-gdb", "tcp:127.0.0.1:%d" % port,
             "-d", "cpu_reset", "-D", self.reset_log,
             "-cdrom", iso], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ser = Serial(self.sock)
        self.gdb = None
        self.boots = 1

    def up(self, timeout=60):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if "theseus> " in self.ser.text() and "WL rounds" in self.ser.text():
                break
            if self.q.poll() is not None:
                return False
            time.sleep(0.1)
        else:
            return False
        self.gdb = Gdb(self.port)
        self.gdb.wait_stop(0.5)  # QEMU stops the machine when gdb attaches
        self.gdb.cont()
        return True

    def reset_state(self):
        """what QEMU logged at the last CPU reset (a triple fault), or "" """
        try:
            with open(self.reset_log) as f:
                text = f.read()
        except OSError:
            return ""
        i = text.rfind("CPU Reset")
        return text[i:i + 4000] if i >= 0 else ""

    def kill(self):
        try:
            self.q.kill()
        except OSError:
            pass
        self.q.wait()

    def cells(self):
        """the run-time cells as loaded now: name -> {region: [(base, size)]}
        (a reloaded cell's latest load wins)"""
        cells = {}
        for m in re.finditer(r"loaded (\S+)\s+text (0x[0-9a-f]+)\+(\d+)\s+rodata (0x[0-9a-f]+)\+(\d+)\s+"
                             r"data (0x[0-9a-f]+|0)\+(\d+)", self.ser.text()):
            cells[m.group(1)] = {"text": [(int(m.group(2), 16), int(m.group(3)))],
                                 "rodata": [(int(m.group(4), 16), int(m.group(5)))],
                                 "data": [(int(m.group(6), 16), int(m.group(7)))]}
        return cells

    def units(self):
        """the workload units: name -> {"stack": (lo, size), "task": addr}"""
        units = {}
        for m in re.finditer(r"WL region (\S+) stack (0x[0-9a-f]+) (0x[0-9a-f]+) heap \S+ \S+ task (0x[0-9a-f]+)",
                             self.ser.text()):
            lo, hi = int(m.group(2), 16), int(m.group(3), 16)
            units[m.group(1)] = {"stack": (lo, hi - lo), "task": int(m.group(4), 16)}
        return units

    def pause_addr(self):
        """the workload's wl_pause word (its units park between rounds
        while it is non-zero), or None"""
        rows = re.findall(r"WL objects 0x[0-9a-f]+ \d+ per unit \d+ saved_rsp at \+\d+ pause (0x[0-9a-f]+)",
                          self.ser.text())
        return int(rows[-1], 16) if rows else None

    def mem_report(self, units, timeout=15.0):
        """the workload parked between rounds (every unit in `units` says
        so), then the shell's `mem`: judge.mem_usage() of its report, or
        None if the units did not park or mem did not answer; the units
        go on afterwards"""
        addr = self.pause_addr()
        if addr is None or self.gdb is None:
            return None
        start = self.ser.size()
        self.pause_gen = getattr(self, "pause_gen", 0) + 1
        gen = self.pause_gen
        self.gdb.interrupt()
        self.gdb.write(addr, gen.to_bytes(8, "little"))
        self.gdb.cont()
        try:
            deadline = time.time() + timeout
            while time.time() < deadline and not set(units) <= set(
                    re.findall(r"WL parked (\w+) %d\b" % gen, self.ser.text(start))):
                if self.q.poll() is not None:
                    return None
                time.sleep(0.05)
            else:
                if time.time() >= deadline:
                    return None
            time.sleep(float(os.environ.get("WL_SETTLE", "0.3")))  # what the last rounds dropped is reaped
            start = self.ser.size()
            self.ser.send(b"mem\r")
            while time.time() < deadline:
                usage = judge.mem_usage(self.ser.text(start))
                if usage:
                    return usage
                time.sleep(0.05)
            return None
        finally:
            self.gdb.interrupt()
            self.gdb.write(addr, (0).to_bytes(8, "little"))
            self.gdb.cont()

    def instruments(self):
        """the workload's instruments (its counters, object table and
        pause word: what the harness reads and writes), as (base, size)
        ranges: not injected into"""
        rows = re.findall(r"WL instruments ((?:0x[0-9a-f]+ 0x[0-9a-f]+ ?)+)", self.ser.text())
        if not rows:
            return []
        v = [int(x, 16) for x in rows[-1].split()]  # (a reloaded workload's data moved)
        return list(zip(v[0::2], v[1::2]))

    def objects_table(self):
        """(address, entries, saved_rsp offset) of the workload's table of
        live objects, or None"""
        rows = re.findall(r"WL objects (0x[0-9a-f]+) (\d+) per unit (\d+) saved_rsp at \+(\d+)", self.ser.text())
        if not rows:
            return None
        a, n, _, off = rows[-1]
        return int(a, 16), int(n), int(off)


def nano_core_cells(syms_path, names):
    """the nano_core's cells from its symbol table (they never move):
    name -> {region: [(base, size), ...]} (data: .data and .bss)"""
    try:
        out = subprocess.run(["nm", syms_path], capture_output=True, text=True).stdout
    except OSError:
        return {}
    sym = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2].startswith("__cell_"):
            sym[f[2]] = int(f[0], 16)
    cells = {}
    for n in names:
        def rng(kind):
            a, b = sym.get("__cell_%s_%s_start" % (n, kind)), sym.get("__cell_%s_%s_end" % (n, kind))
            return (a, b - a) if a is not None and b is not None and b > a else None
        r = {"text": [rng("text")], "rodata": [rng("rodata")], "data": [rng("data"), rng("bss")]}
        cells[n] = {k: [x for x in v if x] for k, v in r.items()}
    return cells
