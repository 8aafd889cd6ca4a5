#!/usr/bin/env python3
"""Backend metrics scraped from each backend's own Prometheus endpoint (an upstream's
`scrape:` block) through the real gateway, with tidegate-echo --metrics as the backends: a
route's Lua balance picks by b:metric(), the values appear as
tidegate_upstream_backend_metric on GET /metrics, a metrics endpoint that fails or hangs is
counted (and logged once) while traffic to the same backend still succeeds, a value that stops
coming is withdrawn, and an autoscaled pool's instances are scraped for its policy's
ctx:metric("backend:<name>").

Every wait below is a bounded poll; nothing asserts how fast anything is."""

import json
import os
import random
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

# Picks the backend that has served the fewest requests, by what its metrics endpoint said
# last; nil (the pool's own balancer) until every backend has been scraped. on_response shows
# what the answering backend's value was.
BALANCE = """
local M = {}
function M.balance(req, backends)
  local best, fewest
  for _, b in ipairs(backends) do
    local served = b:metric("served")
    if served == nil then return nil end
    if best == nil or served < fewest then best, fewest = b, served end
  end
  return best
end
function M.on_response(req, resp)
  local b = resp.backend
  resp:set_header("X-Seen-Served", tostring(b and b:metric("served")))
  resp:set_header("X-Seen-Load", tostring(b and b:metric("load")))
end
return M
"""


def indent(text, n):
    return "\n".join(" " * n + line for line in text.strip("\n").split("\n"))


def config(port, admin, upstreams, routes, workers=2):
    return "\n".join([
        f'listen: ["127.0.0.1:{port}"]', f"workers: {workers}",
        f'admin: {{ listen: "127.0.0.1:{admin}" }}',
        "timeouts: { connect: 1s, upstream_response: 10s, upstream_idle: 4s }",
        "upstreams:", upstreams.rstrip("\n"), "routes:", routes.rstrip("\n")]) + "\n"


def balanced_config(port, admin, backends, path="/metrics"):
    upstreams = f"""  app:
    backends: {h.yaml_list(backends)}
    balance: round_robin
    scrape:
      path: "{path}"
      interval: 1s
      timeout: 500ms
      metrics:
        served: echo_requests_total
        inflight: echo_inflight
"""
    routes = ("  - name: api\n    match: { path_prefix: / }\n    upstream: app\n"
              "    script:\n      inline: |\n" + indent(BALANCE, 8))
    return config(port, admin, upstreams, routes)


def metrics_text(admin):
    status, _, body = h.http_request(admin, "GET", "/metrics")
    assert status == 200, (status, body)
    return body.decode()


def sample(text, family, **labels):
    """The value of the one sample `family{labels...}` (labels in exposition order), or None."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{family}{{{want}}} " if labels else f"{family} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return None


def scraped(admin, upstream, backend, name):
    return sample(metrics_text(admin), "tidegate_upstream_backend_metric", upstream=upstream,
                  backend=backend, name=name)


def scrapes(admin, upstream, backend, result):
    return sample(metrics_text(admin), "tidegate_upstream_scrapes_total", upstream=upstream,
                  backend=backend, result=result) or 0


class ScrapeTest(h.GatewayTestCase):
    def echo_with_metrics(self, backend_id, extra=()):
        return self.echo(backend_id, ["--metrics", "/metrics", *extra])

    def test_balance_picks_by_the_scraped_value_which_metrics_shows(self):
        a = self.echo_with_metrics("A")
        b = self.echo_with_metrics("B")
        # A has served 5 requests before the gateway starts; B none.
        for i in range(5):
            status, _, _ = h.http_request(a.port, "GET", f"/warm/{i}")
            self.assertEqual(status, 200)
        admin = h.free_port()
        gw = self.gateway(lambda port: balanced_config(port, admin, [a.address, b.address]))

        self.assertTrue(h.wait_until(
            lambda: scraped(admin, "app", a.address, "served") == 5
            and scraped(admin, "app", b.address, "served") == 0, timeout=20),
            metrics_text(admin) + gw.log())
        self.assertEqual(scraped(admin, "app", a.address, "inflight"), 0)
        # B has served fewer, and stays below A's 5 over these 4 requests.
        for i in range(4):
            status, headers, _ = h.http_request(gw.port, "GET", f"/x/{i}")
            self.assertEqual(status, 200)
            self.assertEqual(h.get_header(headers, "X-Backend-Id"), "B")
            self.assertLess(float(h.get_header(headers, "X-Seen-Served")), 5)
            self.assertEqual(h.get_header(headers, "X-Seen-Load"), "nil")  # no load_header
        # B's counter moves on its next scrapes.
        self.assertTrue(h.wait_until(lambda: scraped(admin, "app", b.address, "served") == 4,
                                     timeout=20), metrics_text(admin))
        text = metrics_text(admin)
        for backend in (a.address, b.address):
            self.assertGreaterEqual(sample(text, "tidegate_upstream_scrapes_total", upstream="app",
                                           backend=backend, result="ok"), 2)
            self.assertEqual(sample(text, "tidegate_upstream_scrapes_total", upstream="app",
                                    backend=backend, result="error"), 0)
        self.assertIn("# TYPE tidegate_upstream_backend_metric gauge", text)
        if shutil.which("promtool"):
            p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr.decode())

    def test_failing_or_hanging_metrics_endpoints_are_counted_and_traffic_still_flows(self):
        c = self.echo_with_metrics("C")
        d = self.echo_with_metrics("D")
        admin = h.free_port()
        upstreams = f"""  dead:
    backends: ["{c.address}"]
    scrape: {{ path: "/metrics?status=503", interval: 1s, metrics: {{ served: echo_requests_total }} }}
  slow:
    backends: ["{d.address}"]
    scrape: {{ path: "/metrics?latency=3s", interval: 2s, timeout: 300ms, metrics: {{ served: echo_requests_total }} }}
