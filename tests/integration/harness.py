"""Shared harness for tidegate's integration tests (Python 3 stdlib only).

What it provides:
  * free loopback ports, process start/stop by pid (every process is stopped in tearDown
    and, as a last resort, at interpreter exit);
  * Gateway: tidegate with a temporary YAML config, readiness by connecting, reload, logs;
  * Echo: the tidegate-echo test backend;
  * RecordingBackend: an in-process raw-socket backend that logs every byte it receives and
    answers each complete request; the oracle for "nothing smuggled reaches a backend";
  * raw_exchange(): a raw-socket client for malformed requests, parse_responses();
  * curl() and wrk() wrappers (wrk is always bounded: -d <= 5s, -c <= 50, -t1).

Binaries come from TIDEGATE_BIN and ECHO_BIN (set by ctest); when unset, the newest
build/*/tidegate and build/*/tidegate-echo under the repository are used.

Only 127.0.0.1 and ::1 are used. No test asserts that anything is fast: timeouts below exist
only to keep a broken gateway from hanging the suite.
"""

import atexit
import glob
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LOOPBACK = "127.0.0.1"


def _find_binary(env, name):
    path = os.environ.get(env)
    if path:
        return path
    candidates = [p for p in glob.glob(os.path.join(REPO, "build", "*", name)) if os.access(p, os.X_OK)]
    candidates += [p for p in glob.glob(os.path.join(REPO, "build", "*", "*", name)) if os.access(p, os.X_OK)]
    if not candidates:
        return None
    return max(candidates, key=os.path.getmtime)


TIDEGATE_BIN = _find_binary("TIDEGATE_BIN", "tidegate")
ECHO_BIN = _find_binary("ECHO_BIN", "tidegate-echo")


def require_binaries(echo=True):
    """Raises SkipTest (from setUpClass) when a binary is missing."""
    if not TIDEGATE_BIN or not os.path.exists(TIDEGATE_BIN):
        raise unittest.SkipTest("tidegate binary not found (set TIDEGATE_BIN)")
    if echo and (not ECHO_BIN or not os.path.exists(ECHO_BIN)):
        raise unittest.SkipTest("tidegate-echo binary not found (set ECHO_BIN)")


# ---------------------------------------------------------------------------------------------
# ports and readiness

def free_port(host=LOOPBACK):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def can_connect(host, port, timeout=0.5):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect((host, port))
            return True
        except OSError:
            return False


def wait_port(host, port, timeout=15.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if can_connect(host, port):
            return True
        time.sleep(0.05)
    return False


def wait_until(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


# ---------------------------------------------------------------------------------------------
# processes

_live = set()
_live_lock = threading.Lock()
_tmpdirs = []


def _cleanup_all():
    with _live_lock:
        procs = list(_live)
    for p in procs:
        p.stop()
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup_all)


def make_tmpdir(prefix="tg-int-"):
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.append(d)
    return d


class Proc:
    """A child process with its output in a log file; stopped by pid (terminate, wait, kill)."""

    def __init__(self, argv, name, log_dir=None):
        self.argv = [str(a) for a in argv]
        self.name = name
        self.log_dir = log_dir or make_tmpdir()
        self.log_path = os.path.join(self.log_dir, f"{name}.log")
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid
        with _live_lock:
            _live.add(self)

    def poll(self):
        return self.popen.poll()

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout):
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout=10.0):
        """Terminates the process by its pid, waits, kills it if it lingers. Idempotent."""
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=10)
        with _live_lock:
            _live.discard(self)
        if not self._log.closed:
            self._log.close()
        return self.popen.returncode

    def kill(self):
        """SIGKILL by pid (the crash case)."""
        if self.popen.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        with _live_lock:
            _live.discard(self)

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


# ---------------------------------------------------------------------------------------------
# echo backend

class Echo:
    """tidegate-echo on a loopback port. `extra` are more flags, e.g. ["--latency", "200ms"]."""

    def __init__(self, backend_id=None, extra=(), host=LOOPBACK, log_dir=None):
        self.host = host
        self.id = backend_id
        last = ""
        for _ in range(5):
            self.port = free_port(host)
            argv = [ECHO_BIN, "--port", self.port, "--host", host]
            if backend_id:
                argv += ["--id", backend_id]
            argv += list(extra)
            self.proc = Proc(argv, f"echo-{backend_id or self.port}", log_dir)
            if wait_port(host, self.port, proc=self.proc):
                return
            last = self.proc.output()
            self.proc.stop()
        raise RuntimeError(f"tidegate-echo did not start: {last}")

    @property
    def address(self):
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def stop(self):
        return self.proc.stop()

    def kill(self):
        self.proc.kill()


