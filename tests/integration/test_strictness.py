#!/usr/bin/env python3
"""Strictness: malformed and ambiguous requests are refused with the right status, the client
connection is closed, and NOTHING reaches the backend (a recording raw-socket backend is the
oracle). Also the request-smuggling classics: a request hidden in a body never becomes a
second request at the backend.

Rules: /work/shared/design/http1-rules.md (RFC 9112, RFC 9110, RFC 6585)."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SETTLE = 0.3  # seconds to let anything wrongly forwarded land at the recorder


def req(head, body=b""):
    return head.encode("latin-1") + body if isinstance(head, str) else head + body


# (name, raw request, expected status). Every one must be answered with this status and a
# closed connection, and the recorder must receive no byte at all.
REJECTED = [
    # framing (R1, R4, R5)
    ("cl_and_te", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("te_and_cl", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("cl_duplicate_differing", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("cl_duplicate_identical_lines", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
    ("cl_list_5_5", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
    ("cl_list_differing", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello", 400),
    ("cl_plus_sign", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400),
    ("cl_negative", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    ("cl_hex", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello", 400),
    ("cl_internal_space", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\nhello", 400),
    ("cl_empty", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400),
    ("cl_overflow", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
    ("te_in_http10", b"POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    # transfer codings (R2, R3). RFC 9112 §6.3 rule 4: a request whose TE does not end in
    # chunked MUST get 400 (this includes a lone "gzip"); an unknown coding before chunked
    # gets 501 (RFC 9112 §6.1).
    ("te_gzip", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    ("te_gzip_then_chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    ("te_chunked_then_gzip", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
    ("te_chunked_twice", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    ("te_xchunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
    ("te_two_lines_last_not_chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n", 400),
    ("te_vertical_tab", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n", 400),
    # field syntax (R7, R8, R9, R10)
    ("obs_fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
    ("obs_fold_tab", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", 400),
    ("space_line_after_request_line", b"GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400),
    ("bare_lf_everywhere", b"GET / HTTP/1.1\nHost: x\n\n", 400),
    ("bare_lf_in_field_section", b"GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400),
    ("bare_lf_end_of_head", b"GET / HTTP/1.1\r\nHost: x\r\n\n", 400),
    ("bare_cr_in_field", b"GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n", 400),
    ("bare_cr_in_value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
    ("nul_in_value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    ("nul_in_name", b"GET / HTTP/1.1\r\nHost: x\r\nX-\x00A: b\r\n\r\n", 400),
    ("ctl_in_value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400),
    ("space_before_colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400),
    ("tab_before_colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-A\t: b\r\n\r\n", 400),
    ("space_before_colon_te", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc", 400),
    ("invalid_name_char_paren", b"GET / HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n", 400),
    ("invalid_name_char_at", b"GET / HTTP/1.1\r\nHost: x\r\nX@A: b\r\n\r\n", 400),
    ("empty_field_name", b"GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n", 400),
    ("no_colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-A b\r\n\r\n", 400),
    # Host (R13)
    ("missing_host_http11", b"GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400),
    ("duplicate_host", b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400),
    ("duplicate_host_same", b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n", 400),
    ("invalid_host_space", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    ("invalid_host_slash", b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    ("invalid_host_port", b"GET / HTTP/1.1\r\nHost: a.example:http\r\n\r\n", 400),
    ("invalid_host_userinfo", b"GET / HTTP/1.1\r\nHost: u@a.example\r\n\r\n", 400),
    # request-line (R11, R12, R14, R19)
    ("http_2_0", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("http_3_0", b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    ("h2_preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    ("lowercase_version", b"GET / http/1.1\r\nHost: x\r\n\r\n", 400),
    ("double_space", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("space_in_target", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("invalid_method", b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("fragment_in_target", b"GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", 400),
    ("userinfo_absolute_form", b"GET http://u@a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400),
    ("connect", b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 501),
    ("expect_unknown", b"GET / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417),
]


class StrictnessTest(h.GatewayTestCase):
    needs_echo = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rec = cls.own_class(h.RecordingBackend("rec"))
        routes = """  - { name: small, match: { path_prefix: /small }, upstream: main, max_body: 100 }
  - { name: all, match: { path_prefix: / }, upstream: main }"""
        cls.gw = cls.own_class(h.Gateway(lambda p: h.simple_config(
            p, [cls.rec.address], routes=routes,
            limits={"max_head_bytes": "16k", "max_request_line": "8k", "max_headers": 100},
            timeouts={"request_header": "5s"})))

    def setUp(self):
        self.assertTrue(self.gw.proc.alive(), "the gateway died:\n" + self.gw.log())
        self.rec.clear()

    def tearDown(self):
        self.assertTrue(self.gw.proc.alive(), "the gateway died:\n" + self.gw.log())

    # -- helpers ------------------------------------------------------------------------------

    def exchange(self, payload, **kw):
        return h.raw_exchange(self.gw.port, payload, **kw)

    def assertRejected(self, result, status, nothing_forwarded=True):
        finals = result.finals()
        self.assertEqual(len(finals), 1, f"expected exactly one response: {result!r}")
        self.assertEqual(finals[0].status, status, f"{result!r}")
        self.assertTrue(result.closed, f"the gateway did not close the connection: {result!r}")
        self.assertEqual((finals[0].header("connection") or "").lower(), "close", f"{result!r}")
        if nothing_forwarded:
            time.sleep(SETTLE)
            self.assertEqual(self.rec.received(), b"", "bytes reached the backend")

    # -- positive control: the oracle does see what is forwarded --------------------------------

    def test_control_valid_request_reaches_recorder(self):
        r = self.exchange(b"GET /control HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual([x.status for x in r.finals()], [200], r)
        reqs = h.wait_until(self.rec.requests, timeout=5)
        self.assertEqual(len(reqs), 1)
        self.assertEqual(reqs[0].target, "/control")

    def test_control_leading_empty_line_tolerated(self):
        # R11: a server SHOULD ignore at least one empty line before the request-line.
        r = self.exchange(b"\r\nGET /lead HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual([x.status for x in r.finals()], [200], r)

    def test_control_http_1_2_served_as_1_1(self):
        # R14: a higher minor version is served as HTTP/1.1.
        r = self.exchange(b"GET /v12 HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual([x.status for x in r.finals()], [200], r)
        reqs = h.wait_until(self.rec.requests, timeout=5)
        self.assertEqual(reqs[0].request_line, "GET /v12 HTTP/1.1")

    # -- limits (R18) ------------------------------------------------------------------------

    def test_oversized_header_431(self):
        payload = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
        self.assertRejected(self.exchange(payload), 431)

    def test_too_many_headers_431(self):
        fields = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
        payload = b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"
        self.assertRejected(self.exchange(payload), 431)

    def test_oversized_uri_414(self):
        payload = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        self.assertRejected(self.exchange(payload), 414)

    def test_long_uri_within_limit_accepted(self):
        # R12: request-lines of at least 8000 octets are RECOMMENDED to be supported; 7000 is
        # comfortably inside the configured 8k.
        path = b"/" + b"a" * 7000
        r = self.exchange(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual([x.status for x in r.finals()], [200], r)
        reqs = h.wait_until(self.rec.requests, timeout=5)
        self.assertEqual(reqs[0].target.encode(), path)

    def test_body_over_route_max_body_413(self):
        payload = b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + b"b" * 101
        self.assertRejected(self.exchange(payload), 413)

    def test_body_at_route_max_body_accepted(self):
        payload = (b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
                   + b"b" * 100)
        r = self.exchange(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)

    def test_expect_100_continue_over_max_body_413_without_100(self):
        # The client waits for 100 before sending its body: the gateway must answer 413 at
        # once, never 100, and must not wait for a body.
        s = h.raw_connect(self.gw.port)
        try:
            s.sendall(b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            r = h.read_until_close(s, timeout=10)
        finally:
            s.close()
        self.assertFalse(r.data.startswith(b"HTTP/1.1 100"), r)
        self.assertRejected(r, 413)

    def test_chunked_body_over_route_max_body_413(self):
        # A chunked body's size is only known while streaming: the gateway must still answer
        # 413 and close, and the backend must never receive a complete request.
        body = b"40\r\n" + b"c" * 64 + b"\r\n" + b"40\r\n" + b"c" * 64 + b"\r\n0\r\n\r\n"
        payload = b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body
        self.assertRejected(self.exchange(payload), 413, nothing_forwarded=False)
        time.sleep(SETTLE)
        self.assertEqual(self.rec.requests(), [], "a complete request reached the backend")

    # -- bad chunked bodies ------------------------------------------------------------------

    BAD_CHUNKS = [
        ("0x_prefix", b"0x5\r\nhello\r\n0\r\n\r\n"),
        ("overflow_17_digits", b"10000000000000005\r\nhello\r\n0\r\n\r\n"),
        ("overflow_ffff", b"ffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
        ("junk_size", b"zz\r\nhello\r\n0\r\n\r\n"),
        ("junk_after_size", b"5 junk\r\nhello\r\n0\r\n\r\n"),
        ("negative_size", b"-5\r\nhello\r\n0\r\n\r\n"),
        ("empty_size", b"\r\nhello\r\n0\r\n\r\n"),
        ("bare_lf_size_line", b"5\nhello\r\n0\r\n\r\n"),
        ("bare_cr_size_line", b"5\rhello\r\n0\r\n\r\n"),
        ("data_longer_than_size", b"3\r\nhello\r\n0\r\n\r\n"),
        ("missing_crlf_after_data", b"5\r\nhelloX0\r\n\r\n"),
    ]

    def _bad_chunk_payload(self, body):
        return b"POST /chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body

    def test_bad_chunked_body_rejected_no_request_completes(self):
        # 400 and close; the backend may have seen the head (the gateway streams bodies), but
        # never a complete request and never a byte of the malformed body.
        for name, body in self.BAD_CHUNKS:
            with self.subTest(name):
                self.rec.clear()
                self.assertRejected(self.exchange(self._bad_chunk_payload(body)), 400,
                                    nothing_forwarded=False)
                time.sleep(SETTLE)
                self.assertEqual(self.rec.requests(), [])
                got = self.rec.received()
                self.assertNotIn(b"hello", got)
                self.assertNotIn(b"0\r\n\r\n", got)

    def test_bad_chunked_body_nothing_reaches_backend(self):
        for name, body in self.BAD_CHUNKS:
            with self.subTest(name):
                self.rec.clear()
                self.assertRejected(self.exchange(self._bad_chunk_payload(body)), 400)

    def test_bad_chunk_in_a_later_packet(self):
        # The body streams, so the head may have gone upstream; the request must still never
        # complete there and nothing from the bad chunk on may be forwarded.
        for first_body in (b"", b"5\r\nhello\r\n"):
            with self.subTest(first_body=first_body):
                self.rec.clear()
                head = b"POST /chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                r = self.exchange(b"", pieces=[head + first_body, b"zz\r\nWORLD\r\n0\r\n\r\n"],
                                  pause=0.3)
                self.assertRejected(r, 400, nothing_forwarded=False)
                time.sleep(SETTLE)
                self.assertEqual(self.rec.requests(), [])
                self.assertNotIn(b"WORLD", self.rec.received())
                self.assertNotIn(b"zz", self.rec.received())

    # -- request smuggling -------------------------------------------------------------------

    def assertNothingSmuggled(self, max_requests):
        time.sleep(SETTLE)
        reqs = self.rec.requests()
        self.assertLessEqual(len(reqs), max_requests, [r.request_line for r in reqs])
        for r in reqs:
            self.assertNotIn("smuggled", r.target.lower())
        # No byte of a hidden request line may appear outside a body the backend framed.
        raw = self.rec.received()
        framed = b"".join(r.head + r.body for r in reqs)
        self.assertEqual(raw.count(b"/smuggled"), framed.count(b"/smuggled"))

    HIDDEN = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

    def test_smuggle_cl_te_classic(self):
        # Front end uses CL, back end TE (or the reverse): must be refused outright.
        payload = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n\r\nG" + self.HIDDEN)
        self.assertRejected(self.exchange(payload), 400)
        self.assertNothingSmuggled(0)

    def test_smuggle_te_cl_classic(self):
        hidden = self.HIDDEN
        payload = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + b"%x\r\n" % len(hidden) + hidden + b"\r\n0\r\n\r\n")
        self.assertRejected(self.exchange(payload), 400)
        self.assertNothingSmuggled(0)

    def test_smuggle_te_te_obfuscated(self):
        variants = [
            b"Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n",
            b"Transfer-Encoding: chunked\r\nTransfer-encoding: cow\r\n",
            b"Transfer-Encoding : chunked\r\n",
            b"Transfer-Encoding: xchunked\r\n",
            b"Transfer-Encoding:\x0bchunked\r\n",
            b"Transfer-Encoding: \"chunked\"\r\n",
            b"Transfer-Encoding\r\n : chunked\r\n",
            b"X: y\r\nTransfer-Encoding\n: chunked\r\n",
        ]
        for te in variants:
            with self.subTest(te=te):
                self.rec.clear()
                payload = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n" + te + b"\r\n"
                           b"5c\r\n" + self.HIDDEN + b"0\r\n\r\n")
                r = self.exchange(payload)
                finals = r.finals()
                self.assertEqual(len(finals), 1, r)
                self.assertIn(finals[0].status, (400, 501), r)
                self.assertTrue(r.closed, r)
                self.assertNothingSmuggled(0)

    def test_hidden_request_in_content_length_body_stays_body(self):
        payload = (b"POST /outer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                   % len(self.HIDDEN) + self.HIDDEN)
        r = self.exchange(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        self.assertNothingSmuggled(1)
        reqs = self.rec.requests()
        self.assertEqual(reqs[0].target, "/outer")
        self.assertEqual(reqs[0].body, self.HIDDEN)

    def test_hidden_request_in_chunked_body_stays_body(self):
        payload = (b"POST /outer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   + b"%x\r\n" % len(self.HIDDEN) + self.HIDDEN + b"\r\n0\r\n\r\n")
        r = self.exchange(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        self.assertNothingSmuggled(1)
        reqs = self.rec.requests()
        self.assertEqual(reqs[0].target, "/outer")
        self.assertEqual(reqs[0].body, self.HIDDEN)

    def test_hidden_request_in_get_body_stays_body(self):
        payload = (b"GET /outer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                   % len(self.HIDDEN) + self.HIDDEN)
        r = self.exchange(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        self.assertNothingSmuggled(1)
        self.assertEqual(self.rec.requests()[0].body, self.HIDDEN)

    def test_chunk_extension_cannot_hide_a_request(self):
        # A chunk extension is dropped when re-encoding; its text must never become a line.
        payload = (b"POST /outer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   b"3;ext=\"GET /smuggled\"\r\nabc\r\n0\r\n\r\n")
        r = self.exchange(payload)
        statuses = [x.status for x in r.finals()]
        self.assertIn(statuses, ([200], [400]), r)
        self.assertNothingSmuggled(1)
        if statuses == [200]:
            self.assertEqual(self.rec.requests()[0].body, b"abc")
            self.assertNotIn(b"smuggled", self.rec.received())

    def test_pipelined_after_connection_close_not_processed(self):
        # R15: after Connection: close, no further request on that connection is processed.
        payload = b"GET /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + self.HIDDEN
        r = self.exchange(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        self.assertTrue(r.closed, r)
        self.assertNothingSmuggled(1)

    def test_pipelined_after_http10_not_processed(self):
        payload = b"GET /first HTTP/1.0\r\n\r\n" + self.HIDDEN
        r = self.exchange(payload)
        self.assertEqual([x.status for x in r.finals()], [200], r)
        self.assertTrue(r.closed, r)
        self.assertNothingSmuggled(1)

    def test_pipelined_after_rejected_request_not_processed(self):
        payload = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc"
                   + self.HIDDEN)
        self.assertRejected(self.exchange(payload), 400)
        self.assertNothingSmuggled(0)

    def test_valid_then_malformed_pipelined(self):
        payload = (b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /second HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n" + self.HIDDEN)
        r = self.exchange(payload)
        self.assertEqual([x.status for x in r.finals()], [200, 400], r)
        self.assertTrue(r.closed, r)
        self.assertNothingSmuggled(1)
        self.assertEqual(self.rec.requests()[0].target, "/first")


def _make_rejection_test(payload, status):
    def test(self):
        self.assertRejected(self.exchange(payload), status)
    return test


for _name, _payload, _status in REJECTED:
    setattr(StrictnessTest, f"test_reject_{_name}_{_status}", _make_rejection_test(_payload, _status))


if __name__ == "__main__":
    h.main()
