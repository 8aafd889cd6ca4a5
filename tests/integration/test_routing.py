#!/usr/bin/env python3
"""Routing: host exact vs wildcard vs any, path exact vs regex vs prefix (longest first),
methods, headers, no route -> 404. Every pool is a distinct tidegate-echo (--id), so the
X-Backend-Id of the answer says which route served the request."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

POOLS = ["hexact", "hexactspecial", "hwild", "hwild2", "pexact", "pregex", "pprefix", "plong",
         "mpost", "mget", "hdr", "hpresent", "hnone"]

ROUTES = """routes:
  - { name: hexact, match: { host: api.example.com }, upstream: hexact }
  - { name: hexactspecial, match: { host: api.example.com, path: /special }, upstream: hexactspecial }
  - { name: hwild, match: { host: "*.example.com" }, upstream: hwild }
  - { name: hwild2, match: { host: "*.deep.example.com" }, upstream: hwild2 }
  - { name: pprefix, match: { path_prefix: /p/ }, upstream: pprefix }
  - { name: plong, match: { path_prefix: /p/long/ }, upstream: plong }
  - { name: pregex, match: { path_regex: "/p/[0-9]+" }, upstream: pregex }
  - { name: pexact, match: { path: /p/exact }, upstream: pexact }
  - { name: mget, match: { path_prefix: /m/, methods: [GET] }, upstream: mget }
  - { name: mpost, match: { path_prefix: /m/, methods: [POST, PUT] }, upstream: mpost }
  - { name: hnone, match: { path_prefix: /h/ }, upstream: hnone }
  - { name: hdr, match: { path_prefix: /h/, headers: { X-Canary: "1" } }, upstream: hdr }
  - { name: hpresent, match: { path_prefix: /h/, headers: { x-flag: "*" } }, upstream: hpresent }
"""


class RoutingTest(h.GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.echoes = {name: cls.own_class(h.Echo(name)) for name in POOLS}
        ups = "\n".join(f'  {n}: {{ backends: ["{e.address}"] }}' for n, e in cls.echoes.items())
        cfg = ('listen: ["127.0.0.1:{port}"]\nworkers: 1\n'
               "timeouts: { connect: 1s, request_header: 5s, upstream_response: 10s }\n"
               "upstreams:\n" + ups + "\n" + ROUTES)
        cls.gw = cls.own_class(h.Gateway(cfg))

    def setUp(self):
        self.assertTrue(self.gw.proc.alive(), "the gateway died:\n" + self.gw.log())

    def served_by(self, path, host="other.test", method="GET", headers=None):
        hdrs = {"Host": host}
        hdrs.update(headers or {})
        status, resp_headers, body = h.http_request(self.gw.port, method, path, hdrs,
                                                    b"" if method in ("POST", "PUT") else None)
        if status == 404 and h.get_header(resp_headers, "X-Backend-Id") is None:
            return 404
        self.assertEqual(status, 200, body)
        return h.get_header(resp_headers, "X-Backend-Id")

    def check(self, cases):
        for args, want in cases:
            with self.subTest(args=args):
                if isinstance(args, str):
                    args = (args,)
                self.assertEqual(self.served_by(*args), want)

    def test_host_exact(self):
        self.check([
            (("/anything", "api.example.com"), "hexact"),
            (("/anything", "API.Example.COM"), "hexact"),
            (("/anything", "api.example.com:8080"), "hexact"),
            (("/anything", "api.example.com."), "hexact"),
        ])

    def test_host_exact_with_path_beats_host_exact_alone(self):
        self.check([
            (("/special", "api.example.com"), "hexactspecial"),
            (("/special/x", "api.example.com"), "hexact"),
        ])

    def test_host_wildcard(self):
        self.check([
            (("/", "www.example.com"), "hwild"),
            (("/", "a.b.example.com:81"), "hwild"),
            # A host route beats any path route, however specific the path.
            (("/p/exact", "www.example.com"), "hwild"),
        ])

    def test_host_longer_wildcard_wins(self):
        self.check([
            (("/", "x.deep.example.com"), "hwild2"),
            (("/", "deep.example.com"), "hwild"),  # "*." needs at least one label before
        ])

    def test_host_wildcard_needs_a_label(self):
        # "*.example.com" does not match example.com itself; no other route takes "/" -> 404.
        self.assertEqual(self.served_by("/", "example.com"), 404)
        self.assertEqual(self.served_by("/", "notexample.com"), 404)

    def test_path_exact_regex_prefix(self):
        self.check([
            ("/p/exact", "pexact"),
            ("/p/exact/", "pprefix"),
            ("/p/exactly", "pprefix"),
            ("/p/123", "pregex"),
            ("/p/123?q=/p/exact", "pregex"),
            ("/p/12a", "pprefix"),  # the regex must match the whole path
            ("/p/x", "pprefix"),
            ("/p/long/x", "plong"),  # the longer prefix wins
            ("/p/long", "pprefix"),
        ])

    def test_path_prefix_is_not_a_substring_match(self):
        self.assertEqual(self.served_by("/p"), 404)
        self.assertEqual(self.served_by("/x/p/exact"), 404)

    def test_methods(self):
        self.check([
            (("/m/x", "other.test", "GET"), "mget"),
            (("/m/x", "other.test", "POST"), "mpost"),
            (("/m/x", "other.test", "PUT"), "mpost"),
        ])
        self.assertEqual(self.served_by("/m/x", method="DELETE"), 404)
        self.assertEqual(self.served_by("/m/x", method="PATCH"), 404)

    def test_headers(self):
        self.check([
            (("/h/x", "other.test", "GET", {"X-Canary": "1"}), "hdr"),
            (("/h/x", "other.test", "GET", {"x-canary": "1"}), "hdr"),
            (("/h/x", "other.test", "GET", {"X-Canary": "2"}), "hnone"),
            (("/h/x", "other.test", "GET", {"X-Canary": "10"}), "hnone"),
            (("/h/x", "other.test", "GET", {"X-Flag": "anything"}), "hpresent"),
            (("/h/x", "other.test", "GET", {}), "hnone"),
        ])

    def test_no_route_404_keeps_connection(self):
        payload = (b"GET /nowhere HTTP/1.1\r\nHost: other.test\r\n\r\n"
                   b"GET /p/exact HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [404, 200], r)
        self.assertIn(b"no route", finals[0].body)
        self.assertIsNone(finals[0].header("x-backend-id"))
        self.assertEqual(finals[1].header("x-backend-id"), "pexact")

    def test_no_route_with_expect_100_continue(self):
        # 404 at once, without a 100 and without waiting for the body; the unread body means
        # the connection cannot be reused, so it is closed.
        s = h.raw_connect(self.gw.port)
        try:
            s.sendall(b"POST /nowhere HTTP/1.1\r\nHost: other.test\r\nContent-Length: 5\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            r = h.read_until_close(s, timeout=10)
        finally:
            s.close()
        responses = r.responses()
        self.assertEqual([x.status for x in responses], [404], r)
        self.assertTrue(r.closed, r)

    def test_no_route_with_body_404(self):
        payload = (b"POST /nowhere HTTP/1.1\r\nHost: other.test\r\nContent-Length: 5\r\n\r\nhello"
                   b"GET /p/1 HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [404, 200], r)
        self.assertEqual(finals[1].header("x-backend-id"), "pregex")


if __name__ == "__main__":
    h.main()