# ---------------------------------------------------------------------------------------------
# gateway

def yaml_list(items):
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def simple_config(port, backends, balance="round_robin", workers=1, timeouts=None, limits=None,
                  routes=None, extra_upstreams="", log_level="info", host=LOOPBACK):
    """A config with one upstream `main` and (by default) one catch-all route to it."""
    t = {"connect": "1s", "request_header": "5s", "upstream_response": "10s",
         "client_idle": "30s", "upstream_idle": "4s", "drain": "10s"}
    t.update(timeouts or {})
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    out = [f'listen: ["{listen}"]', f"workers: {workers}", f"log_level: {log_level}",
           "timeouts: {" + ", ".join(f"{k}: {v}" for k, v in t.items()) + "}"]
    if limits:
        out.append("limits: {" + ", ".join(f"{k}: {v}" for k, v in limits.items()) + "}")
    out.append("upstreams:")
    out.append("  main:")
    out.append(f"    backends: {yaml_list(backends)}")
    out.append(f"    balance: {balance}")
    if extra_upstreams:
        out.append(extra_upstreams.rstrip("\n"))
    out.append("routes:")
    out.append(routes.rstrip("\n") if routes else "  - { name: all, match: { path_prefix: / }, upstream: main }")
    return "\n".join(out) + "\n"


class Gateway:
    """tidegate run -c <temp file>. `config` is a function port -> YAML text, or YAML text
    containing the placeholder {port}."""

    def __init__(self, config, host=LOOPBACK, log_level=None, extra_args=()):
        self.host = host
        self.dir = make_tmpdir("tg-gw-")
        self.config_path = os.path.join(self.dir, "tidegate.yaml")
        last = ""
        for _ in range(5):
            self.port = free_port(host)
            text = config(self.port) if callable(config) else config.replace("{port}", str(self.port))
            self.write_config(text)
            argv = [TIDEGATE_BIN, "run", "-c", self.config_path] + list(extra_args)
            if log_level:
                argv += ["--log-level", log_level]
            self.proc = Proc(argv, "tidegate", self.dir)
            if wait_port(host, self.port, proc=self.proc):
                # The port accepts connections before the signal handlers are installed (see
                # test_lifecycle.py, test_sighup_right_after_start): wait for the line logged
                # just before that, so that a test's SIGHUP/SIGTERM is not fatal by accident.
                if wait_until(lambda: "tidegate running" in self.log() or not self.proc.alive(),
                              timeout=10) and self.proc.alive():
                    time.sleep(0.05)
                    return
            last = self.proc.output()
            self.proc.stop()
        raise RuntimeError(f"tidegate did not start:\n{last}")

    @property
    def pid(self):
        return self.proc.pid

    def url(self, path="/"):
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{h}:{self.port}{path}"

    def write_config(self, text):
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    def log(self):
        return self.proc.output()

    def reload(self, text, expect="reloaded", timeout=10.0):
        """Writes the new config, sends SIGHUP and waits for the log to say `expect`
        ("reloaded" or "reload rejected"). Returns the new part of the log."""
        before = len(self.log())
        self.write_config(text.replace("{port}", str(self.port)))
        self.proc.signal(signal.SIGHUP)
        ok = wait_until(lambda: expect in self.log()[before:], timeout=timeout)
        if not ok:
            state = "running" if self.proc.alive() else f"exited with {self.proc.poll()}"
            raise AssertionError(f"no '{expect}' in the log after SIGHUP (tidegate {state}); "
                                 f"whole log:\n{self.log()}")
        return self.log()[before:]

    def stop(self):
        return self.proc.stop()


# ---------------------------------------------------------------------------------------------
# HTTP message parsing (for raw exchanges and the recording backend)

