#!/usr/bin/env python3
"""Route scripts through the real gateway: each example in examples/lua/, request and
response rewriting, scripts that fail (runaway loop, memory hog, runtime error) without
disturbing other routes, `tidegate check` on a broken script, and reloads (SIGHUP and
lua.watch) that keep the old scripts when the new ones are broken."""

import http.client
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def example(name):
    return os.path.join(ROOT, "examples", "lua", name)


def lua_config(port, upstreams, routes, lua="", admin_port=None, workers=2):
    out = [f'listen: ["127.0.0.1:{port}"]', f"workers: {workers}",
           "timeouts: { connect: 1s, upstream_response: 10s, upstream_idle: 4s }"]
    if admin_port:
        out.append(f'admin: {{ listen: "127.0.0.1:{admin_port}" }}')
    if lua:
        out.append(lua.rstrip("\n"))
    out.append("upstreams:")
    out.append(upstreams.rstrip("\n"))
    out.append("routes:")
    out.append(routes.rstrip("\n"))
    return "\n".join(out) + "\n"


def indent(code, n):
    pad = " " * n
    return "\n".join(pad + line for line in code.strip("\n").split("\n"))


class Client:
    """One keep-alive connection to the gateway."""

    def __init__(self, port, timeout=15):
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def get(self, path, headers=None, method="GET", body=None):
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            r = self.conn.getresponse()
            data = r.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return r.status, r, data

    def close(self):
        self.conn.close()


