#!/usr/bin/env python3
"""What backends send back: malformed or ambiguous response heads become 502 (never passed
on), interim 1xx responses are skipped, truncated bodies close the client connection, and
bytes a backend sends beyond its response never reach the next client."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

NORMAL = b"HTTP/1.1 200 OK\r\nX-Normal: 1\r\nContent-Length: 6\r\n\r\nnormal"

# Response heads a strict proxy must refuse (502), never forward.
INVALID = {
    "cl_and_te": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "cl_duplicate_differing": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "obs_fold": b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
    "nul_in_field": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok",
    "space_before_colon": b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
    "bad_status_code": b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
    "not_http": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
    "switching_protocols": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    "huge_head": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 40000 + b"\r\nContent-Length: 2\r\n\r\nok",
}

SPECIAL = {
    "early_hints": b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                   b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "interim_100": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "bad_chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\nhello\r\n0\r\n\r\n",
    "short_body": [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", None],
    "until_close": [b"HTTP/1.1 200 OK\r\n\r\nread until close", None],
    "bait": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            b"HTTP/1.1 200 OK\r\nX-Bait: 1\r\nContent-Length: 4\r\n\r\nbait",
    "bait_late": [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0.2,
                  b"HTTP/1.1 200 OK\r\nX-Bait: 1\r\nContent-Length: 4\r\n\r\nbait"],
    "no_content_with_cl": b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    "te_gzip_until_close": [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00gzip", None],
    "chunked_with_trailer": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
}


def responder(req):
    name = req.target.rsplit("/", 1)[-1].split("?")[0]
    return INVALID.get(name) or SPECIAL.get(name) or NORMAL


class UpstreamResponsesTest(h.GatewayTestCase):
    needs_echo = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Two identical backends, so that a GET retried after an invalid response meets the
        # same answer again (a single backend hits the "no backend left" path instead).
        cls.r1 = cls.own_class(h.RecordingBackend("r1", responder=responder))
        cls.r2 = cls.own_class(h.RecordingBackend("r2", responder=responder))
        cls.gw = cls.own_class(h.Gateway(lambda p: h.simple_config(
            p, [cls.r1.address, cls.r2.address], timeouts={"upstream_response": "5s"})))

    def setUp(self):
        self.assertTrue(self.gw.proc.alive(), "the gateway died:\n" + self.gw.log())

    def tearDown(self):
        self.assertTrue(self.gw.proc.alive(), "the gateway died:\n" + self.gw.log())
        # Whatever happened, the next client gets a clean, complete answer.
        for _ in range(3):
            r = h.raw_exchange(self.gw.port, b"GET /normal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                               timeout=10)
            finals = r.finals()
            self.assertEqual([(x.status, x.body) for x in finals], [(200, b"normal")], r)

    def get(self, name, method=b"GET", timeout=5.0, until_close=False):
        """One keep-alive request; reads until one complete response (or the close)."""
        return h.raw_exchange(self.gw.port, method + b" /r/" + name.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                              timeout=timeout,
                              until=None if until_close else h.has_complete_responses(1))

    def test_invalid_response_heads_502(self):
        for name in INVALID:
            for method in (b"GET", b"POST"):
                with self.subTest(name, method=method):
                    r = self.get(name, method)
                    finals = r.finals()
                    self.assertEqual(len(finals), 1, r)
                    self.assertEqual(finals[0].status, 502, r)
                    self.assertIn(b"invalid response", finals[0].body, r)
                    self.assertNotIn(b"X-A", r.data)
                    self.assertNotIn(b"hello", r.data)

    def test_interim_responses_skipped(self):
        for name in ("early_hints", "interim_100"):
            with self.subTest(name):
                r = self.get(name)
                responses = r.responses()
                self.assertEqual([(x.status, x.body) for x in responses], [(200, b"ok")], r)

    def test_bad_chunked_response_body_closes_client(self):
        r = self.get("bad_chunk", until_close=True)
        self.assertTrue(r.closed, r)
        responses = r.responses()
        self.assertEqual(len(responses), 1, r)
        self.assertTrue(getattr(responses[0], "incomplete", False), "a broken body was completed")
        self.assertNotIn(b"hello", r.data)

    def test_short_body_closes_client(self):
        r = self.get("short_body", until_close=True)
        self.assertTrue(r.closed, r)
        responses = r.responses()
        self.assertEqual(len(responses), 1, r)
        self.assertTrue(getattr(responses[0], "incomplete", False))

    def test_body_until_close_relayed_then_client_closed(self):
        r = self.get("until_close", until_close=True)
        self.assertTrue(r.closed, r)
        finals = r.finals()
        self.assertEqual([(x.status, x.body) for x in finals], [(200, b"read until close")], r)
        self.assertEqual(finals[0].header("connection"), "close")

    def test_chunked_response_with_trailer(self):
        r = self.get("chunked_with_trailer")
        finals = r.finals()
        self.assertEqual([(x.status, x.body) for x in finals], [(200, b"ok")], r)

    def test_no_content_response_has_no_body(self):
        # Pipelined after a 204 carrying Content-Length: 5, the next response must be intact.
        payload = (b"GET /r/no_content_with_cl HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /r/normal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        r = h.raw_exchange(self.gw.port, payload, timeout=10)
        self.assertEqual([(x.status, x.body) for x in r.finals()], [(204, b""), (200, b"normal")], r)

    def test_bytes_after_response_never_reach_next_client(self):
        for name in ("bait", "bait_late"):
            with self.subTest(name):
                r = self.get(name)
                self.assertEqual([(x.status, x.body) for x in r.finals()], [(200, b"ok")], r)
                time.sleep(0.4)
                for _ in range(4):
                    r = h.raw_exchange(self.gw.port, b"GET /normal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                       timeout=10)
                    self.assertNotIn(b"bait", r.data)
                    self.assertNotIn(b"X-Bait", r.data)
                    self.assertEqual([(x.status, x.body) for x in r.finals()], [(200, b"normal")], r)

    def test_transfer_coded_response_to_http10_client_502(self):
        # An HTTP/1.0 client cannot be sent a transfer coding: 502, not the coded bytes.
        r = h.raw_exchange(self.gw.port, b"GET /r/te_gzip_until_close HTTP/1.0\r\nHost: x\r\n\r\n",
                           timeout=10)
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [502], r)
        self.assertNotIn(b"\x1f\x8b", r.data)

    def test_transfer_coded_response_not_passed_as_identity(self):
        r = self.get("te_gzip_until_close")
        finals = r.finals()
        self.assertEqual(len(finals), 1, r)
        if finals[0].status == 200:
            self.assertIn("gzip", (finals[0].header("transfer-encoding") or "").lower(), r)
        else:
            self.assertEqual(finals[0].status, 502, r)


if __name__ == "__main__":
    h.main()