class Response:
    def __init__(self, status, reason, version, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers  # list of (name, value) as received
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return f"<Response {self.status} {self.headers!r} body={self.body[:200]!r}>"


def _split_head(data):
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None, data
    return data[:end + 4], data[end + 4:]


def _parse_fields(lines):
    headers = []
    for line in lines:
        if not line:
            continue
        name, _, value = line.partition(b":")
        headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return headers


def _dechunk(data):
    """Returns (body, trailers, rest) or None when incomplete; raises ValueError if malformed."""
    body = b""
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = data[pos:eol].split(b";", 1)[0].strip()
        size = int(size_text, 16)
        pos = eol + 2
        if size == 0:
            end = data.find(b"\r\n\r\n", pos - 2)
            if end < 0:
                return None
            trailers = data[pos:end + 2]
            return body, trailers, data[end + 4:]
        if len(data) < pos + size + 2:
            return None
        body += data[pos:pos + size]
        if data[pos + size:pos + size + 2] != b"\r\n":
            raise ValueError("bad chunk terminator")
        pos += size + 2


def parse_responses(data, head_requests=()):
    """Splits a byte stream into responses. A response without framing takes the rest.
    `head_requests`: indexes of responses that answer HEAD (no body). Returns (list, rest)."""
    out = []
    while data:
        head, rest = _split_head(data)
        if head is None:
            break
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        version = parts[0].decode("latin-1")
        status = int(parts[1])
        reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
        headers = _parse_fields(lines[1:])
        r = Response(status, reason, version, headers, b"", head)
        if 100 <= status < 200:
            out.append(r)
            data = rest
            continue
        te = r.header("transfer-encoding")
        cl = r.header("content-length")
        if status in (204, 304) or len(final_responses(out)) in head_requests:
            data = rest
        elif te and "chunked" in te.lower():
            d = _dechunk(rest)
            if d is None:
                r.body = rest
                r.incomplete = True
                out.append(r)
                return out, b""
            r.body, _, data = d
        elif cl is not None:
            n = int(cl)
            r.body = rest[:n]
            if len(rest) < n:
                r.incomplete = True
            data = rest[n:]
        else:
            r.body = rest
            data = b""
        out.append(r)
    return out, data


def final_responses(responses):
    return [r for r in responses if r.status >= 200]


# ---------------------------------------------------------------------------------------------
# raw client

class RawResult:
    def __init__(self, data, closed, reset, timed_out):
        self.data = data
        self.closed = closed      # the peer closed (EOF or reset)
        self.reset = reset        # the close was a reset
        self.timed_out = timed_out

    def responses(self, head_requests=()):
        return parse_responses(self.data, head_requests)[0]

    def finals(self, head_requests=()):
        return final_responses(self.responses(head_requests))

    def __repr__(self):
        return f"<RawResult closed={self.closed} reset={self.reset} data={self.data[:600]!r}>"


def raw_connect(port, host=LOOPBACK, timeout=10.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_close(sock, timeout=5.0, until=None):
    """Reads until EOF/reset, until `until(data)` is true, or until `timeout` of silence."""
    data = b""
    closed = reset = timed_out = False
    deadline = time.monotonic() + timeout
    while True:
        if until is not None and until(data):
            break
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            timed_out = True
            break
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            closed = reset = True
            break
        except socket.timeout:
            timed_out = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    return RawResult(data, closed, reset, timed_out)


def raw_exchange(port, payload, host=LOOPBACK, timeout=5.0, pieces=None, pause=0.0, until=None):
    """Sends `payload` (or each of `pieces`, `pause` seconds apart) and reads until the
    gateway closes, `until(data)` holds, or `timeout` seconds pass."""
    s = raw_connect(port, host)
    try:
        try:
            if pieces is None:
                s.sendall(payload)
            else:
                for i, piece in enumerate(pieces):
                    if i and pause:
                        time.sleep(pause)
                    s.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_until_close(s, timeout, until)
    finally:
        s.close()


def has_complete_responses(n, head_requests=()):
    """A predicate for read_until_close: true once n final responses are complete."""
    def pred(data):
        rs = final_responses(parse_responses(data, head_requests)[0])
        return len(rs) >= n and not getattr(rs[n - 1], "incomplete", False)
    return pred


# ---------------------------------------------------------------------------------------------
# recording backend

class RecordedRequest:
    def __init__(self, head, body, trailers=b"", chunked=False):
        self.head = head          # raw bytes including the final CRLFCRLF
        self.body = body          # decoded body
        self.trailers = trailers  # raw trailer lines of a chunked body
        self.chunked = chunked
        lines = head[:-4].split(b"\r\n")
        self.request_line = lines[0].decode("latin-1")
        parts = self.request_line.split(" ")
        self.method = parts[0]
        self.target = parts[1] if len(parts) > 1 else ""
        self.headers = _parse_fields(lines[1:])

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header_names(self):
        return [k.lower() for k, _ in self.headers]


class RecordingBackend:
    """A raw-socket HTTP backend in a thread: records every byte of every connection and
    answers each complete request with 200, `X-Backend-Id: <id>` and a short body. It never
    interprets anything beyond CRLF heads, Content-Length and chunked bodies."""

    def __init__(self, backend_id="rec", host=LOOPBACK, response_body=b"recorded\n",
                 response_headers=b"", responder=None):
        """`responder(request)`, when given, returns the answer: bytes, or a list of steps
        (bytes to send, a number of seconds to sleep, None to close the connection)."""
        self.id = backend_id
        self.responder = responder
        self.host = host
        self.response_body = response_body
        self.response_headers = response_headers  # raw extra lines, each ending in CRLF
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        self._conns = []     # list of bytearray, one per accepted connection
        self._requests = []  # RecordedRequest, in arrival order
        self._stop = False
        self._threads = []
        self._open = []
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)

    @property
    def address(self):
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def _accept_loop(self):
        while not self._stop:
            try:
                r, _, _ = select.select([self.sock], [], [], 0.2)
                if not r:
                    continue
                conn, _ = self.sock.accept()
            except OSError:
                return
            buf = bytearray()
            with self._lock:
                self._conns.append(buf)
                self._open.append(conn)
            t = threading.Thread(target=self._serve, args=(conn, buf), daemon=True)
            t.start()

    def _serve(self, conn, record):
        pending = b""
        try:
            while not self._stop:
                r, _, _ = select.select([conn], [], [], 0.2)
                if not r:
                    continue
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                with self._lock:
                    record.extend(chunk)
                pending += chunk
                while True:
                    req, pending2 = self._take_request(pending)
                    if req is None:
                        break
                    pending = pending2
                    with self._lock:
                        self._requests.append(req)
                    if self.responder is not None:
                        steps = self.responder(req)
                    else:
                        body = self.response_body
                        steps = (b"HTTP/1.1 200 OK\r\nX-Backend-Id: " + self.id.encode() +
                                 b"\r\n" + self.response_headers +
                                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                        if req.method == "HEAD":
                            steps = steps[:len(steps) - len(body)]
                    if isinstance(steps, bytes):
                        steps = [steps]
                    for step in steps:
                        if step is None:
                            return  # close the connection
                        if isinstance(step, (int, float)):
                            time.sleep(step)
                        else:
                            conn.sendall(step)
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def _take_request(data):
        head, rest = _split_head(data)
        if head is None:
            return None, data
        req = RecordedRequest(head, b"")
        te = req.header("transfer-encoding")
        cl = req.header("content-length")
        if te is not None and "chunked" in te.lower():
            try:
                d = _dechunk(rest)
            except ValueError:
                return None, data
            if d is None:
                return None, data
            body, trailers, rest = d
            return RecordedRequest(head, body, trailers, True), rest
        if cl is not None:
            try:
                n = int(cl)
            except ValueError:
                return None, data
            if len(rest) < n:
                return None, data
            return RecordedRequest(head, rest[:n]), rest[n:]
        return req, rest

    def received(self):
        """Every byte received so far, all connections concatenated."""
        with self._lock:
            return b"".join(bytes(c) for c in self._conns)

    def requests(self):
        with self._lock:
            return list(self._requests)

    def connections(self):
        """Number of connections accepted so far."""
        with self._lock:
            return len(self._conns)

    def clear(self):
        with self._lock:
            for c in self._conns:
                del c[:]
            self._requests.clear()

    def stop(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self._open)
        for c in conns:
            try:
                c.close()
            except OSError:
                pass


# ---------------------------------------------------------------------------------------------
# simple HTTP client (http.client is fine for well-formed requests)

def http_request(port, method="GET", path="/", headers=None, body=None, host=LOOPBACK, timeout=15.0):
    """One request on a fresh connection; returns (status, headers list, body bytes)."""
    import http.client
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, r.getheaders(), body
    finally:
        c.close()


def get_header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


# ---------------------------------------------------------------------------------------------
# curl and wrk

def curl(args, timeout=30.0):
    """Runs curl -sS with `args`; returns CompletedProcess (stdout bytes, stderr text)."""
    argv = ["curl", "-sS", "--max-time", str(int(timeout))] + [str(a) for a in args]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 15)
    p.stderr = p.stderr.decode("utf-8", "replace")
    return p


# A wrk script that counts responses per X-Backend-Id and prints "backend ID N" at the end.
COUNT_BACKENDS_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body)
  local id = headers["X-Backend-Id"] or "none"
  counts[id] = (counts[id] or 0) + 1
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do io.write(string.format("backend %s %d\\n", k, v)) end
  end
