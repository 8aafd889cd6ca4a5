#!/usr/bin/env python3
"""Proxying: methods and bodies (Content-Length, chunked, large, 100-continue), big and
chunked responses, header preservation and the headers the gateway adds or drops,
pipelining, HTTP/1.0, absolute-form targets, trailers, IPv6 loopback."""

import hashlib
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

CONFIG = """listen: ["127.0.0.1:{port}"]
workers: 1
timeouts: {{ connect: 1s, request_header: 5s, upstream_response: 15s, client_idle: 30s, upstream_idle: 4s, drain: 5s }}
upstreams:
  main: {{ backends: ["{a}"] }}
  other: {{ backends: ["{b}"] }}
  chunky: {{ backends: ["{c}"] }}
  rec: {{ backends: ["{rec}"] }}
  rechop: {{ backends: ["{rechop}"] }}
routes:
  - {{ name: rec, match: {{ path_prefix: /rec/ }}, upstream: rec }}
  - {{ name: rechop, match: {{ path_prefix: /hop/ }}, upstream: rechop }}
  - {{ name: chunky, match: {{ path_prefix: /chunky/ }}, upstream: chunky }}
  - {{ name: other, match: {{ host: b.example }}, upstream: other }}
  - {{ name: all, match: {{ path_prefix: / }}, upstream: main }}
"""


def echoed_head(body):
    """The request head tidegate-echo's /echo saw (its body starts with it)."""
    end = body.find(b"\r\n\r\n")
    return body[:end + 4] if end >= 0 else body


