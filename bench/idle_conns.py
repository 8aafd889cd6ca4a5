#!/usr/bin/env python3
"""Memory cost of idle keep-alive client connections, for bench/run.sh.

Opens --conns connections to HOST:PORT (at most --window in flight at once); each sends one
GET, reads the whole response and then stays open and idle. The VmRSS of --pids (summed:
nginx's master and worker) is read before and after; prints one JSON object.

Before the baseline it runs one batch of --window short-lived connections, so that free
lists and buffers a server keeps for requests in progress are already at their peak and
are not charged to the idle connections.
"""

import argparse
import errno
import json
import resource
import selectors
import socket
import sys
import time


def rss_kb(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def response_complete(data):
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    head = data[:head_end].decode("latin-1").lower()
    body = data[head_end + 4:]
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip() == "content-length":
            return len(body) >= int(value.strip())
        if name.strip() == "transfer-encoding" and "chunked" in value:
            return body.endswith(b"0\r\n\r\n")
    return True  # no body framing: a bodiless response (or until close, which we never want)


def open_connections(host, port, count, window, deadline, request):
    """Returns (open idle sockets, number of failures)."""
    sel = selectors.DefaultSelector()
    idle, failures, launched, in_flight = [], 0, 0, 0
    buffers = {}

    def launch():
        nonlocal launched, in_flight
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, f"connect: {errno.errorcode.get(err, err)}")
        sel.register(s, selectors.EVENT_WRITE, "connect")
        launched += 1
        in_flight += 1

    while len(idle) + failures < count:
        while launched < count and in_flight < window:
            launch()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(idle)} of {count} connections ready before the deadline")
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            try:
                if key.data == "connect":
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, "connect")
                    s.sendall(request)  # small: fits the socket buffer at once
                    sel.modify(s, selectors.EVENT_READ, "read")
                    buffers[s] = b""
                else:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise OSError("closed before a full response")
                    buffers[s] += chunk
                    if response_complete(buffers[s]):
                        sel.unregister(s)
                        del buffers[s]
                        idle.append(s)
                        in_flight -= 1
            except OSError:
                sel.unregister(s)
                buffers.pop(s, None)
                s.close()
                failures += 1
                in_flight -= 1
    sel.close()
    return idle, failures


def still_open(sockets):
    """Idle sockets that are neither closed by the server nor sent anything."""
    sel = selectors.DefaultSelector()
    for s in sockets:
        sel.register(s, selectors.EVENT_READ)
    readable = len(sel.select(timeout=0))
    sel.close()
    return len(sockets) - readable


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--window", type=int, default=100, help="connections in flight at once")
    ap.add_argument("--pids", required=True, help="comma-separated pids whose VmRSS is summed")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds to wait before reading RSS")
    ap.add_argument("--timeout", type=float, default=120.0, help="overall limit in seconds")
    ap.add_argument("--path", default="/")
    args = ap.parse_args()

    pids = [int(p) for p in args.pids.split(",") if p]
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.conns + args.window + 64
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit(f"idle_conns.py: RLIMIT_NOFILE hard limit {hard} < {need} needed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    request = f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n\r\n".encode()
    deadline = time.monotonic() + args.timeout

    rss_start = rss_kb(pids)
    warm, warm_failures = open_connections(args.host, args.port, args.window, args.window,
                                           deadline, request)
    for s in warm:
        s.close()
    time.sleep(args.settle)
    rss_before = rss_kb(pids)

    t0 = time.monotonic()
    idle, failures = open_connections(args.host, args.port, args.conns, args.window, deadline,
                                      request)
    open_seconds = time.monotonic() - t0
    time.sleep(args.settle)
    rss_after = rss_kb(pids)
    alive = still_open(idle)
    for s in idle:
        s.close()

    delta_kb = rss_after - rss_before
    print(json.dumps({
        "conns": args.conns,
        "ok": len(idle),
        "failures": failures + warm_failures,
        "alive_at_end": alive,
        "rss_start_kb": rss_start,
        "rss_before_kb": rss_before,
        "rss_after_kb": rss_after,
        "delta_kb": delta_kb,
        "per_conn_bytes": round(delta_kb * 1024 / max(1, len(idle))),
        "open_seconds": round(open_seconds, 2),
    }))


if __name__ == "__main__":
    main()
