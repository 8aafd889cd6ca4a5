#!/usr/bin/env python3
"""Balancing through the gateway (workers: 1 so that per-worker balancer state is the whole
story): round_robin, weights, least_request and ewma against a slow backend,
consistent_hash by header, cookie and client IP."""

import collections
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def upstream_config(backends, balance, extra=""):
    items = []
    for b in backends:
        if isinstance(b, tuple):
            items.append(f'{{ address: "{b[0]}", weight: {b[1]} }}')
        else:
            items.append(f'"{b}"')
    return ('listen: ["127.0.0.1:{port}"]\nworkers: 1\n'
            "timeouts: { connect: 1s, request_header: 5s, upstream_response: 20s }\n"
            "upstreams:\n  main:\n"
            f"    backends: [{', '.join(items)}]\n"
            f"    balance: {balance}\n" + extra +
            "routes:\n  - { name: all, match: { path_prefix: / }, upstream: main }\n")


class BalancingTest(h.GatewayTestCase):
    def count(self, gw, n, path="/", headers=None):
        """n sequential requests on one keep-alive connection; Counter of X-Backend-Id."""
        import http.client
        seen = collections.Counter()
        c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=20)
        try:
            for _ in range(n):
                c.request("GET", path, headers=headers or {})
                r = c.getresponse()
                r.read()
                self.assertEqual(r.status, 200)
                seen[r.getheader("X-Backend-Id")] += 1
        finally:
            c.close()
        return seen

    def concurrent_count(self, gw, clients, per_client, path="/"):
        seen = collections.Counter()
        errors = []
        lock = threading.Lock()

        def run():
            try:
                local = self.count(gw, per_client, path)
                with lock:
                    seen.update(local)
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(repr(e))

        threads = [threading.Thread(target=run) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        return seen

    def test_round_robin_even(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(upstream_config([a.address, b.address], "round_robin"))
        seen = self.count(gw, 100)
        self.assertEqual(seen, {"A": 50, "B": 50})

    def test_round_robin_new_connection_per_request(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(upstream_config([a.address, b.address], "round_robin"))
        seen = collections.Counter()
        for _ in range(40):
            status, headers, _ = h.http_request(gw.port, "GET", "/")
            self.assertEqual(status, 200)
            seen[h.get_header(headers, "X-Backend-Id")] += 1
        self.assertEqual(seen, {"A": 20, "B": 20})

    def test_round_robin_three_backends(self):
        es = [self.echo(n) for n in ("A", "B", "C")]
        gw = self.gateway(upstream_config([e.address for e in es], "round_robin"))
        self.assertEqual(self.count(gw, 90), {"A": 30, "B": 30, "C": 30})

    def test_weights_1_to_3(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(upstream_config([(a.address, 1), (b.address, 3)], "round_robin"))
        seen = self.count(gw, 100)
        self.assertEqual(seen, {"A": 25, "B": 75})

    def _slow_and_fast(self, balance):
        slow = self.echo("slow", ["--latency", "200ms", "--slots", "1"])
        fast = self.echo("fast")
        gw = self.gateway(upstream_config([slow.address, fast.address], balance))
        return gw

    def test_least_request_avoids_slow_backend(self):
        gw = self._slow_and_fast("least_request")
        seen = self.concurrent_count(gw, clients=8, per_client=15)
        total = sum(seen.values())
        self.assertEqual(total, 120)
        # The slow backend holds its requests (and queues them, one slot): least_request
        # must send most of the load to the fast one.
        self.assertGreater(seen["fast"], 0.8 * total, seen)

    def test_ewma_avoids_slow_backend(self):
        gw = self._slow_and_fast("ewma")
        seen = self.concurrent_count(gw, clients=4, per_client=20)
        total = sum(seen.values())
        self.assertEqual(total, 80)
        self.assertGreater(seen["fast"], 0.8 * total, seen)

    def test_consistent_hash_by_header(self):
        es = [self.echo(n) for n in ("A", "B", "C")]
        gw = self.gateway(upstream_config([e.address for e in es], "consistent_hash",
                                          "    hash: { by: header, name: X-User }\n"))
        owner = {}
        for user in [f"user-{i}" for i in range(30)]:
            seen = self.count(gw, 4, headers={"X-User": user})
            self.assertEqual(len(seen), 1, f"{user} was spread over {seen}")
            owner[user] = next(iter(seen))
        # The keys spread over the pool (30 keys on 3 backends; all on one is ~1e-14 likely).
        self.assertGreater(len(set(owner.values())), 1, owner)
        # Stable on new connections too.
        for user in ("user-1", "user-7", "user-23"):
            status, headers, _ = h.http_request(gw.port, "GET", "/", {"X-User": user})
            self.assertEqual(h.get_header(headers, "X-Backend-Id"), owner[user])

    def test_consistent_hash_by_cookie(self):
        es = [self.echo(n) for n in ("A", "B")]
        gw = self.gateway(upstream_config([e.address for e in es], "consistent_hash",
                                          "    hash: { by: cookie, name: sid }\n"))
        owner = {}
        for i in range(20):
            seen = self.count(gw, 3, headers={"Cookie": f"theme=dark; sid=s{i}; lang=en"})
            self.assertEqual(len(seen), 1, seen)
            owner[i] = next(iter(seen))
            # The other cookies do not take part in the key.
            seen2 = self.count(gw, 1, headers={"Cookie": f"sid=s{i}"})
            self.assertEqual(next(iter(seen2)), owner[i])
        self.assertEqual(len(set(owner.values())), 2, owner)

    def test_consistent_hash_by_client_ip(self):
        es = [self.echo(n) for n in ("A", "B")]
        gw = self.gateway(upstream_config([e.address for e in es], "consistent_hash",
                                          "    hash: { by: client_ip }\n"))
        seen = collections.Counter()
        for _ in range(20):
            _, headers, _ = h.http_request(gw.port, "GET", "/")
            seen[h.get_header(headers, "X-Backend-Id")] += 1
        self.assertEqual(len(seen), 1, seen)


if __name__ == "__main__":
    h.main()