class LuaExamplesTest(h.GatewayTestCase):
    def test_least_loaded_sends_to_the_idle_backend(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(lambda port: lua_config(
            port,
            f"  app: {{ backends: {h.yaml_list([a.address, b.address])}, balance: round_robin }}",
            f"  - {{ name: api, match: {{ path_prefix: / }}, upstream: app, "
            f"script: {example('least_loaded.lua')} }}"))
        # One slow request holds a backend busy; every request meanwhile must go to the other
        # (round robin, the fallback, would alternate).
        slow = {}

        def hold():
            status, headers, _ = h.http_request(gw.port, "GET", "/echo?latency=3s", timeout=20)
            slow["status"], slow["id"] = status, h.get_header(headers, "X-Backend-Id")

        t = threading.Thread(target=hold)
        t.start()
        time.sleep(0.5)
        seen = []
        c = Client(gw.port)
        for i in range(10):
            status, r, _ = c.get(f"/q{i}")
            self.assertEqual(status, 200)
            seen.append(r.getheader("X-Backend-Id"))
        c.close()
        t.join(30)
        self.assertEqual(slow.get("status"), 200)
        busy = slow["id"]
        self.assertEqual(len(set(seen)), 1, seen)
        self.assertNotEqual(seen[0], busy)

    def test_rate_limit_per_key(self):
        a = self.echo("A")
        gw = self.gateway(lambda port: lua_config(
            port, f"  app: {{ backends: [{a.address}] }}",
            f"  - {{ name: api, match: {{ path_prefix: / }}, upstream: app, "
            f"script: {example('rate_limit_per_key.lua')} }}",
            lua="lua: { shared_dicts: { ratelimit: 1MiB } }"))
        c = Client(gw.port)
        statuses = []
        retry_after = None
        for i in range(300):  # the example allows 100 per second per key
            status, r, _ = c.get(f"/k{i}", {"X-Api-Key": "alice"})
            statuses.append(status)
            if status == 429:
                retry_after = r.getheader("Retry-After")
        self.assertIn(429, statuses)
        self.assertGreater(statuses.count(200), 0)
        self.assertEqual(set(statuses), {200, 429})
        self.assertEqual(retry_after, "1")
        # Another key is counted on its own.
        status, _, _ = c.get("/other", {"X-Api-Key": "bob"})
        self.assertEqual(status, 200)
        c.close()

    def test_cache_get_serves_hits_without_the_backend(self):
        rec = self.recorder("R")
        gw = self.gateway(lambda port: lua_config(
            port, f"  app: {{ backends: [{rec.address}] }}",
            f"  - {{ name: cached, match: {{ path_prefix: / }}, upstream: app, "
            f"script: {example('cache_get.lua')} }}",
            lua="lua: { shared_dicts: { cache: 4MiB } }"))
        c = Client(gw.port)
        status, r, body = c.get("/item?id=7")
        self.assertEqual((status, r.getheader("X-Cache")), (200, "MISS"))
        self.assertEqual(body, b"recorded\n")
        self.assertTrue(h.wait_until(lambda: len(rec.requests()) == 1, timeout=5))
        for _ in range(5):
            status, r, body = c.get("/item?id=7")
            self.assertEqual((status, r.getheader("X-Cache"), body), (200, "HIT", b"recorded\n"))
        self.assertEqual(len(rec.requests()), 1)  # the hits never reached the backend
        # Other URLs, and requests with credentials, are not served from the cache.
        status, r, _ = c.get("/item?id=8")
        self.assertEqual(r.getheader("X-Cache"), "MISS")
        status, r, _ = c.get("/item?id=7", {"Authorization": "Bearer x"})
        self.assertIsNone(r.getheader("X-Cache"))
        self.assertEqual(len(rec.requests()), 3)
        c.close()

    def test_canary_header_and_percentage(self):
        stable, canary = self.echo("S"), self.echo("C")
        gw = self.gateway(lambda port: lua_config(
            port,
            f"  stable: {{ backends: [{stable.address}] }}\n"
            f"  canary: {{ backends: [{canary.address}] }}",
            f"  - {{ name: api, match: {{ path_prefix: / }}, upstream: stable, "
            f"script: {example('canary.lua')} }}"))
        c = Client(gw.port)
        for _ in range(5):
            _, r, _ = c.get("/", {"X-Canary": "always"})
            self.assertEqual(r.getheader("X-Backend-Id"), "C")
            _, r, _ = c.get("/", {"X-Canary": "never"})
            self.assertEqual(r.getheader("X-Backend-Id"), "S")
        # 5% of keys go to the canary, each key always to the same pool.
        seen = {}
        for i in range(400):
            key = f"user{i}"
            _, r, _ = c.get("/", {"X-Api-Key": key})
            seen[key] = r.getheader("X-Backend-Id")
            _, r, _ = c.get("/", {"X-Api-Key": key})
            self.assertEqual(r.getheader("X-Backend-Id"), seen[key])
        share = sum(1 for v in seen.values() if v == "C") / len(seen)
        self.assertGreater(share, 0.01)
        self.assertLess(share, 0.12)
        c.close()


REWRITE = r"""
local M = {}
function M.on_request(req)
  req:set_header("X-Added", "yes")
  req:remove_header("X-Secret")
  req:set_path("/rewritten" .. req:path())
  req:set_query("q=1")
  tg.var.seen = req:header("x-client") or "none"
end
function M.on_response(req, resp)
  resp:set_header("X-Seen", tg.var.seen)
  resp:set_header("X-Status-Was", tostring(resp:status()))
  resp:set_status(203)
end
return M
"""

FAILING = {
    "loop": "local M = {}\nfunction M.on_request(req)\n  while true do end\nend\nreturn M\n",
    "hog": ("local M = {}\nfunction M.on_request(req)\n  local t = {}\n"
            "  for i = 1, 1e9 do t[i] = string.rep('x', 1048576) .. i end\nend\nreturn M\n"),
    "error": "local M = {}\nfunction M.on_request(req)\n  error('boom')\nend\nreturn M\n",
}


class LuaBehaviourTest(h.GatewayTestCase):
    def test_request_and_response_rewrites(self):
        rec = self.recorder("R")
        routes = ("  - name: rw\n    match: { path_prefix: / }\n    upstream: app\n"
                  "    script:\n      inline: |\n" + indent(REWRITE, 8))
        gw = self.gateway(lambda port: lua_config(port, f"  app: {{ backends: [{rec.address}] }}",
                                                  routes))
        c = Client(gw.port)
        status, r, _ = c.get("/a/b?old=1", {"X-Secret": "s", "X-Client": "me"})
        self.assertEqual(status, 203)
        self.assertEqual(r.getheader("X-Seen"), "me")
        self.assertEqual(r.getheader("X-Status-Was"), "200")
        req = rec.requests()[-1]
        self.assertTrue(req.head.startswith(b"GET /rewritten/a/b?q=1 HTTP/1.1\r\n"), req.head)
        self.assertEqual(req.header("X-Added"), "yes")
        self.assertIsNone(req.header("X-Secret"))
        c.close()

    def test_failing_scripts_do_not_disturb_other_routes(self):
        a = self.echo("A")
        admin = h.free_port()
        routes = []
        for name, code in FAILING.items():
            routes.append(f"  - name: {name}\n    match: {{ path_prefix: /{name} }}\n"
                          f"    upstream: app\n    script:\n      inline: |\n" + indent(code, 8))
        routes.append("  - { name: clean, match: { path_prefix: / }, upstream: app }")
        gw = self.gateway(lambda port: lua_config(
            port, f"  app: {{ backends: [{a.address}] }}", "\n".join(routes),
            lua="lua: { memory_limit: 16MiB, time_limit: 20ms }", admin_port=admin))

        stop = time.time() + 3
        bad = {name: [] for name in FAILING}

        def hammer(name):
            c = Client(gw.port)
            while time.time() < stop and len(bad[name]) < 500:
                status, _, body = c.get(f"/{name}/x")
                bad[name].append((status, body))
            c.close()

        threads = [threading.Thread(target=hammer, args=(n,)) for n in FAILING]
        for t in threads:
            t.start()
        clean = Client(gw.port)
        clean_statuses = []
        while time.time() < stop and len(clean_statuses) < 3000:
            status, _, _ = clean.get("/clean")
            clean_statuses.append(status)
        for t in threads:
            t.join(30)
        clean.close()
        self.assertGreater(len(clean_statuses), 10)
        self.assertEqual(set(clean_statuses), {200})  # zero failures on the clean route
        for name, results in bad.items():
            self.assertGreater(len(results), 0, name)
            self.assertEqual({s for s, _ in results}, {500}, name)
        self.assertTrue(gw.proc.alive())
        log = gw.log()
        self.assertIn("time limit exceeded", log)
        self.assertIn("not enough memory", log)
        self.assertIn("boom", log)
        # Counted per route.
        _, _, metrics = h.http_request(admin, "GET", "/metrics")
        text = metrics.decode()
        for name in FAILING:
            line = [l for l in text.splitlines()
                    if l.startswith(f'tidegate_lua_errors_total{{route="{name}"')]
            self.assertEqual(len(line), 1, name)
            self.assertGreater(float(line[0].split()[-1]), 0, line)

    def test_custom_metrics_and_control_timer(self):
        a = self.echo("A")
        admin = h.free_port()
        d = h.make_tmpdir("tg-lua-")
        control = os.path.join(d, "control.lua")
        with open(control, "w") as f:
            f.write('local seen = tg.metrics.gauge("tidegate_lua_seen_rps", "Rate the timer saw.")\n'
                    "tg.timer.every(0.2, function()\n"
                    '  local r = tg.metrics.window("tidegate_lua_hits_total", nil, "sum", 60)\n'
                    "  if r then seen:set(r) end\n"
                    "end)\n")
        route = ('local hits = tg.metrics.counter("tidegate_lua_hits_total", "Hits.", {kind = "api"})\n'
                 "local M = {}\nfunction M.on_request(req)\n  hits:inc()\nend\nreturn M\n")
        routes = ("  - name: api\n    match: { path_prefix: / }\n    upstream: app\n"
                  "    script:\n      inline: |\n" + indent(route, 8))
        gw = self.gateway(lambda port: lua_config(
            port, f"  app: {{ backends: [{a.address}] }}", routes,
            lua=f"lua: {{ control: {control} }}", admin_port=admin))
        c = Client(gw.port)
        for i in range(12):
            self.assertEqual(c.get(f"/{i}")[0], 200)
        c.close()

        def values():
            _, _, body = h.http_request(admin, "GET", "/metrics")
            text = body.decode()
            out = {}
            for line in text.splitlines():
                if line.startswith('tidegate_lua_hits_total{kind="api"} '):
                    out["hits"] = float(line.split()[-1])
                if line.startswith("tidegate_lua_seen_rps "):
                    out["seen"] = float(line.split()[-1])
            return out

        self.assertTrue(h.wait_until(lambda: values() == {"hits": 12, "seen": 12}, timeout=10),
                        f"{values()}\n{gw.log()}")

    def test_check_reports_script_errors_with_file_and_line(self):
        d = h.make_tmpdir("tg-lua-")
        script = os.path.join(d, "broken.lua")
        with open(script, "w") as f:
            f.write("local M = {}\n\nfunction M.on_request(req)\n  x = = 1\nend\nreturn M\n")
        cfg = os.path.join(d, "gw.yaml")
        with open(cfg, "w") as f:
            f.write(lua_config(1, "  app: { backends: [127.0.0.1:2] }",
                               f"  - {{ match: {{ path_prefix: / }}, upstream: app, "
                               f"script: {script} }}"))
        p = subprocess.run([h.TIDEGATE_BIN, "check", "-c", cfg], capture_output=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"{script}:4:", p.stderr.decode())

    def _reloading_gateway(self, watch):
        a = self.echo("A")
        d = h.make_tmpdir("tg-lua-")
        script = os.path.join(d, "tag.lua")

        def write(tag, broken=False):
            tmp = script + ".tmp"
            with open(tmp, "w") as f:
                f.write("local M = {}\nfunction M.on_response(req, resp)\n"
                        f"  resp:set_header('X-Tag', '{tag}')\nend\n"
                        + ("return = M\n" if broken else "return M\n"))
            os.replace(tmp, script)

        write("v1")
        lua = "lua: { watch: true }" if watch else ""
        text = lambda port: lua_config(port, f"  app: {{ backends: [{a.address}] }}",
                                       f"  - {{ name: t, match: {{ path_prefix: / }}, "
                                       f"upstream: app, script: {script} }}", lua=lua)
        gw = self.gateway(text)
        return gw, write, text

    def tag(self, gw):
        status, headers, _ = h.http_request(gw.port, "GET", "/")
        self.assertEqual(status, 200)
        return h.get_header(headers, "X-Tag")

    def test_sighup_reload_keeps_old_scripts_on_error(self):
        gw, write, text = self._reloading_gateway(watch=False)
        self.assertEqual(self.tag(gw), "v1")
        write("v2", broken=True)
        gw.reload(text(gw.port), expect="reload rejected")
        self.assertEqual(self.tag(gw), "v1")
        write("v3")
        gw.reload(text(gw.port))
        self.assertTrue(h.wait_until(lambda: self.tag(gw) == "v3", timeout=5))

    def test_watch_reloads_changed_scripts(self):
        gw, write, _ = self._reloading_gateway(watch=True)
        self.assertEqual(self.tag(gw), "v1")
        time.sleep(0.05)
        write("v2")
        self.assertTrue(h.wait_until(lambda: self.tag(gw) == "v2", timeout=10), gw.log())
        write("v3", broken=True)
        self.assertTrue(h.wait_until(lambda: "scripts rejected" in gw.log(), timeout=10))
        self.assertEqual(self.tag(gw), "v2")

    def test_reload_under_load_drops_nothing(self):
        gw, write, text = self._reloading_gateway(watch=False)
        failures = []
        count = [0]
        stop = time.time() + 3

        def load():
            c = Client(gw.port)
            while time.time() < stop and count[0] < 20000:
                try:
                    status, _, _ = c.get("/")
                except Exception as e:  # noqa: BLE001
                    failures.append(repr(e))
                    continue
                count[0] += 1
                if status != 200:
                    failures.append(status)
            c.close()

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        for i in range(4):
            time.sleep(0.4)
            write(f"r{i}")
            gw.reload(text(gw.port))
        for t in threads:
            t.join(30)
        self.assertGreater(count[0], 100)
        self.assertEqual(failures, [])


if __name__ == "__main__":
    unittest.main()
