#!/usr/bin/env python3
"""net-host.py: the host's side of the network tests (tools/test-net.sh).
Talks only to 127.0.0.1 (ports QEMU forwards to the guest).
  echo PORT TEXT           TCP: send TEXT and a newline, print the echo
  udp-send PORT N          UDP: "datagram N from the host" in one datagram (the guest's
                           answer did not come back through QEMU's restricted user net)
  send PORT BYTES          TCP: send BYTES, then wait for the guest to close; print the rate
  recv PORT [BYTES]        TCP: read to the end (or BYTES); print bytes and the rate
  records PORT N MS        TCP to an echo: N numbered records ("record 00000042"), one
                           every MS ms, while a reader checks the echo: prints how many
                           came back, and how many were lost, duplicated or out of order
  json URL                 GET URL, check it parses as JSON, print a summary
  graph URL DOM            the number of cells at URL/cells, checked against
                           chromium's DOM dump of the page (DOM): prints the count
"""
import json, socket, sys, time, urllib.request

def connect(port):
    deadline = time.time() + 20
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)

def records(port, n, gap):
    """numbered records through an echo; the echo is checked as it arrives"""
    s = connect(port)
    s.settimeout(60)
    seen = {"back": 0, "lost": 0, "dup": 0, "order": 0, "bad": 0}
    def reader():
        buf, want = b"", 0
        while True:
            try:
                d = s.recv(65536)
            except OSError:
                return
            if not d:
                return
            buf += d
            while b"\n" in buf:
                ln, buf = buf.split(b"\n", 1)
                w = ln.split()
                if len(w) != 2 or w[0] != b"record" or not w[1].isdigit():
                    seen["bad"] += 1
                    continue
                k = int(w[1])
                seen["back"] += 1
                if k == want:
                    want += 1
                elif k > want:
                    seen["lost"] += k - want
                    want = k + 1
                elif k == want - 1:
                    seen["dup"] += 1
                else:
                    seen["order"] += 1
    import threading
    th = threading.Thread(target=reader)
    th.start()
    t0 = time.time()
    for i in range(n):
        s.sendall(b"record %08d\n" % i)
        time.sleep(gap)
    s.shutdown(socket.SHUT_WR)
    th.join()
    print("records: %d sent in %.1f s, %d echoed back; %d lost, %d duplicated, %d out of order, %d malformed"
          % (n, time.time() - t0, seen["back"], seen["lost"], seen["dup"], seen["order"], seen["bad"]))
    return 0 if seen["back"] == n and not (seen["lost"] or seen["dup"] or seen["order"] or seen["bad"]) else 1

def main():
    cmd = sys.argv[1]
    if cmd == "echo":
        s = connect(int(sys.argv[2]))
        msg = (sys.argv[3] + "\n").encode()
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            d = s.recv(4096)
            if not d:
                break
            got += d
        s.close()
        print("echo: %s" % got.decode(errors="replace").strip())
        return 0 if got == msg else 1
    if cmd == "udp-send":
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        msg = "datagram %d from the host\n" % int(sys.argv[3])
        u.sendto(msg.encode(), ("127.0.0.1", int(sys.argv[2])))
        print("udp: sent %d bytes" % len(msg))
        return 0
    if cmd == "send":
        s = connect(int(sys.argv[2]))
        n = int(sys.argv[3])
        block = bytes(range(256)) * 256
        t0 = time.time()
        left = n
        while left:
            k = min(left, len(block))
            s.sendall(block[:k])
            left -= k
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass
        dt = time.time() - t0
        print("host sent %d bytes in %.3f s: %d KB/s" % (n, dt, n / dt / 1000))
        return 0
    if cmd == "records":
        return records(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) / 1000)
    if cmd == "recv":
        s = connect(int(sys.argv[2]))
        want = int(sys.argv[3]) if len(sys.argv) > 3 else None
        n = 0
        t0 = None
        while want is None or n < want:
            d = s.recv(65536)
            if not d:
                break
            if t0 is None:
                t0 = time.time()
            n += len(d)
        dt = time.time() - (t0 or time.time()) or 1e-9
        print("host received %d bytes in %.3f s: %d KB/s" % (n, dt, n / dt / 1000))
        return 0
    if cmd == "json":
        with urllib.request.urlopen(sys.argv[2], timeout=30) as r:
            doc = json.loads(r.read())
        if isinstance(doc, list):
            print("json: %d entries%s" % (len(doc), (": first " + json.dumps(doc[0])[:160]) if doc else ""))
        else:
            print("json: keys " + ",".join(doc.keys()))
        return 0
    if cmd == "graph":
        with urllib.request.urlopen(sys.argv[2] + "/cells", timeout=30) as r:
            cells = json.loads(r.read())
        dom = open(sys.argv[3]).read()
        circles = dom.count("<circle")
        marker = "graph drawn: %d cells" % len(cells)
        print("graph: /cells has %d cells (%d with links); the page drew %d nodes; marker %s" %
              (len(cells), sum(1 for c in cells if c["uses"]), circles,
               "found" if marker in dom else "MISSING"))
        # the page may have been drawn a moment before a cell loaded
        ok = marker in dom or abs(circles - len(cells)) <= 2
        return 0 if ok and circles >= 20 and abs(circles - len(cells)) <= 2 else 1
    print(__doc__)
    return 2

sys.exit(main())