end
"""


class WrkResult:
    def __init__(self, text):
        self.text = text
        self.backends = {m.group(1): int(m.group(2))
                         for m in re.finditer(r"^backend (\S+) (\d+)$", text, re.M)}
        m = re.search(r"(\d+) requests in", text)
        self.requests = int(m.group(1)) if m else None
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        self.non2xx = int(m.group(1)) if m else 0
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        self.connect_errors, self.read_errors, self.write_errors, self.timeouts = (
            (int(g) for g in m.groups()) if m else (0, 0, 0, 0))

    @property
    def socket_errors(self):
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    def __repr__(self):
        return (f"<wrk requests={self.requests} non2xx={self.non2xx} backends={self.backends} "
                f"errors=connect {self.connect_errors} read {self.read_errors} "
                f"write {self.write_errors} timeout {self.timeouts}>")


def wrk(url, duration=3, connections=10, script=None, timeout_s=5, count_backends=False):
    """A bounded wrk run (-t1, -c <= 50, -d <= 5s). Returns a WrkResult; with
    count_backends, its .backends maps X-Backend-Id to the number of responses."""
    if count_backends:
        script = os.path.join(make_tmpdir("tg-wrk-"), "count.lua")
        with open(script, "w") as f:
            f.write(COUNT_BACKENDS_LUA)
    duration = max(1, min(int(duration), 5))
    connections = max(1, min(int(connections), 50))
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", f"--timeout", f"{timeout_s}s"]
    if script:
        argv += ["-s", script]
    argv.append(url)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=duration + timeout_s + 30)
    return WrkResult(p.stdout.decode("utf-8", "replace"))


class WrkRun:
    """wrk in the background (for a reload or a kill during the load)."""

    def __init__(self, url, duration=4, connections=10, script=None, count_backends=False):
        self.result = None
        self._t = threading.Thread(target=self._run,
                                   args=(url, duration, connections, script, 5, count_backends))
        self._t.start()

    def _run(self, *args):
        self.result = wrk(*args)

    def join(self, timeout=60):
        self._t.join(timeout)
        return self.result


# ---------------------------------------------------------------------------------------------
# test base

class GatewayTestCase(unittest.TestCase):
    """Keeps track of processes and recording backends so that every one is stopped."""

    needs_echo = True

    @classmethod
    def setUpClass(cls):
        require_binaries(echo=cls.needs_echo)
        cls._class_owned = []

    @classmethod
    def tearDownClass(cls):
        for o in reversed(getattr(cls, "_class_owned", [])):
            try:
                o.stop()
            except Exception:
                pass

    @classmethod
    def own_class(cls, obj):
        cls._class_owned.append(obj)
        return obj

    def own(self, obj):
        self.addCleanup(obj.stop)
        return obj

    # Shortcuts that stop what they start when the test ends.
    def echo(self, backend_id=None, extra=()):
        return self.own(Echo(backend_id, extra))

    def recorder(self, backend_id="rec"):
        return self.own(RecordingBackend(backend_id))

    def gateway(self, config, **kw):
        gw = self.own(Gateway(config, **kw))
        self.addCleanup(self._dump_log_on_failure, gw)
        return gw

    def _dump_log_on_failure(self, gw):
        pass


def main():
    unittest.main(verbosity=2)
