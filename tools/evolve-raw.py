#!/usr/bin/env python3
"""evolve-raw.py SOCK CASE: speak wrongly to the OS's evolution link (COM2)
and print its one answer (or that none came): the shell suite's check that
every upload gets a reply and that junk is never echoed raw.
CASE: junk (a request of binary bytes), junkmanifest (a manifest line of
binary bytes), cut (an OBJECT whose bytes stop early), nocommit (a manifest
with no COMMIT)."""
import socket
import sys
import time

CASES = {
    "junk": b"\x01\x02junk\xff\n",
    "junkmanifest": b"BEGIN\n\x01bad\x02line\nCOMMIT\n",
    "cut": b"BEGIN\nOBJECT hello 100 0 1\n0123456789",
    "nocommit": b"BEGIN\n",
}


def main():
    sock, case = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock)
    t0 = time.time()
    s.sendall(CASES[case])
    buf = b""
    try:
        while b"DONE" not in buf or not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except socket.timeout:
        pass
    ans = [ln for ln in buf.decode("ascii", "backslashreplace").splitlines() if ln.startswith("DONE")]
    print("%s: %s (after %.0f s)" % (case, ans[-1] if ans else "NO ANSWER", time.time() - t0))
    print("%s-done" % case)


if __name__ == "__main__":
    main()