def head_fields(head):
    lines = head[:-4].split(b"\r\n")
    out = []
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        out.append((k.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
    return lines[0].decode("latin-1"), out


def values(fields, name):
    return [v for k, v in fields if k.lower() == name.lower()]


class ProxyTest(h.GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = cls.own_class(h.Echo("A"))
        cls.b = cls.own_class(h.Echo("B"))
        cls.c = cls.own_class(h.Echo("C", ["--chunked"]))
        cls.rec = cls.own_class(h.RecordingBackend("rec"))
        cls.rechop = cls.own_class(h.RecordingBackend(
            "rechop", response_headers=b"Connection: X-Resp-Hop, Keep-Alive\r\nX-Resp-Hop: secret\r\n"
                                       b"Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
                                       b"Upgrade: h2c\r\nX-End-To-End: kept\r\n"))
        cfg = CONFIG.format(port="{port}", a=cls.a.address, b=cls.b.address, c=cls.c.address,
                            rec=cls.rec.address, rechop=cls.rechop.address)
        cls.gw = cls.own_class(h.Gateway(cfg))
        cls.tmp = h.make_tmpdir()

    def setUp(self):
        self.assertTrue(self.gw.proc.alive(), "the gateway died:\n" + self.gw.log())
        self.rec.clear()

    def tearDown(self):
        self.assertTrue(self.gw.proc.alive(), "the gateway died:\n" + self.gw.log())

    def request(self, method="GET", path="/", headers=None, body=None):
        return h.http_request(self.gw.port, method, path, headers, body)

    def rec_request(self, payload, n=1):
        """Sends raw bytes to the /rec/ route and returns (RawResult, recorded requests)."""
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        reqs = h.wait_until(lambda: len(self.rec.requests()) >= n and self.rec.requests(), timeout=5)
        return r, reqs or []

    def write_file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    # -- methods and bodies ------------------------------------------------------------------

    def test_get(self):
        status, headers, body = self.request("GET", "/echo?x=1")
        self.assertEqual(status, 200)
        self.assertEqual(h.get_header(headers, "X-Backend-Id"), "A")
        self.assertTrue(body.startswith(b"GET /echo?x=1 HTTP/1.1\r\n"), body)

    def test_head_has_no_body(self):
        # HEAD then GET pipelined: a HEAD response body would corrupt the second response.
        payload = (b"HEAD /x?size=1000 HTTP/1.1\r\nHost: a\r\n\r\n"
                   b"GET /x?size=10 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        finals = r.finals(head_requests=(0,))
        self.assertEqual([x.status for x in finals], [200, 200], r)
        self.assertEqual(finals[0].header("content-length"), "1000", r)
        self.assertEqual(finals[1].body, b"x" * 10, r)

    def test_head_to_chunked_backend_has_no_body(self):
        payload = (b"HEAD /chunky/x?size=1000 HTTP/1.1\r\nHost: a\r\n\r\n"
                   b"GET /chunky/x?size=10 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        finals = r.finals(head_requests=(0,))
        self.assertEqual([x.status for x in finals], [200, 200], r)
        self.assertEqual(finals[1].body, b"x" * 10, r)
        self.assertEqual(finals[1].header("x-backend-id"), "C")

    def test_post_content_length(self):
        data = bytes(range(256)) * 40
        status, headers, body = self.request("POST", "/echo", {"Content-Type": "application/octet-stream"}, data)
        self.assertEqual(status, 200)
        line, fields = head_fields(echoed_head(body))
        self.assertEqual(line, "POST /echo HTTP/1.1")
        self.assertEqual(values(fields, "content-length"), [str(len(data))])
        self.assertEqual(body[len(echoed_head(body)):], data)

    def test_post_chunked_with_curl(self):
        data = os.urandom(300_000)
        path = self.write_file("chunked.bin", data)
        p = h.curl(["-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/octet-stream",
                    "--data-binary", "@" + path, self.gw.url("/echo")])
        self.assertEqual(p.returncode, 0, p.stderr)
        head = echoed_head(p.stdout)
        _, fields = head_fields(head)
        self.assertEqual(values(fields, "transfer-encoding"), ["chunked"])
        self.assertEqual(values(fields, "content-length"), [])
        self.assertEqual(p.stdout[len(head):], data)

    def test_post_chunked_to_recorder_is_reencoded(self):
        body = b"hello, world"
        payload = (b"POST /rec/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   b"5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n")
        r, reqs = self.rec_request(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        self.assertEqual(len(reqs), 1)
        self.assertTrue(reqs[0].chunked)
        self.assertEqual(reqs[0].body, body)
        self.assertEqual(reqs[0].header_all("transfer-encoding"), ["chunked"])
        self.assertEqual(reqs[0].header_all("content-length"), [])

    def test_large_body_content_length(self):
        data = os.urandom(8 * 1024 * 1024)
        path = self.write_file("large.bin", data)
        # -H 'Expect:' so this test is about streaming, not 100-continue.
        p = h.curl(["-H", "Expect:", "-H", "Content-Type: application/octet-stream",
                    "--data-binary", "@" + path, self.gw.url("/echo")], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        head = echoed_head(p.stdout)
        _, fields = head_fields(head)
        self.assertEqual(values(fields, "content-length"), [str(len(data))])
        got = p.stdout[len(head):]
        self.assertEqual(len(got), len(data))
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_large_body_chunked(self):
        data = os.urandom(6 * 1024 * 1024)
        path = self.write_file("large-chunked.bin", data)
        p = h.curl(["-H", "Expect:", "-H", "Transfer-Encoding: chunked",
                    "-H", "Content-Type: application/octet-stream",
                    "--data-binary", "@" + path, self.gw.url("/echo")], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = p.stdout[len(echoed_head(p.stdout)):]
        self.assertEqual(len(got), len(data))
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_big_response_content_length(self):
        n = 20 * 1000 * 1000
        p = h.curl(["-o", "-", self.gw.url(f"/big?size={n}")], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(p.stdout), n)
        self.assertEqual(p.stdout.count(b"x"), n)

    def test_big_response_chunked(self):
        n = 5 * 1000 * 1000
        p = h.curl(["-si", self.gw.url(f"/chunky/big?size={n}")], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        head, _, body = p.stdout.partition(b"\r\n\r\n")
        self.assertIn(b"transfer-encoding: chunked", head.lower())
        self.assertEqual(len(body), n)
        self.assertEqual(body.count(b"x"), n)

    def test_chunked_response_to_http10_client_is_dechunked(self):
        # An HTTP/1.0 client cannot read chunked: the gateway de-chunks and closes.
        r = h.raw_exchange(self.gw.port, b"GET /chunky/x?size=5000 HTTP/1.0\r\nHost: a\r\n\r\n", timeout=10)
        self.assertTrue(r.closed, r)
        finals = r.finals()
        self.assertEqual(len(finals), 1, r)
        self.assertEqual(finals[0].status, 200)
        self.assertIsNone(finals[0].header("transfer-encoding"), r)
        self.assertEqual(finals[0].body, b"x" * 5000)

    # -- headers -----------------------------------------------------------------------------

    def test_end_to_end_headers_preserved_byte_for_byte(self):
        fields = [
            (b"X-Mixed-CASE", b"Value With  Two  Spaces"),
            (b"x-lower", b"a,b ; c=\"quoted, string\""),
            (b"X-Obs-Text", b"caf\xe9 \xff"),
            (b"X-Empty", b""),
            (b"X-Dup", b"1"),
            (b"Accept", b"text/html;q=0.9, */*;q=0.1"),
            (b"X-Dup", b"2"),
            (b"Cookie", b"a=1; b=2"),
            (b"X-Tab-Inside", b"a\tb"),
            (b"X-Symbols", b"!#$%&'*+-.^_`|~:/?[]@"),
        ]
        head = b"GET /rec/h?q=%20a&b HTTP/1.1\r\nHost: Example.COM:8080\r\n"
        head += b"".join(k + b": " + v + b"\r\n" for k, v in fields)
        head += b"Connection: close\r\n\r\n"
        r, reqs = self.rec_request(head)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        got = reqs[0]
        self.assertEqual(got.request_line, "GET /rec/h?q=%20a&b HTTP/1.1")
        raw_lines = got.head.split(b"\r\n")
        self.assertIn(b"Host: Example.COM:8080", raw_lines)
        # Every end-to-end field arrives exactly (name case and value bytes), in order; only
        # the optional whitespace after an empty value may differ.
        names = {k.lower() for k, _ in fields}
        forwarded = [line.rstrip(b" ") for line in raw_lines if line.split(b":")[0].lower() in names]
        expected = [(k + b": " + v).rstrip(b" ") for k, v in fields]
        self.assertEqual(forwarded, expected)

    def test_x_forwarded_for_appended(self):
        _, _, body = self.request("GET", "/echo", {"X-Forwarded-For": "203.0.113.7"})
        _, fields = head_fields(echoed_head(body))
        self.assertEqual(values(fields, "x-forwarded-for"), ["203.0.113.7, 127.0.0.1"])

    def test_x_forwarded_for_multiple_lines_kept_in_order(self):
        payload = (b"GET /rec/xff HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.1, 10.0.0.1\r\n"
                   b"X-Forwarded-For: 192.0.2.9\r\nConnection: close\r\n\r\n")
        _, reqs = self.rec_request(payload)
        self.assertEqual(reqs[0].header_all("x-forwarded-for"),
                         ["198.51.100.1, 10.0.0.1, 192.0.2.9, 127.0.0.1"])

    def test_x_forwarded_for_absent(self):
        _, _, body = self.request("GET", "/echo")
        _, fields = head_fields(echoed_head(body))
        self.assertEqual(values(fields, "x-forwarded-for"), ["127.0.0.1"])

    def test_x_forwarded_proto(self):
        # A client-supplied X-Forwarded-Proto must not survive: the gateway speaks for itself.
        _, _, body = self.request("GET", "/echo", {"X-Forwarded-Proto": "https"})
        _, fields = head_fields(echoed_head(body))
        self.assertEqual(values(fields, "x-forwarded-proto"), ["http"])

    def test_x_request_id_generated_when_absent(self):
        ids = []
        for _ in range(3):
            _, _, body = self.request("GET", "/echo")
            _, fields = head_fields(echoed_head(body))
            got = values(fields, "x-request-id")
            self.assertEqual(len(got), 1, fields)
            self.assertRegex(got[0], r"^[0-9A-Za-z._-]{8,}$")
            ids.append(got[0])
        self.assertEqual(len(set(ids)), 3, ids)

    def test_x_request_id_kept_when_present(self):
        _, _, body = self.request("GET", "/echo", {"X-Request-Id": "client-id-42"})
        _, fields = head_fields(echoed_head(body))
        self.assertEqual(values(fields, "x-request-id"), ["client-id-42"])

    def test_hop_by_hop_request_headers_stripped(self):
        payload = (b"GET /rec/hop HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: keep-alive, X-Custom-Hop, x-other-hop\r\n"
                   b"X-Custom-Hop: 1\r\nX-Other-Hop: 2\r\n"
                   b"Keep-Alive: timeout=5, max=100\r\n"
                   b"TE: trailers\r\n"
                   b"Upgrade: websocket\r\n"
                   b"Proxy-Connection: keep-alive\r\n"
                   b"X-End-To-End: kept\r\n\r\n")
        r, reqs = self.rec_request(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        names = reqs[0].header_names()
        for hop in ("connection", "x-custom-hop", "x-other-hop", "keep-alive", "te", "upgrade",
                    "proxy-connection"):
            self.assertNotIn(hop, names, reqs[0].head)
        self.assertEqual(reqs[0].header("x-end-to-end"), "kept")

    def test_hop_by_hop_response_headers_stripped(self):
        r = h.raw_exchange(self.gw.port, b"GET /hop/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                           timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200], r)
        names = [k.lower() for k, _ in finals[0].headers]
        for hop in ("x-resp-hop", "keep-alive", "proxy-connection", "upgrade"):
            self.assertNotIn(hop, names, r)
        self.assertEqual(finals[0].header("x-end-to-end"), "kept", r)
        self.assertEqual(finals[0].header("connection"), "close", r)

    # -- connection handling -----------------------------------------------------------------

    def test_pipelining_three_requests_in_order(self):
        # The first one is the slowest: responses must still come back in request order.
        payload = (b"GET /echo?n=1&latency=300ms HTTP/1.1\r\nHost: a\r\n\r\n"
                   b"GET /echo?n=2&latency=100ms HTTP/1.1\r\nHost: a\r\n\r\n"
                   b"GET /echo?n=3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200, 200, 200], r)
        for i, resp in enumerate(finals, 1):
            self.assertTrue(resp.body.startswith(b"GET /echo?n=%d" % i), resp)
        self.assertTrue(r.closed)

    def test_pipelining_with_bodies(self):
        payload = (b"POST /echo?n=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst"
                   b"POST /echo?n=2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n"
                   b"GET /echo?n=3 HTTP/1.1\r\nHost: a\r\n\r\n")
        s = h.raw_connect(self.gw.port)
        try:
            s.sendall(payload)
            r = h.read_until_close(s, timeout=10, until=h.has_complete_responses(3))
        finally:
            s.close()
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200, 200, 200], r)
        self.assertTrue(finals[0].body.endswith(b"\r\n\r\nfirst"), finals[0])
        self.assertTrue(finals[1].body.endswith(b"\r\n\r\nsecond"), finals[1])
        self.assertTrue(finals[2].body.startswith(b"GET /echo?n=3"), finals[2])

    def test_keep_alive_connection_reused(self):
        s = h.raw_connect(self.gw.port)
        try:
            for i in range(5):
                s.sendall(b"GET /echo?i=%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
                r = h.read_until_close(s, timeout=10, until=h.has_complete_responses(1))
                finals = r.finals()
                self.assertEqual([x.status for x in finals], [200], r)
                self.assertTrue(finals[0].body.startswith(b"GET /echo?i=%d" % i))
                self.assertFalse(r.closed)
        finally:
            s.close()

    def test_http10_without_keep_alive_closes(self):
        r = h.raw_exchange(self.gw.port, b"GET /echo HTTP/1.0\r\nHost: a\r\n\r\n", timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200], r)
        self.assertTrue(r.closed, "HTTP/1.0 without keep-alive must close")
        self.assertNotEqual((finals[0].header("connection") or "").lower(), "keep-alive")
        # The backend is spoken to in HTTP/1.1.
        self.assertTrue(finals[0].body.startswith(b"GET /echo HTTP/1.1\r\n"), finals[0].body)

    def test_http10_keep_alive(self):
        s = h.raw_connect(self.gw.port)
        try:
            for i in range(2):
                s.sendall(b"GET /echo?i=%d HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n" % i)
                r = h.read_until_close(s, timeout=10, until=h.has_complete_responses(1))
                finals = r.finals()
                self.assertEqual([x.status for x in finals], [200], r)
                self.assertEqual(finals[0].header("connection", "").lower(), "keep-alive", r)
                self.assertFalse(r.closed, r)
                self.assertTrue(finals[0].body.startswith(b"GET /echo?i=%d HTTP/1.1" % i))
        finally:
            s.close()

    def test_http10_without_host_gets_host_upstream(self):
        r = h.raw_exchange(self.gw.port, b"GET /rec/h10 HTTP/1.0\r\n\r\n", timeout=10)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        reqs = h.wait_until(self.rec.requests, timeout=5)
        self.assertEqual(reqs[0].request_line, "GET /rec/h10 HTTP/1.1")
        self.assertEqual(len(reqs[0].header_all("host")), 1, reqs[0].head)
        self.assertNotEqual(reqs[0].header("host"), "", reqs[0].head)
        # And end to end through a strict backend:
        r = h.raw_exchange(self.gw.port, b"GET /echo HTTP/1.0\r\n\r\n", timeout=10)
        self.assertEqual([x.status for x in r.finals()], [200], r)

    def test_expect_100_continue_with_curl_large_body(self):
        data = os.urandom(2 * 1024 * 1024)
        path = self.write_file("expect.bin", data)
        p = h.curl(["-v", "-H", "Expect: 100-continue", "-H", "Content-Type: application/octet-stream",
                    "--expect100-timeout", "20",
                    "--data-binary", "@" + path, self.gw.url("/echo")], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("HTTP/1.1 100 Continue", p.stderr)
        self.assertRegex(p.stderr, r"< HTTP/1.1 200")
        head = echoed_head(p.stdout)
        _, fields = head_fields(head)
        self.assertEqual(values(fields, "expect"), [], "Expect is the gateway's business")
        self.assertEqual(hashlib.sha256(p.stdout[len(head):]).digest(), hashlib.sha256(data).digest())

    def test_expect_100_continue_curl_default(self):
        # curl adds "Expect: 100-continue" by itself to bodies over 1 MB.
        data = os.urandom(3 * 1024 * 1024 // 2)
        path = self.write_file("expect-default.bin", data)
        p = h.curl(["-v", "--expect100-timeout", "20", "-H", "Content-Type: application/octet-stream",
                    "--data-binary", "@" + path, self.gw.url("/echo")], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        if "> Expect: 100-continue" not in p.stderr:
            self.skipTest("this curl does not send Expect by itself")
        self.assertIn("< HTTP/1.1 100 Continue", p.stderr)
        self.assertRegex(p.stderr, r"< HTTP/1.1 200")
        self.assertEqual(hashlib.sha256(p.stdout[len(echoed_head(p.stdout)):]).digest(),
                         hashlib.sha256(data).digest())

    def test_expect_100_continue_raw(self):
        # The client really waits for the 100 before sending the body: no deadlock.
        s = h.raw_connect(self.gw.port)
        try:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            first = h.read_until_close(s, timeout=10, until=lambda d: b"\r\n\r\n" in d)
            self.assertTrue(first.data.startswith(b"HTTP/1.1 100"), first)
            s.sendall(b"hello")
            rest = h.read_until_close(s, timeout=10, until=h.has_complete_responses(1))
            data = first.data + rest.data
            finals = h.final_responses(h.parse_responses(data)[0])
            self.assertEqual([x.status for x in finals], [200], data)
            self.assertTrue(finals[0].body.endswith(b"\r\n\r\nhello"), finals[0])
        finally:
            s.close()

    def test_expect_100_continue_chunked_raw(self):
        s = h.raw_connect(self.gw.port)
        try:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            first = h.read_until_close(s, timeout=10, until=lambda d: b"\r\n\r\n" in d)
            self.assertTrue(first.data.startswith(b"HTTP/1.1 100"), first)
            s.sendall(b"5\r\nhello\r\n0\r\n\r\n")
            rest = h.read_until_close(s, timeout=10, until=h.has_complete_responses(1))
            finals = h.final_responses(h.parse_responses(first.data + rest.data)[0])
            self.assertEqual([x.status for x in finals], [200])
            self.assertTrue(finals[0].body.endswith(b"hello"), finals[0])
        finally:
            s.close()

    def test_expect_100_continue_body_already_sent(self):
        # A client that sends the body at once must not get a stray 100 after the response.
        r = h.raw_exchange(self.gw.port, b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                                         b"Expect: 100-continue\r\nConnection: close\r\n\r\nhello", timeout=10)
        responses = r.responses()
        finals = h.final_responses(responses)
        self.assertEqual([x.status for x in finals], [200], r)
        self.assertEqual(responses[-1].status, 200, "nothing may follow the final response")
        self.assertTrue(finals[0].body.endswith(b"hello"))

    def test_expect_ignored_for_http10(self):
        r = h.raw_exchange(self.gw.port, b"POST /echo HTTP/1.0\r\nHost: a\r\nContent-Length: 5\r\n"
                                         b"Expect: 100-continue\r\n\r\nhello", timeout=10)
        self.assertEqual([x.status for x in r.responses()], [200], r)

    def test_absolute_form_routed_by_authority(self):
        payload = (b"GET http://b.example/echo?z=1 HTTP/1.1\r\nHost: a.example\r\n"
                   b"Connection: close\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200], r)
        self.assertEqual(finals[0].header("x-backend-id"), "B", r)
        head = echoed_head(finals[0].body)
        line, fields = head_fields(head)
        self.assertEqual(line, "GET /echo?z=1 HTTP/1.1")
        self.assertEqual(values(fields, "host"), ["b.example"])

    def test_absolute_form_host_line_ignored(self):
        # The Host line says b.example, the authority a.example: route on the authority.
        payload = (b"GET http://a.example/echo HTTP/1.1\r\nHost: b.example\r\n"
                   b"Connection: close\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200], r)
        self.assertEqual(finals[0].header("x-backend-id"), "A", r)
        _, fields = head_fields(echoed_head(finals[0].body))
        self.assertEqual(values(fields, "host"), ["a.example"])

    def test_chunked_request_with_trailers(self):
        payload = (b"POST /rec/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n"
                   b"Connection: close\r\n\r\n"
                   b"4\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Checksum: abc123\r\nX-Other: 1\r\n\r\n")
        r, reqs = self.rec_request(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        self.assertEqual(len(reqs), 1)
        self.assertEqual(reqs[0].body, b"wikipedia")
        # Trailers may be dropped (RFC 9112 §7.1.2) or forwarded, but then intact.
        self.assertIn(reqs[0].trailers, (b"", b"X-Checksum: abc123\r\nX-Other: 1\r\n"))

    def test_chunked_request_with_trailers_via_echo(self):
        payload = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200], r)
        self.assertTrue(finals[0].body.endswith(b"abc"), finals[0])

    def test_client_half_close_still_answered(self):
        s = h.raw_connect(self.gw.port)
        try:
            s.sendall(b"GET /echo?half HTTP/1.1\r\nHost: a\r\n\r\n")
            s.shutdown(socket.SHUT_WR)
            r = h.read_until_close(s, timeout=10)
        finally:
            s.close()
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [200], r)
        self.assertTrue(finals[0].body.startswith(b"GET /echo?half HTTP/1.1"))

    def test_pipelining_burst_larger_than_read_buffer(self):
        # ~45 KB of pipelined requests in one write: more than one read buffer (16 KiB).
        n = 1000
        payload = b"".join(b"GET /rec/p%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(n))
        s = h.raw_connect(self.gw.port)
        try:
            s.sendall(payload)
            r = h.read_until_close(s, timeout=30, until=h.has_complete_responses(n))
        finally:
            s.close()
        self.assertEqual(len(r.finals()), n, r.data[-300:])
        self.assertTrue(all(x.status == 200 for x in r.finals()))
        targets = [x.target for x in h.wait_until(lambda: len(self.rec.requests()) >= n and self.rec.requests())]
        self.assertEqual(targets, ["/rec/p%d" % i for i in range(n)])

    def test_empty_post_keeps_content_length_0(self):
        r, reqs = self.rec_request(b"POST /rec/empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                                   b"Connection: close\r\n\r\n")
        self.assertEqual([x.status for x in r.finals()], [200], r)
        self.assertEqual(reqs[0].header_all("content-length"), ["0"], reqs[0].head)

    def test_status_codes_passed_through(self):
        for code in (201, 204, 301, 404, 418, 503):
            with self.subTest(code=code):
                status, headers, body = self.request("GET", f"/status/{code}")
                self.assertEqual(status, code)
                self.assertEqual(h.get_header(headers, "X-Backend-Id"), "A")


class ProxyIPv6Test(h.GatewayTestCase):
    """The gateway listening on [::1] in front of a backend on ::1."""

    def test_ipv6_loopback(self):
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
        except OSError:
            self.skipTest("no ::1 on this machine")
        rec = self.own(h.RecordingBackend("rec6", host="::1"))
        gw = self.gateway(lambda p: h.simple_config(p, [rec.address], host="::1"), host="::1")
        r = h.raw_exchange(gw.port, b"GET /v6 HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n",
                           host="::1", timeout=10)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        reqs = h.wait_until(rec.requests, timeout=5)
        self.assertEqual(reqs[0].header("x-forwarded-for"), "::1")
        self.assertEqual(reqs[0].header("host"), "[::1]")


if __name__ == "__main__":
    h.main()
