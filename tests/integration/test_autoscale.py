#!/usr/bin/env python3
"""Autoscaling through the real gateway: a pool of local tidegate-echo instances run by the
process provider grows while loaded, shrinks after the load stops (draining each instance
first), and not one request fails across both; dry_run decides without acting; a failing Lua
policy keeps the current count and reports the error; SIGTERM leaves no instance behind."""

import json
import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def port_range():
    base = random.randrange(20000, 30000, 100)
    return f"{base}-{base + 99}"


def scaled_config(port, admin, policy, min_=1, max_=4, dry_run=False, cooldown_down="2s"):
    return f"""listen: ["127.0.0.1:{port}"]
workers: 2
admin: {{ listen: "127.0.0.1:{admin}" }}
timeouts: {{ connect: 1s, upstream_response: 10s, upstream_idle: 4s }}
upstreams:
  app:
    balance: least_request
    scale:
      provider: process
      min: {min_}
      max: {max_}
      interval: 500ms
      cooldown: {{ up: 0s, down: {cooldown_down} }}
      dry_run: {"true" if dry_run else "false"}
      policy: {policy}
      process:
        command: "exec {h.ECHO_BIN} --port {{port}} --slots 4 --latency 20ms --id e{{index}}"
        ports: {port_range()}
        readiness: {{ path: /healthz, interval: 50ms, timeout: 1s }}
        drain_timeout: 20s
        stop_grace: 2s
routes:
  - {{ name: api, match: {{ path_prefix: / }}, upstream: app }}
"""


KPA = ("{ builtin: concurrency, target: 4, target_utilization: 0.7, stable_window: 6s, "
       "panic_window: 2s }")


def pool(admin):
    status, _, body = h.http_request(admin, "GET", "/scale/pools")
    assert status == 200, body
    return json.loads(body)["app"]


def events(admin):
    status, _, body = h.http_request(admin, "GET", "/scale/events")
    assert status == 200, body
    return json.loads(body)


class AutoscaleTest(h.GatewayTestCase):
    def start(self, policy, **kw):
        admin = h.free_port()
        gw = self.gateway(lambda port: scaled_config(port, admin, policy, **kw))
        self.assertTrue(h.wait_until(lambda: pool(admin)["ready"] >= kw.get("min_", 1),
                                     timeout=20), gw.log())
        return gw, admin

    def test_scales_up_under_load_and_down_after_without_failing_a_request(self):
        gw, admin = self.start(KPA)
        self.assertEqual(pool(admin)["ready"], 1)
        most = [1]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                most[0] = max(most[0], pool(admin)["ready"])
                time.sleep(0.2)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            # One instance holds 4 requests at a time; 32 connections need several.
            heavy = [h.wrk(gw.url("/"), duration=5, connections=32) for _ in range(2)]
            # Light load while the pool shrinks: scale-down drains under traffic.
            light = []
            deadline = time.time() + 60
            while time.time() < deadline and pool(admin)["ready"] > 1:
                light.append(h.wrk(gw.url("/"), duration=3, connections=2))
        finally:
            stop.set()
            watcher.join(10)
        self.assertGreaterEqual(most[0], 3, events(admin))
        self.assertEqual(pool(admin)["ready"], 1, events(admin))
        for r in heavy + light:
            self.assertIsNotNone(r.requests, r.text)
            self.assertEqual((r.non2xx, r.socket_errors), (0, 0), r)
        kinds = [e["kind"] for e in events(admin)]
        self.assertIn("scale", kinds)
        drains = [e for e in events(admin) if e["kind"] == "provider" and "drain" in e["reason"]]
        self.assertTrue(drains, events(admin))

    def test_dry_run_decides_without_acting(self):
        gw, admin = self.start(KPA, dry_run=True)
        r = h.wrk(gw.url("/"), duration=4, connections=32)
        self.assertEqual(r.non2xx, 0, r)
        self.assertEqual(pool(admin)["ready"], 1)
        held = [e for e in events(admin) if e["kind"] == "decision" and e["desired"] > 1]
        self.assertTrue(held, events(admin))
        self.assertTrue(any("dry run" in e["reason"] for e in held), held)

    def test_failing_lua_policy_keeps_the_count(self):
        policy = '{ lua: "return function(ctx) error(\\"policy broke\\") end" }'
        gw, admin = self.start(policy, min_=2)
        time.sleep(1.5)
        self.assertEqual(pool(admin)["ready"], 2)
        errors = [e for e in events(admin) if e["kind"] == "error"]
        self.assertTrue(any("policy broke" in e["error"] for e in errors), events(admin))
        status, _, _ = h.http_request(gw.port, "GET", "/")
        self.assertEqual(status, 200)

    def test_sigterm_stops_every_instance(self):
        gw, admin = self.start(KPA, min_=2)
        pids = [i["pid"] for i in pool(admin)["instances"]]
        self.assertEqual(len(pids), 2)
        gw.proc.signal(signal.SIGTERM)
        self.assertTrue(h.wait_until(lambda: not gw.proc.alive(), timeout=30))

        def gone(pid):
            try:
                os.kill(pid, 0)
                return False
            except ProcessLookupError:
                return True

        self.assertTrue(h.wait_until(lambda: all(gone(p) for p in pids), timeout=10), pids)


if __name__ == "__main__":
    unittest.main()