"""
        routes = ("  - { name: dead, match: { path_prefix: /dead/ }, upstream: dead }\n"
                  "  - { name: slow, match: { path_prefix: /slow/ }, upstream: slow }\n")
        gw = self.gateway(lambda port: config(port, admin, upstreams, routes))
        self.assertTrue(h.wait_until(
            lambda: scrapes(admin, "dead", c.address, "error") >= 3
            and scrapes(admin, "slow", d.address, "timeout") >= 2, timeout=30),
            metrics_text(admin) + gw.log())
        for path, backend_id in (("/dead/x", "C"), ("/slow/y", "D")):
            for _ in range(3):
                status, headers, _ = h.http_request(gw.port, "GET", path)
                self.assertEqual(status, 200)
                self.assertEqual(h.get_header(headers, "X-Backend-Id"), backend_id)
        text = metrics_text(admin)
        self.assertEqual(sample(text, "tidegate_upstream_scrapes_total", upstream="dead",
                                backend=c.address, result="ok"), 0)
        self.assertIsNone(sample(text, "tidegate_upstream_backend_metric", upstream="dead",
                                 backend=c.address, name="served"))
        self.assertIsNone(sample(text, "tidegate_upstream_backend_metric", upstream="slow",
                                 backend=d.address, name="served"))
        # Logged, but at most once a minute per backend.
        log = gw.log()
        self.assertEqual(log.count(f"scraping http://{c.address}/metrics?status=503: HTTP 503"), 1,
                         log)
        self.assertEqual(log.count(f"scraping http://{d.address}/metrics?latency=3s: timed out"), 1,
                         log)

    def test_a_value_that_stops_coming_is_withdrawn_and_comes_back(self):
        a = self.echo_with_metrics("A")
        admin = h.free_port()
        gw = self.gateway(lambda port: balanced_config(port, admin, [a.address]))
        self.assertTrue(h.wait_until(lambda: scraped(admin, "app", a.address, "served") == 0,
                                     timeout=20), metrics_text(admin))
        # The endpoint starts failing (a reload points the scrape elsewhere; the names stay).
        with open(gw.config_path) as f:
            good = f.read()
        gw.reload(good.replace('path: "/metrics"', 'path: "/metrics?status=500"'))
        self.assertTrue(h.wait_until(
            lambda: scraped(admin, "app", a.address, "served") is None, timeout=30),
            metrics_text(admin))
        self.assertGreaterEqual(scrapes(admin, "app", a.address, "error"), 3)
        status, headers, _ = h.http_request(gw.port, "GET", "/z")
        self.assertEqual(status, 200)  # the pool's own balancer, since balance() sees nil
        self.assertEqual(h.get_header(headers, "X-Seen-Served"), "nil")
        gw.reload(good)
        self.assertTrue(h.wait_until(
            lambda: scraped(admin, "app", a.address, "served") is not None, timeout=20),
            metrics_text(admin))
        status, headers, _ = h.http_request(gw.port, "GET", "/z")
        self.assertEqual(status, 200)
        self.assertNotEqual(h.get_header(headers, "X-Seen-Served"), "nil")

    def test_an_autoscaled_pools_instances_are_scraped_for_its_policy(self):
        admin = h.free_port()
        base = random.randrange(20000, 30000, 100)
        policy = """return function(ctx)
  local pool = ctx:metric("backend:served", "last", 5)
  local each = ctx:instances("backend:served", "last", 5)
  if pool == nil or each[1] == nil or each[1].value == nil then
    error("no scraped value yet")
  end
  return {desired = ctx.replicas, reason = "served " .. pool,
          inputs = {pool_served = pool, instance_served = each[1].value}}
end"""
        upstreams = f"""  app:
    scrape: {{ interval: 1s, metrics: {{ served: echo_requests_total }} }}
    scale:
      provider: process
      min: 1
      max: 1
      interval: 500ms
      policy:
        lua: |
{indent(policy, 10)}
      process:
        command: "exec {h.ECHO_BIN} --port {{port}} --metrics /metrics --id e{{index}}"
        ports: {base}-{base + 99}
        readiness: {{ path: /healthz, interval: 50ms, timeout: 1s }}
        stop_grace: 2s
"""
        routes = "  - { name: api, match: { path_prefix: / }, upstream: app }\n"
        gw = self.gateway(lambda port: config(port, admin, upstreams, routes))

        def instance():
            status, _, body = h.http_request(admin, "GET", "/scale/pools")
            instances = json.loads(body)["app"]["instances"] if status == 200 else []
            ready = [i for i in instances if i["state"] == "ready"]
            return ready[0]["address"] if ready else None

        self.assertTrue(h.wait_until(instance, timeout=30), gw.log())
        address = instance()
        for i in range(3):
            status, _, _ = h.http_request(gw.port, "GET", f"/r/{i}")
            self.assertEqual(status, 200)
        self.assertTrue(h.wait_until(lambda: scraped(admin, "app", address, "served") == 3,
                                     timeout=20), metrics_text(admin) + gw.log())

        def decided():
            status, _, body = h.http_request(admin, "GET", "/scale/events")
            events = json.loads(body) if status == 200 else []
            return [e for e in events if e["kind"] == "decision"
                    and "pool_served" in e["inputs"]]

        self.assertTrue(h.wait_until(decided, timeout=20), gw.log())
        inputs = decided()[0]["inputs"]
        self.assertEqual(inputs["pool_served"], inputs["instance_served"])
        self.assertGreaterEqual(inputs["pool_served"], 0)


if __name__ == "__main__":
    unittest.main()
