#!/usr/bin/env python3
"""Open N keep-alive client connections to a proxy, send one request on each, read the
response, keep them all open, and report the proxy's RSS growth per connection.

Usage: idle_conns.py HOST PORT COUNT PATH PID [PID...]
Prints one line: "conns=<opened ok> rss_before_kib=<n> rss_after_kib=<n> kib_per_conn=<x> secs=<t>"
Bounded: gives up after --deadline seconds (env IDLE_DEADLINE, default 20) and closes everything.
IDLE_TLS=1: HTTPS (TLS 1.3, no certificate check), each connection's handshake and request made in turn.
stdlib only.
"""
import os
import resource
import selectors
import socket
import ssl
import sys
import time


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def main():
    host, port, count, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    pids = [int(p) for p in sys.argv[5:]]
    deadline = time.monotonic() + float(os.environ.get("IDLE_DEADLINE", "20"))
    want = count + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, min(hard, 65536)), max(hard, want)))
        except (ValueError, OSError):
            count = max(0, soft - 256)

    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               "User-Agent: gisgate-bench-idle\r\nAccept: */*\r\n\r\n").encode()
    before = rss_kib(pids)
    t0 = time.monotonic()
    if os.environ.get("IDLE_TLS") == "1":
        return main_tls(host, port, count, request, pids, before, t0, deadline)
    sel = selectors.DefaultSelector()
    socks = []
    state = {}  # sock -> [buffer, expected_total or None]
    done = 0
    failed = 0
    batch = 500
    i = 0
    while i < count and time.monotonic() < deadline:
        n = min(batch, count - i)
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                s.settimeout(2.0)
                s.connect((host, port))
                s.sendall(request)
                s.setblocking(False)
            except OSError:
                failed += 1
                s.close()
                continue
            socks.append(s)
            state[s] = [b"", None]
            sel.register(s, selectors.EVENT_READ)
        i += n
        # Read the responses of this batch before opening the next one.
        while state and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.5):
                s = key.fileobj
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                st = state[s]
                if not chunk:
                    failed += 1
                    sel.unregister(s)
                    del state[s]
                    continue
                st[0] += chunk
                if st[1] is None:
                    end = st[0].find(b"\r\n\r\n")
                    if end >= 0:
                        length = 0
                        for line in st[0][:end].split(b"\r\n")[1:]:
                            k, _, v = line.partition(b":")
                            if k.strip().lower() == b"content-length":
                                length = int(v.strip())
                        st[1] = end + 4 + length
                if st[1] is not None and len(st[0]) >= st[1]:
                    ok = st[0].startswith(b"HTTP/1.1 2") or st[0].startswith(b"HTTP/1.0 2")
                    done += 1 if ok else 0
                    failed += 0 if ok else 1
                    sel.unregister(s)
                    del state[s]
    report_and_close(socks, done, failed, pids, before, t0)


def report_and_close(socks, done, failed, pids, before, t0):
    """Prints the result line once the proxy has settled, then closes every connection."""
    elapsed = time.monotonic() - t0
    time.sleep(1.0)  # let the proxy settle (free per-request buffers) before sampling
    after = rss_kib(pids)
    per = (after - before) / done if done else 0.0
    print(f"conns={done} failed={failed} rss_before_kib={before} rss_after_kib={after} "
          f"kib_per_conn={per:.2f} secs={elapsed:.1f}")
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def read_response(s):
    """Reads one response with a Content-Length body from a blocking socket; True if it is a 2xx."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return False
        data += chunk
    end = data.find(b"\r\n\r\n")
    length = 0
    for line in data[:end].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(data) < end + 4 + length:
        chunk = s.recv(65536)
        if not chunk:
            return False
        data += chunk
    return data.startswith(b"HTTP/1.1 2")


def main_tls(host, port, count, request, pids, before, t0, deadline):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    socks = []
    done = failed = 0
    for _ in range(count):
        if time.monotonic() >= deadline:
            break
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(5.0)
        try:
            raw.connect((host, port))
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            s.sendall(request)
            ok = read_response(s)
        except OSError:
            failed += 1
            raw.close()
            continue
        done += 1 if ok else 0
        failed += 0 if ok else 1
        socks.append(s)
    report_and_close(socks, done, failed, pids, before, t0)


if __name__ == "__main__":
    main()
