#!/usr/bin/env python3
"""Lifecycle: `tidegate check` and `version`, SIGHUP reload (under load, and with a broken
file), SIGTERM/SIGINT drain."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

GOOD = """listen: ["127.0.0.1:8080"]
upstreams:
  a: { backends: ["127.0.0.1:9001"] }
routes:
  - { match: { path_prefix: / }, upstream: a }
"""

# (name, file text, expected line, expected column, a piece of the message)
BAD_CONFIGS = [
    ("unknown_key",
     'listen: ["127.0.0.1:8080"]\nlisten2: 1\nupstreams:\n  a: { backends: ["127.0.0.1:1"] }\n'
     "routes:\n  - { match: { path_prefix: / }, upstream: a }\n",
     2, 1, "unknown key 'listen2'"),
    ("duration_without_unit",
     'listen: ["127.0.0.1:8080"]\ntimeouts:\n  connect: 5\nupstreams:\n  a: { backends: ["127.0.0.1:1"] }\n'
     "routes:\n  - { match: { path_prefix: / }, upstream: a }\n",
     3, 12, "timeouts.connect"),
    ("unknown_upstream",
     'listen: ["127.0.0.1:8080"]\nupstreams:\n  a: { backends: ["127.0.0.1:1"] }\n'
     "routes:\n  - { match: { path_prefix: / }, upstream: b }\n",
     5, 44, "unknown upstream 'b'"),
    ("invalid_regex",
     'listen: ["127.0.0.1:8080"]\nupstreams:\n  a: { backends: ["127.0.0.1:1"] }\n'
     'routes:\n  - match: { path_regex: "/(" }\n    upstream: a\n',
     5, 26, "invalid regular expression"),
    ("non_numeric_backend",
     'listen: ["127.0.0.1:8080"]\nupstreams:\n  a: { backends: ["localhost:80"] }\n'
     "routes:\n  - { match: { path_prefix: / }, upstream: a }\n",
     3, 19, "localhost:80"),
    ("lowercase_method",
     'listen: ["127.0.0.1:8080"]\nupstreams:\n  a: { backends: ["127.0.0.1:1"] }\n'
     "routes:\n  - { match: { path_prefix: /, methods: [get] }, upstream: a }\n",
     5, 42, "case-sensitive"),
    ("bad_balance",
     'listen: ["127.0.0.1:8080"]\nupstreams:\n  a: { backends: ["127.0.0.1:1"], balance: fastest }\n'
     "routes:\n  - { match: { path_prefix: / }, upstream: a }\n",
     3, 44, "fastest"),
    ("bad_host_pattern",
     'listen: ["127.0.0.1:8080"]\nupstreams:\n  a: { backends: ["127.0.0.1:1"] }\n'
     'routes:\n  - { match: { host: "a.*.com" }, upstream: a }\n',
     5, 22, "wildcard"),
    ("yaml_syntax",
     'listen: ["127.0.0.1:8080"\nupstreams: {\n',
     None, None, "YAML"),
]


def run_cli(*args, timeout=30):
    p = subprocess.run([h.TIDEGATE_BIN] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def route_config(backend, extra_routes=""):
    return ('listen: ["127.0.0.1:{port}"]\nworkers: 2\n'
            "timeouts: { connect: 1s, request_header: 5s, upstream_response: 10s, drain: 10s }\n"
            "upstreams:\n"
            f'  pool: {{ backends: ["{backend}"] }}\n'
            "routes:\n  - { name: all, match: { path_prefix: / }, upstream: pool }\n" + extra_routes)


class CheckTest(h.GatewayTestCase):
    needs_echo = False

    def write(self, name, text):
        d = h.make_tmpdir()
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_version(self):
        rc, out, _ = run_cli("version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^tidegate \d+\.\d+\.\d+")

    def test_check_good(self):
        path = self.write("good.yaml", GOOD)
        rc, out, err = run_cli("check", "-c", path)
        self.assertEqual(rc, 0, err)
        self.assertIn("ok", out)

    def test_check_examples(self):
        examples = sorted(
            os.path.join(h.REPO, "examples", f) for f in os.listdir(os.path.join(h.REPO, "examples"))
            if f.endswith(".yaml"))
        self.assertTrue(examples)
        for path in examples:
            with self.subTest(path=os.path.basename(path)):
                rc, _, err = run_cli("check", "-c", path)
                self.assertEqual(rc, 0, err)

    def test_check_bad_configs(self):
        for name, text, line, col, message in BAD_CONFIGS:
            with self.subTest(name):
                path = self.write(f"{name}.yaml", text)
                rc, out, err = run_cli("check", "-c", path)
                self.assertEqual(rc, 1, (out, err))
                m = re.search(re.escape(path) + r":(\d+):(\d+): (.*)", err)
                self.assertIsNotNone(m, f"no {path}:line:col in stderr: {err!r}")
                if line is not None:
                    self.assertIn(f"{path}:{line}:{col}: ", err)
                    self.assertIn(message, err)
                else:
                    self.assertIn(message, m.group(3))

    def test_check_reports_every_error(self):
        text = ('listen: ["127.0.0.1:8080"]\nupstreams:\n  a: { backends: ["127.0.0.1:1"], balance: fastest }\n'
                'routes:\n  - { match: { host: "a.*.com" }, upstream: a }\n')
        path = self.write("two.yaml", text)
        rc, _, err = run_cli("check", "-c", path)
        self.assertEqual(rc, 1)
        self.assertIn(f"{path}:3:", err)
        self.assertIn(f"{path}:5:", err)

    def test_check_missing_file(self):
        path = os.path.join(h.make_tmpdir(), "missing.yaml")
        rc, _, err = run_cli("check", "-c", path)
        self.assertEqual(rc, 1)
        self.assertIn(path, err)

    def test_run_refuses_bad_config(self):
        path = self.write("bad.yaml", BAD_CONFIGS[0][1])
        rc, _, err = run_cli("run", "-c", path)
        self.assertEqual(rc, 1)
        self.assertIn(f"{path}:2:1: ", err)


class ReloadTest(h.GatewayTestCase):
    def served_by(self, gw, path="/"):
        status, headers, body = h.http_request(gw.port, "GET", path)
        return status, h.get_header(headers, "X-Backend-Id")

    def test_reload_under_load_switches_backend(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(route_config(a.address))
        self.assertEqual(self.served_by(gw), (200, "A"))
        run = h.WrkRun(gw.url("/"), duration=4, connections=20, count_backends=True)
        time.sleep(1.5)
        gw.reload(route_config(b.address))
        result = run.join()
        self.assertIsNotNone(result, "wrk did not finish")
        print(f"\n  reload under load: {result!r}", file=sys.stderr)
        self.assertTrue(result.requests and result.requests > 0, result.text)
        self.assertEqual(result.non2xx, 0, result.text)
        self.assertEqual(result.socket_errors, 0, result.text)
        # The load saw both: A before the reload, B after (on the same connections).
        self.assertGreater(result.backends.get("A", 0), 0, result.text)
        self.assertGreater(result.backends.get("B", 0), 0, result.text)
        self.assertEqual(set(result.backends), {"A", "B"}, result.text)
        for _ in range(20):
            self.assertEqual(self.served_by(gw), (200, "B"))

    def test_reload_keep_alive_connection_uses_new_config(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(route_config(a.address))
        s = h.raw_connect(gw.port)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            r = h.read_until_close(s, timeout=10, until=h.has_complete_responses(1))
            self.assertEqual(r.finals()[0].header("x-backend-id"), "A")
            gw.reload(route_config(b.address))
            time.sleep(0.2)  # the snapshot is posted to the workers
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            r = h.read_until_close(s, timeout=10, until=h.has_complete_responses(1))
            self.assertEqual(r.finals()[0].header("x-backend-id"), "B")
        finally:
            s.close()

    def test_reload_adds_route(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(route_config(a.address))
        extra = f'  - {{ name: new, match: {{ path: /new }}, upstream: newpool }}\n'
        cfg = route_config(a.address).replace(
            "routes:", f'  newpool: {{ backends: ["{b.address}"] }}\nroutes:') + extra
        gw.reload(cfg)
        self.assertEqual(self.served_by(gw, "/new"), (200, "B"))
        self.assertEqual(self.served_by(gw, "/old"), (200, "A"))

    def test_broken_reload_keeps_old_config(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(route_config(a.address))
        broken = route_config(b.address).replace("upstream: pool", "upstream: nosuchpool")
        new_log = gw.reload(broken, expect="reload rejected")
        self.assertRegex(new_log, re.escape(gw.config_path) + r":\d+:\d+: .*nosuchpool")
        self.assertTrue(gw.proc.alive())
        for _ in range(10):
            self.assertEqual(self.served_by(gw), (200, "A"))
        # YAML that does not even parse.
        new_log = gw.reload("listen: [\n", expect="reload rejected")
        self.assertIn(gw.config_path, new_log)
        self.assertEqual(self.served_by(gw), (200, "A"))
        # And a good file afterwards is accepted.
        gw.reload(route_config(b.address))
        self.assertEqual(self.served_by(gw), (200, "B"))

    def test_broken_reload_under_load(self):
        a = self.echo("A")
        gw = self.gateway(route_config(a.address))
        run = h.WrkRun(gw.url("/"), duration=3, connections=10)
        time.sleep(1)
        gw.reload("routes: 42\n", expect="reload rejected")
        result = run.join()
        self.assertEqual(result.non2xx, 0, result.text)
        self.assertEqual(result.socket_errors, 0, result.text)
        self.assertEqual(self.served_by(gw), (200, "A"))


class StartupSignalTest(h.GatewayTestCase):
    needs_echo = False

    def test_sighup_right_after_start(self):
        d = h.make_tmpdir()
        path = os.path.join(d, "tidegate.yaml")
        for attempt in range(40):
            port = h.free_port()
            with open(path, "w") as f:
                f.write(h.simple_config(port, ["127.0.0.1:1"], workers=2))
            p = h.Proc([h.TIDEGATE_BIN, "run", "-c", path], "tidegate", d)
            try:
                deadline = time.monotonic() + 15
                while p.alive() and not h.can_connect(h.LOOPBACK, port, 0.2):
                    self.assertLess(time.monotonic(), deadline, "tidegate did not start")
                p.signal(signal.SIGHUP)
                time.sleep(0.1)
                self.assertTrue(p.alive(), f"attempt {attempt}: SIGHUP just after start killed "
                                           f"tidegate (status {p.poll()}):\n{p.output()}")
            finally:
                p.stop()


class DrainTest(h.GatewayTestCase):
    def _drain(self, sig):
        a = self.echo("A")
        gw = self.gateway(route_config(a.address))
        # An idle keep-alive client connection.
        idle = h.raw_connect(gw.port)
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        r = h.read_until_close(idle, timeout=10, until=h.has_complete_responses(1))
        self.assertEqual([x.status for x in r.finals()], [200])

        # A slow request in flight.
        slow = h.raw_connect(gw.port, timeout=30)
        slow.sendall(b"GET /echo?latency=3s HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)
        gw.proc.signal(sig)

        # New connections are refused while the slow request is still being served.
        refused = h.wait_until(lambda: not h.can_connect(h.LOOPBACK, gw.port), timeout=10)
        self.assertTrue(refused, "the gateway still accepts connections while draining")
        self.assertTrue(gw.proc.alive(), "the gateway exited before the in-flight request ended")

        # The idle connection is closed.
        r = h.read_until_close(idle, timeout=10)
        idle.close()
        self.assertTrue(r.closed, "an idle keep-alive connection survived the drain")
        self.assertEqual(r.data, b"")

        # The in-flight request completes, with Connection: close.
        r = h.read_until_close(slow, timeout=20)
        slow.close()
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200], r)
        self.assertTrue(finals[0].body.startswith(b"GET /echo?latency=3s"))
        self.assertEqual((finals[0].header("connection") or "").lower(), "close", r)
        self.assertTrue(r.closed)

        rc = gw.proc.wait(timeout=30)
        self.assertEqual(rc, 0, gw.log())

    def test_sigterm_drains(self):
        self._drain(signal.SIGTERM)

    def test_sigint_drains(self):
        self._drain(signal.SIGINT)

    def test_sigterm_idle_gateway_exits_0(self):
        a = self.echo("A")
        gw = self.gateway(route_config(a.address))
        self.assertEqual(h.http_request(gw.port, "GET", "/")[0], 200)
        gw.proc.signal(signal.SIGTERM)
        self.assertEqual(gw.proc.wait(timeout=30), 0, gw.log())

    def test_drain_timeout_bounds_shutdown(self):
        a = self.echo("A")
        cfg = route_config(a.address).replace("drain: 10s", "drain: 1s")
        gw = self.gateway(cfg)
        slow = h.raw_connect(gw.port, timeout=30)
        slow.sendall(b"GET /echo?latency=20s HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)
        gw.proc.signal(signal.SIGTERM)
        # The process ends well before the backend would answer (20 s).
        rc = gw.proc.wait(timeout=15)
        r = h.read_until_close(slow, timeout=10)
        slow.close()
        self.assertTrue(r.closed, r)
        self.assertEqual([x.status for x in r.finals() if not getattr(x, "incomplete", False)
                          and x.status == 200], [], "a 20 s request cannot have completed")
        self.assertEqual(rc, 0, gw.log())


if __name__ == "__main__":
    h.main()
