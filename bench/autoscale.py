#!/usr/bin/env python3
"""Autoscaler benchmark: how fast an overload brings a new instance into service, what one
policy evaluation costs, and whether any request fails across scale-up and scale-down.

Runs the gateway on a pool like examples/quickstart.yaml (tidegate-echo instances with 8
slots x 20 ms, the concurrency policy), waits until one instance is ready, then overloads it
with wrk (64 connections) while polling the admin API every 20 ms, then lets the load go and
waits for the pool to shrink back under light traffic. Writes the "Autoscaler" section of
docs/benchmarks.md with --write.

    bench/autoscale.py [--build build/release] [--rounds 3] [--write]
"""

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(port, admin, echo, base):
    return f"""listen: ["127.0.0.1:{port}"]
workers: 1
admin: {{ listen: "127.0.0.1:{admin}" }}
upstreams:
  app:
    balance: least_request
    scale:
      provider: process
      min: 1
      max: 6
      interval: 250ms
      cooldown: {{ up: 0s, down: 3s }}
      policy: {{ builtin: concurrency, target: 8, target_utilization: 0.7, stable_window: 10s,
                panic_window: 2s }}
      process:
        command: "exec {echo} --port {{port}} --slots 8 --latency 20ms --id e{{index}}"
        ports: {base}-{base + 99}
        readiness: {{ path: /healthz, interval: 20ms, timeout: 1s }}
        drain_timeout: 30s
        stop_grace: 2s
routes:
  - {{ name: api, match: {{ path_prefix: / }}, upstream: app }}
"""


def get_json(url):
    with urllib.request.urlopen(url, timeout=2) as r:
        return json.load(r)


def wrk(url, connections, seconds):
    p = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                        url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=seconds + 30)
    text = p.stdout.decode()
    n = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    failed = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return int(n.group(1)) if n else 0, failed


def one_round(build):
    port, admin = free_port(), free_port()
    base = random.randrange(20000, 30000, 100)
    d = tempfile.mkdtemp(prefix="tg-bench-scale-")
    path = os.path.join(d, "gw.yaml")
    with open(path, "w") as f:
        f.write(config(port, admin, os.path.join(build, "tidegate-echo"), base))
    log = open(os.path.join(d, "gw.log"), "w")
    gw = subprocess.Popen([os.path.join(build, "tidegate"), "run", "-c", path], stdout=log,
                          stderr=subprocess.STDOUT, cwd=ROOT)
    pools = f"http://127.0.0.1:{admin}/scale/pools"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if get_json(pools)["app"]["ready"] >= 1:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/"
        result = {}
        heavy = {}

        def overload():
            heavy["requests"], heavy["failed"] = wrk(url, 64, 6)

        t0 = time.monotonic()
        t = threading.Thread(target=overload)
        t.start()
        while t.is_alive():
            p = get_json(pools)["app"]
            if "wanted" not in result and p["target"] > 1:
                result["wanted"] = time.monotonic() - t0
            if "serving" not in result and p["ready"] > 1:
                result["serving"] = time.monotonic() - t0
            result["peak"] = max(result.get("peak", 0), p["ready"])
            time.sleep(0.02)
        t.join()
        # The new instance's own start time, from the provider's events: launch -> ready.
        events = get_json(f"http://127.0.0.1:{admin}/scale/events")
        starts = {}
        ready_after = []
        for e in events:
            if e["kind"] != "provider" or e["instance"] in ("", "app-0"):
                continue
            if e["reason"].split(":")[0] == "start":
                starts.setdefault(e["instance"], e["age_ms"])
        for e in events:
            if (e["kind"] == "provider" and e["instance"] in starts
                    and e["reason"].split(":")[0] == "ready"):
                ready_after.append(starts[e["instance"]] - e["age_ms"])
        result["instance_start"] = min(ready_after) / 1000 if ready_after else None
        # Light load while it shrinks back.
        light_requests, light_failed = 0, 0
        deadline = time.time() + 60
        while time.time() < deadline and get_json(pools)["app"]["ready"] > 1:
            n, f = wrk(url, 2, 2)
            light_requests += n
            light_failed += f
        p = get_json(pools)["app"]
        result.update(requests=heavy["requests"] + light_requests,
                      failed=heavy["failed"] + light_failed, final=p["ready"],
                      max_eval_us=p["max_eval_us"], last_eval_us=p["last_eval_us"])
        return result
    finally:
        gw.send_signal(signal.SIGTERM)
        try:
            gw.wait(40)
        except subprocess.TimeoutExpired:
            gw.kill()
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    rows = []
    for i in range(args.rounds):
        r = one_round(os.path.abspath(args.build))
        rows.append(r)
        print(json.dumps(r), flush=True)

    def fmt(v, unit="s"):
        return "-" if v is None else f"{v:.2f} {unit}"

    table = ["| round | overload → 2nd instance wanted | → serving traffic | its own start "
             "(launch → ready) | serving minus start | peak ready | policy eval max | requests "
             "| failed |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for i, r in enumerate(rows, 1):
        extra = (r.get("serving") - r["instance_start"]
                 if r.get("serving") is not None and r.get("instance_start") is not None else None)
        table.append(f"| {i} | {fmt(r.get('wanted'))} | {fmt(r.get('serving'))} | "
                     f"{fmt(r.get('instance_start'))} | {fmt(extra)} | {r.get('peak')} | "
                     f"{r['max_eval_us']:.0f} µs | {r['requests']} | {r['failed']} |")
    print("\n".join(table))
    if args.write:
        section = ("## Autoscaler\n\n"
                   f"Command: `bench/autoscale.py --rounds {args.rounds} --write` "
                   f"({time.strftime('%Y-%m-%d')}). One worker; a pool of tidegate-echo "
                   "instances (8 slots x 20 ms each, ~400 req/s per instance), the concurrency "
                   "policy ticking every 250 ms; wrk overloads one instance with 64 connections "
                   "for 6 s, then light traffic (2 connections) runs until the pool is back to "
                   "one instance. Targets: overload to a new instance serving within 2 s plus "
                   "the instance's own start time; one policy evaluation at most 1 ms; zero "
                   "failed requests.\n\n" + "\n".join(table) + "\n")
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        text = open(path).read()
        start = text.find("## Autoscaler\n")
        if start >= 0:
            end = text.find("\n## ", start + 1)
            text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
        with open(path, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
