#!/usr/bin/env python3
"""Failures: refused backends (retried elsewhere, or 502 naming the cause), slow backends
(504), slowloris clients (408), backends that die mid-response, backends that close idle
keep-alive connections, and a backend killed under load."""

import os
import re
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def config(backends, balance="round_robin", timeouts=None, workers=1):
    return lambda port: h.simple_config(port, backends, balance=balance, workers=workers,
                                        timeouts=timeouts)


def dead_address():
    """A loopback port nobody listens on (connect is refused)."""
    return f"127.0.0.1:{h.free_port()}"


class FailuresTest(h.GatewayTestCase):
    def get(self, gw, path="/", method="GET", body=None, headers=None):
        return h.http_request(gw.port, method, path, headers, body, timeout=30)

    def assertServing(self, gw, n=5, want_id=None):
        for _ in range(n):
            status, headers, body = self.get(gw, "/after")
            self.assertEqual(status, 200, body)
            if want_id:
                self.assertEqual(h.get_header(headers, "X-Backend-Id"), want_id)

    # -- refused -----------------------------------------------------------------------------

    def test_refused_backend_retried_elsewhere(self):
        a = self.echo("A")
        gw = self.gateway(config([dead_address(), a.address]))
        for i in range(20):
            status, headers, body = self.get(gw, f"/r{i}")
            self.assertEqual(status, 200, body)
            self.assertEqual(h.get_header(headers, "X-Backend-Id"), "A")

    def test_refused_backend_retried_elsewhere_post(self):
        # Nothing was sent on a refused connect, so even a POST may go elsewhere.
        a = self.echo("A")
        gw = self.gateway(config([dead_address(), a.address]))
        for i in range(10):
            status, _, body = self.get(gw, "/echo", "POST", b"payload-%d" % i)
            self.assertEqual(status, 200, body)
            self.assertTrue(body.endswith(b"payload-%d" % i))

    def test_all_refused_502_names_cause(self):
        d1, d2 = dead_address(), dead_address()
        gw = self.gateway(config([d1, d2]))
        status, headers, body = self.get(gw, "/x")
        self.assertEqual(status, 502, body)
        self.assertIn(b"connect", body.lower())
        self.assertTrue(d1.encode() in body or d2.encode() in body, body)
        self.assertTrue(gw.proc.alive())

    def test_single_refused_backend_502_names_cause(self):
        d = dead_address()
        gw = self.gateway(config([d]))
        status, _, body = self.get(gw, "/x")
        self.assertEqual(status, 502, body)
        self.assertIn(b"connect", body.lower())
        self.assertIn(d.encode(), body)
        self.assertTrue(h.wait_until(lambda: d in gw.log(), timeout=5), "the failure was not logged")

    # -- slow backend ------------------------------------------------------------------------

    def test_upstream_timeout_504_post(self):
        a = self.echo("A")
        gw = self.gateway(config([a.address], timeouts={"upstream_response": "1s"}))
        status, _, body = self.get(gw, "/x?latency=4s", "POST", b"abc")
        self.assertEqual(status, 504, body)
        self.assertIn(b"timed out", body)
        self.assertIn(a.address.encode(), body)
        self.assertIn("timed out", gw.log())

    def test_upstream_timeout_504_get_all_slow(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(config([a.address, b.address], timeouts={"upstream_response": "1s"}))
        status, _, body = self.get(gw, "/x?latency=4s")
        self.assertEqual(status, 504, body)
        self.assertIn(b"timed out", body)

    def test_upstream_timeout_504_get_single_backend(self):
        a = self.echo("A")
        gw = self.gateway(config([a.address], timeouts={"upstream_response": "1s"}))
        status, _, body = self.get(gw, "/x?latency=4s")
        self.assertEqual(status, 504, body)
        self.assertIn(b"timed out", body)

    def test_slow_but_in_time_is_fine(self):
        a = self.echo("A")
        gw = self.gateway(config([a.address], timeouts={"upstream_response": "5s"}))
        status, _, _ = self.get(gw, "/x?latency=300ms")
        self.assertEqual(status, 200)

    # -- slow clients ------------------------------------------------------------------------

    def test_slowloris_408(self):
        a = self.echo("A")
        gw = self.gateway(config([a.address], timeouts={"request_header": "1s"}))
        s = h.raw_connect(gw.port)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            r = h.read_until_close(s, timeout=15)
        finally:
            s.close()
        finals = r.finals()
        self.assertEqual([x.status for x in finals], [408], r)
        self.assertTrue(r.closed, r)
        self.assertServing(gw)

    def test_slowloris_dribbling_bytes_408(self):
        # One header byte every 300 ms: the deadline is for the whole head, not per read.
        a = self.echo("A")
        gw = self.gateway(config([a.address], timeouts={"request_header": "1s"}))
        s = h.raw_connect(gw.port)
        data = b""
        closed = False
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            for i in range(40):
                try:
                    s.sendall(b"X-%d: y\r\n" % i)
                except OSError:
                    closed = True
                    break
                r = h.read_until_close(s, timeout=0.3)
                data += r.data
                if r.closed:
                    closed = True
                    break
        finally:
            s.close()
        self.assertTrue(closed, "the gateway kept a dribbling client for 12 s")
        self.assertTrue(data.startswith(b"HTTP/1.1 408"), data)

    def test_idle_connection_without_bytes_closed_quietly(self):
        a = self.echo("A")
        gw = self.gateway(config([a.address], timeouts={"request_header": "1s"}))
        s = h.raw_connect(gw.port)
        try:
            r = h.read_until_close(s, timeout=15)
        finally:
            s.close()
        self.assertTrue(r.closed, r)
        self.assertEqual(r.data, b"", "no response to a connection that sent nothing")

    # -- backend dies mid-response -----------------------------------------------------------

    def test_backend_closes_mid_response(self):
        a = self.echo("A")
        gw = self.gateway(config([a.address]))
        p = h.curl(["-o", os.devnull, "-w", "%{http_code} %{size_download}",
                    gw.url("/x?close=mid&size=200000")])
        # 18: partial file (the body was cut short); 56: failure receiving data.
        self.assertIn(p.returncode, (18, 56), (p.returncode, p.stdout, p.stderr))
        code, size = p.stdout.decode().split()
        self.assertLess(int(size), 200000)
        self.assertServing(gw)

    def test_backend_closes_mid_response_raw(self):
        a = self.echo("A")
        gw = self.gateway(config([a.address]))
        # A keep-alive request: the only honest way to end a truncated body is to close.
        r = h.raw_exchange(gw.port, b"GET /x?close=mid&size=100000 HTTP/1.1\r\nHost: x\r\n\r\n",
                           timeout=15)
        self.assertTrue(r.closed, r)
        responses = r.responses()
        self.assertEqual(len(responses), 1)
        self.assertTrue(getattr(responses[0], "incomplete", False), "a truncated body passed as complete")
        self.assertServing(gw)

    def test_backend_closes_mid_chunked_response(self):
        a = self.echo("A", ["--chunked"])
        gw = self.gateway(config([a.address]))
        r = h.raw_exchange(gw.port, b"GET /x?close=mid&size=100000 HTTP/1.1\r\nHost: x\r\n\r\n",
                           timeout=15)
        self.assertTrue(r.closed, r)
        responses = r.responses()
        self.assertEqual(len(responses), 1)
        self.assertTrue(getattr(responses[0], "incomplete", False), "the last chunk was forged")
        self.assertServing(gw)

    def test_backend_closes_before_response_get_retried(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(config([a.address, b.address]))
        # Every request closes before responding on both backends: 502, and the gateway lives.
        status, _, body = self.get(gw, "/x?close=before")
        self.assertEqual(status, 502, body)
        self.assertIn(b"closed", body)
        self.assertServing(gw)

    def test_backend_random_close_rate_get_always_succeeds_or_closes(self):
        # --close-rate: some responses are cut after half the body. The client must either
        # get a complete 200 or a closed connection, never a short body passed as complete.
        a = self.echo("A", ["--close-rate", "0.3", "--seed", "7", "--body-size", "20000"])
        gw = self.gateway(config([a.address]))
        complete = cut = 0
        for i in range(40):
            r = h.raw_exchange(gw.port, b"GET /r%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % i,
                               timeout=15)
            rs = r.responses()
            self.assertEqual(len(rs), 1, r)
            if getattr(rs[0], "incomplete", False):
                cut += 1
            else:
                self.assertEqual(rs[0].status, 200)
                self.assertEqual(len(rs[0].body), 20000)
                complete += 1
        self.assertGreater(complete, 0)
        self.assertGreater(cut, 0, "the echo backend's --close-rate had no effect")

    # -- clients that go away ----------------------------------------------------------------

    def test_client_leaves_during_slow_response(self):
        # The abandoned response must never be handed to the next client (response desync
        # through a pooled upstream connection).
        a = self.echo("A")
        gw = self.gateway(config([a.address]))
        for i in range(3):
            s = h.raw_connect(gw.port)
            s.sendall(b"GET /echo?latency=500ms&tag=old%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            time.sleep(0.1)
            s.close()
            status, _, body = self.get(gw, f"/echo?tag=new{i}")
            self.assertEqual(status, 200)
            self.assertTrue(body.startswith(b"GET /echo?tag=new%d " % i), body[:80])
        time.sleep(1)
        for i in range(3):
            status, _, body = self.get(gw, f"/echo?tag=later{i}")
            self.assertTrue(body.startswith(b"GET /echo?tag=later%d " % i), body[:80])

    def test_client_aborts_upload(self):
        rec = self.recorder()
        gw = self.gateway(config([rec.address]))
        s = h.raw_connect(gw.port)
        s.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + b"a" * 1_000_000)
        time.sleep(0.3)
        s.close()
        time.sleep(0.3)
        self.assertEqual(rec.requests(), [], "an incomplete upload reached the backend as a request")
        self.assertEqual(self.get(gw, "/after")[0], 200)
        self.assertTrue(gw.proc.alive())

    def test_client_aborts_chunked_upload(self):
        rec = self.recorder()
        gw = self.gateway(config([rec.address]))
        s = h.raw_connect(gw.port)
        s.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + (b"1000\r\n" + b"a" * 4096 + b"\r\n") * 50)
        time.sleep(0.3)
        s.close()
        time.sleep(0.3)
        self.assertEqual(rec.requests(), [], "an incomplete chunked upload was completed upstream")
        self.assertNotIn(b"0\r\n\r\n", rec.received()[-7:])
        self.assertEqual(self.get(gw, "/after")[0], 200)

    # -- ejection ----------------------------------------------------------------------------

    def test_failing_backend_ejected(self):
        # Five consecutive failures (5xx) eject a backend for a while (docs/architecture.md):
        # a backend that answers 503 to everything stops receiving requests.
        bad = self.echo("bad", ["--fail-rate", "1", "--fail-status", "503"])
        good = self.echo("good")
        gw = self.gateway(config([bad.address, good.address]))
        seen = []
        for i in range(40):
            status, headers, _ = self.get(gw, f"/e{i}")
            seen.append((status, h.get_header(headers, "X-Backend-Id")))
        failures = [x for x in seen if x[0] != 200]
        self.assertTrue(all(x == (503, "bad") for x in failures), seen)
        self.assertLessEqual(len(failures), 5, seen)
        self.assertEqual(seen[-20:], [(200, "good")] * 20, seen)

    # -- keep-alive pools and idle timeouts --------------------------------------------------

    def test_upstream_connections_pooled(self):
        rec = self.recorder()
        gw = self.gateway(config([rec.address], timeouts={"upstream_idle": "30s"}))
        for i in range(20):  # each on a new client connection
            status, _, _ = self.get(gw, f"/pool{i}")
            self.assertEqual(status, 200)
        self.assertEqual(len(rec.requests()), 20)
        self.assertEqual(rec.connections(), 1, "sequential requests should share one pooled connection")

    def test_upstream_idle_closes_pooled_connections(self):
        rec = self.recorder()
        gw = self.gateway(config([rec.address], timeouts={"upstream_idle": "300ms"}))
        self.assertEqual(self.get(gw, "/one")[0], 200)
        # The gateway closes its idle pooled connection: the recorder sees EOF on it.
        time.sleep(1.5)
        self.assertEqual(self.get(gw, "/two")[0], 200)
        self.assertEqual(rec.connections(), 2, "the idle upstream connection was reused after upstream_idle")

    def test_client_idle_closes_keepalive_connection(self):
        a = self.echo("A")
        gw = self.gateway(config([a.address], timeouts={"client_idle": "1s"}))
        s = h.raw_connect(gw.port)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            r = h.read_until_close(s, timeout=10, until=h.has_complete_responses(1))
            self.assertEqual([x.status for x in r.finals()], [200])
            r = h.read_until_close(s, timeout=15)
        finally:
            s.close()
        self.assertTrue(r.closed, "an idle keep-alive connection outlived client_idle")
        self.assertEqual(r.data, b"")

    # -- stale keep-alive --------------------------------------------------------------------

    def test_backend_closing_idle_keepalive_connections(self):
        # The backend closes idle connections after 300 ms; the gateway keeps them for 10 s.
        # Requests spaced around the backend's idle timeout: every GET must succeed (a stale
        # connection is detected, or the request retried on a fresh one), and so must every
        # POST sent well before or well after the backend closes. A POST sent just as the
        # backend closes may meet the keep-alive race no proxy can hide: its close crosses
        # our request on the wire, and a body already sent is not replayed (RFC 9110 9.2.2).
        # Such a POST may fail, but only with the 502 that names that cause.
        a = self.echo("A", ["--idle-timeout", "300ms"])
        gw = self.gateway(config([a.address], timeouts={"upstream_idle": "10s"}))
        failures = []
        raced = []
        gaps = [0.05, 0.5, 0.29, 0.31, 0.3, 0.6, 0.28, 0.32, 0.3, 0.1, 0.33, 0.27, 0.3, 0.45]
        for i, gap in enumerate(gaps):
            time.sleep(gap)
            status, _, body = self.get(gw, f"/get{i}")
            if status != 200:
                failures.append(("GET", i, status, body))
            time.sleep(gap)
            status, _, body = self.get(gw, "/echo", "POST", b"body-%d" % i)
            if status == 200 and body.endswith(b"body-%d" % i):
                continue
            near_close = 0.2 <= gap <= 0.4
            if near_close and status == 502 and b"closed the connection before responding" in body:
                raced.append(i)
            else:
                failures.append(("POST", i, status, body[-60:]))
        self.assertEqual(failures, [])
        # The race is a coincidence of timing: most POSTs near the close must still succeed.
        self.assertLessEqual(len(raced), 2, f"POSTs that met the close: {raced}")

    # -- backend killed under load -----------------------------------------------------------

    def test_backend_killed_during_load(self):
        a, b = self.echo("A"), self.echo("B")
        gw = self.gateway(config([a.address, b.address], balance="least_request"))
        conns = 20
        run = h.WrkRun(gw.url("/"), duration=4, connections=conns, count_backends=True)
        time.sleep(1.5)
        a.kill()  # SIGKILL by pid
        result = run.join()
        self.assertIsNotNone(result, "wrk did not finish")
        self.assertTrue(gw.proc.alive(), "the gateway died:\n" + gw.log())
        self.assertTrue(result.requests and result.requests > 0, result.text)
        failed = result.non2xx + result.socket_errors
        print(f"\n  backend killed under load: {result!r}; failed during the load: {failed}",
              file=sys.stderr)
        self.assertLessEqual(failed, conns, result.text)
        self.assertGreater(result.backends.get("A", 0), 0, "A was killed before it served")
        self.assertGreater(result.backends.get("B", 0), 0, result.text)
        # Afterwards every request succeeds, on B.
        self.assertServing(gw, n=20, want_id="B")


if __name__ == "__main__":
    h.main()
