#!/usr/bin/env python3
"""workers: N with SO_REUSEPORT: N listening sockets on the one port, connections spread
over them, and every worker thread does work (a smoke test)."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def listening_sockets(port):
    """Number of LISTEN sockets on 127.0.0.1:port (from /proc/net/tcp)."""
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                n += 1
    return n


def worker_cpu_ticks(pid):
    """{thread name: utime+stime} for the tg-worker-* threads of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if not name.startswith("tg-worker"):
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[name] = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return out


class WorkersTest(h.GatewayTestCase):
    def test_two_workers_share_the_port(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(lambda p: h.simple_config(p, [a.address, b.address], workers=2))
        self.assertEqual(listening_sockets(gw.port), 2, "one SO_REUSEPORT listener per worker")
        before = worker_cpu_ticks(gw.pid)
        self.assertEqual(sorted(before), ["tg-worker-0", "tg-worker-1"])

        # Many connections: wrk keeps 50 open (the kernel spreads them over both listeners).
        result = h.wrk(gw.url("/"), duration=3, connections=50)
        print(f"\n  workers: 2: {result!r}", file=sys.stderr)
        self.assertTrue(result.requests and result.requests > 0, result.text)
        self.assertEqual(result.non2xx, 0, result.text)
        self.assertEqual(result.socket_errors, 0, result.text)

        after = worker_cpu_ticks(gw.pid)
        for name in before:
            self.assertGreater(after[name], before[name], f"{name} did no work: {before} -> {after}")

    def test_many_fresh_connections(self):
        a = self.echo("A")
        gw = self.gateway(lambda p: h.simple_config(p, [a.address], workers=2))
        errors = []
        lock = threading.Lock()

        def client(k):
            for i in range(50):
                try:
                    status, _, body = h.http_request(gw.port, "GET", f"/echo?c={k}&i={i}")
                    if status != 200 or not body.startswith(b"GET /echo?c=%d&i=%d " % (k, i)):
                        raise AssertionError((status, body[:80]))
                except Exception as e:  # noqa: BLE001 - collected and reported
                    with lock:
                        errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertTrue(gw.proc.alive())

    def test_workers_auto(self):
        a = self.echo("A")
        gw = self.gateway(lambda p: h.simple_config(p, [a.address], workers="auto"))
        # One worker per core (hardware_concurrency); each owns one listener.
        threads = worker_cpu_ticks(gw.pid)
        self.assertGreaterEqual(len(threads), 1)
        self.assertEqual(listening_sockets(gw.port), len(threads))
        self.assertEqual(h.http_request(gw.port, "GET", "/")[0], 200)


if __name__ == "__main__":
    h.main()
