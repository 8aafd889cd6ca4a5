#!/usr/bin/env python3
"""Monitoring through the real gateway: GET /metrics on the admin listener counts what was
served (validated by `promtool check metrics`), a real Prometheus server scrapes it and its
query API returns the gateway's request count, and a load a backend reports in its response
header becomes a gauge and a Lua backend metric."""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def config(port, admin_port, backends, extra_upstream="", routes=None, lua=""):
    out = [f'listen: ["127.0.0.1:{port}"]', "workers: 2",
           f'admin: {{ listen: "127.0.0.1:{admin_port}" }}',
           "timeouts: { connect: 1s, upstream_response: 10s, upstream_idle: 4s }"]
    if lua:
        out.append(lua)
    out += ["upstreams:", f"  main: {{ backends: {h.yaml_list(backends)}{extra_upstream} }}",
            "routes:"]
    out.append(routes or "  - { name: api, match: { path_prefix: /api/ }, upstream: main }")
    return "\n".join(out) + "\n"


def scrape(admin_port):
    status, headers, body = h.http_request(admin_port, "GET", "/metrics")
    assert status == 200, (status, body)
    return h.get_header(headers, "Content-Type"), body.decode()


def sample(text, name, **labels):
    """The value of the one sample `name{labels...}` (label order as exposed), or None."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{name}{{{want}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return None


class MetricsTest(h.GatewayTestCase):
    def test_metrics_count_requests_and_pass_promtool(self):
        a = self.echo("A")
        admin = h.free_port()
        gw = self.gateway(lambda port: config(port, admin, [a.address]))
        for i in range(25):
            status, _, _ = h.http_request(gw.port, "GET", f"/api/{i}")
            self.assertEqual(status, 200)
        for _ in range(3):
            status, _, _ = h.http_request(gw.port, "GET", "/elsewhere")
            self.assertEqual(status, 404)
        status, _, _ = h.http_request(gw.port, "GET", "/api/x?status=503")
        self.assertEqual(status, 503)

        ctype, text = scrape(admin)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        rl = {"route": "api", "upstream": "main"}
        self.assertEqual(sample(text, "tidegate_http_requests_total", **rl, code_class="2xx"), 25)
        self.assertEqual(sample(text, "tidegate_http_requests_total", **rl, code_class="5xx"), 1)
        self.assertEqual(sample(text, "tidegate_http_requests_total", route="", upstream="",
                                code_class="4xx"), 3)
        self.assertEqual(sample(text, "tidegate_http_request_duration_seconds_count", **rl), 26)
        bl = {"upstream": "main", "backend": a.address}
        self.assertEqual(sample(text, "tidegate_upstream_requests_total", **bl, code_class="2xx"),
                         25)
        self.assertGreater(sample(text, "tidegate_http_bytes_sent_total", **rl), 26 * 30)
        self.assertEqual(sample(text, "tidegate_upstream_replicas", upstream="main"), 1)
        # Every connection was closed by the client: the gauge is back to zero.
        self.assertTrue(h.wait_until(
            lambda: sample(scrape(admin)[1], "tidegate_http_connections_active") == 0,
            timeout=10))
        # 29 requests on their own connections, plus the harness's readiness probes.
        self.assertGreaterEqual(sample(text, "tidegate_http_connections_total"), 29)
        self.assertTrue(h.wait_until(
            lambda: (sample(scrape(admin)[1], "tidegate_host_memory_total_bytes") or 0) > 0,
            timeout=10))

        p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr.decode())

    def test_a_timed_out_request_head_is_counted(self):
        a = self.echo("A")
        admin = h.free_port()
        gw = self.gateway(lambda port: config(port, admin, [a.address]).replace(
            "timeouts: {", "timeouts: { request_header: 1s,"))
        s = h.raw_connect(gw.port)
        try:
            s.sendall(b"GET /api/x HTTP/1.1\r\nHost: x\r\n")  # the head never ends
            r = h.read_until_close(s, timeout=15)
        finally:
            s.close()
        self.assertEqual([x.status for x in r.finals()], [408], r)
        _, text = scrape(admin)
        self.assertEqual(sample(text, "tidegate_http_requests_total", route="", upstream="",
                                code_class="4xx"), 1)

    def test_connect_failures_are_counted(self):
        dead = f"127.0.0.1:{h.free_port()}"
        admin = h.free_port()
        gw = self.gateway(lambda port: config(port, admin, [dead]))
        status, _, _ = h.http_request(gw.port, "GET", "/api/x")
        self.assertEqual(status, 502)
        _, text = scrape(admin)
        self.assertGreaterEqual(
            sample(text, "tidegate_upstream_connect_failures_total", upstream="main", backend=dead),
            1)

    def test_unknown_admin_path_is_404(self):
        a = self.echo("A")
        admin = h.free_port()
        self.gateway(lambda port: config(port, admin, [a.address]))
        status, _, _ = h.http_request(admin, "GET", "/nope")
        self.assertEqual(status, 404)
        status, _, _ = h.http_request(admin, "POST", "/metrics", body=b"x")
        self.assertIn(status, (405, 413))

    def test_backend_reported_load(self):
        rec = self.recorder("R")
        rec.response_headers = b"X-Backend-Load: 0.73\r\n"
        admin = h.free_port()
        script = ("local M = {}\\nfunction M.on_response(req, resp)\\n"
                  "  resp:set_header('X-Seen-Load', tostring(resp.backend:metric('load')))\\n"
                  "end\\nreturn M\\n")
        routes = ("  - name: api\n    match: { path_prefix: / }\n    upstream: main\n"
                  f'    script: {{ inline: "{script}" }}')
        gw = self.gateway(lambda port: config(port, admin, [rec.address],
                                              extra_upstream=", load_header: X-Backend-Load",
                                              routes=routes))
        status, headers, _ = h.http_request(gw.port, "GET", "/x")
        self.assertEqual(status, 200)
        status, headers, _ = h.http_request(gw.port, "GET", "/y")
        self.assertEqual(h.get_header(headers, "X-Seen-Load"), "0.73")
        _, text = scrape(admin)
        self.assertEqual(sample(text, "tidegate_upstream_backend_load", upstream="main",
                                backend=rec.address), 0.73)

    def test_access_log_write_errors_are_counted(self):
        # /dev/full takes the open and fails every write with ENOSPC: each batch is lost,
        # requests are served all the same, and /metrics says how many writes failed.
        a = self.echo("A")
        admin = h.free_port()
        gw = self.gateway(lambda port: config(port, admin, [a.address]).replace(
            "workers: 2", 'workers: 2\naccess_log: { path: "/dev/full" }'))
        _, text = scrape(admin)
        self.assertEqual(sample(text, "tidegate_access_log_write_errors_total"), 0)
        self.assertEqual(sample(text, "tidegate_access_log_dropped_total"), 0)
        for i in range(5):
            status, _, _ = h.http_request(gw.port, "GET", f"/api/{i}")
            self.assertEqual(status, 200)
        self.assertTrue(h.wait_until(
            lambda: (sample(scrape(admin)[1], "tidegate_access_log_write_errors_total") or 0) >= 1,
            timeout=10))
        self.assertEqual(sample(scrape(admin)[1], "tidegate_access_log_dropped_total"), 0)

    def test_access_log_json_lines(self):
        a = self.echo("A")
        admin = h.free_port()
        d = h.make_tmpdir("tg-access-")
        path = os.path.join(d, "access.log")
        gw = self.gateway(lambda port: config(port, admin, [a.address]).replace(
            "workers: 2", f'workers: 2\naccess_log: {{ path: "{path}" }}'))
        for i in range(10):
            status, _, _ = h.http_request(gw.port, "GET", f"/api/{i}?q=\"x\"",
                                          headers={"X-Request-Id": f"id-{i}"})
            self.assertEqual(status, 200)
        h.http_request(gw.port, "GET", "/nowhere")

        def lines():
            try:
                with open(path) as f:
                    return [json.loads(l) for l in f if l.strip()]
            except FileNotFoundError:
                return []

        self.assertTrue(h.wait_until(lambda: len(lines()) == 11, timeout=10), lines())
        records = lines()
        ok = [r for r in records if r["status"] == 200]
        self.assertEqual(len(ok), 10)
        r = ok[0]
        self.assertEqual((r["route"], r["upstream"], r["backend"], r["method"]),
                         ("api", "main", a.address, "GET"))
        self.assertTrue(r["path"].startswith("/api/"))
        self.assertEqual(r["query"], 'q="x"')
        self.assertIn(r["request_id"], {f"id-{i}" for i in range(10)})
        self.assertGreater(r["bytes_out"], 0)
        self.assertGreaterEqual(r["duration_ms"], 0)
        self.assertIn("upstream_header_ms", r)
        self.assertRegex(r["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        miss = [r for r in records if r["status"] == 404]
        self.assertEqual(len(miss), 1)
        self.assertNotIn("upstream_header_ms", miss[0])
        # Rotation: rename, SIGHUP, and the next lines go to a new file at the same path.
        os.rename(path, path + ".1")
        with open(gw.config_path) as f:
            gw.reload(f.read())
        h.http_request(gw.port, "GET", "/api/after")
        self.assertTrue(h.wait_until(lambda: len(lines()) == 1, timeout=10), lines())

    @unittest.skipUnless(shutil.which("prometheus"), "prometheus is not installed")
    def test_prometheus_server_scrapes_the_gateway(self):
        a = self.echo("A")
        admin = h.free_port()
        gw = self.gateway(lambda port: config(port, admin, [a.address]))
        for i in range(40):
            status, _, _ = h.http_request(gw.port, "GET", f"/api/{i}")
            self.assertEqual(status, 200)

        d = h.make_tmpdir("tg-prom-")
        prom_port = h.free_port()
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write("global: { scrape_interval: 1s, evaluation_interval: 1s }\n"
                    "scrape_configs:\n"
                    "  - job_name: tidegate\n"
                    f"    static_configs: [ {{ targets: ['127.0.0.1:{admin}'] }} ]\n")
        prom = self.own(h.Proc(["prometheus", f"--config.file={d}/prometheus.yml",
                                f"--storage.tsdb.path={d}/data",
                                f"--web.listen-address=127.0.0.1:{prom_port}"],
                               "prometheus", d))
        self.assertTrue(h.wait_port("127.0.0.1", prom_port, timeout=60, proc=prom), prom.output())
        query = urllib.parse.quote(
            'sum(tidegate_http_requests_total{route="api",code_class="2xx"})')
        url = f"http://127.0.0.1:{prom_port}/api/v1/query?query={query}"
        seen = {}

        def scraped():
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    data = json.load(r)
            except OSError:
                return False
            result = data.get("data", {}).get("result", [])
            if result:
                seen["value"] = float(result[0]["value"][1])
            return seen.get("value") == 40

        self.assertTrue(h.wait_until(scraped, timeout=60, interval=0.5),
                        f"prometheus returned {seen}; its log:\n{prom.output()[-3000:]}")


if __name__ == "__main__":
    unittest.main()
