#!/usr/bin/env python3
"""A bounded load ramp against a running gateway, printing as it goes the request rate, p99
latency and the autoscaled pool's replicas (from the admin API): replicas rise with the load
and fall after it stops. Uses wrk; every step is bounded in seconds.

    scripts/load_ramp.py [--url http://127.0.0.1:8080/] [--admin http://127.0.0.1:9901]
"""

import argparse
import json
import re
import subprocess
import sys
import time
import urllib.request

STEPS = [4, 8, 16, 32, 48, 64, 64, 64, 32]  # wrk connections, one step each
STEP_SECONDS = 3
COOLDOWN_SECONDS = 30


def pools(admin):
    try:
        with urllib.request.urlopen(admin + "/scale/pools", timeout=2) as r:
            return json.load(r)
    except OSError:
        return {}


def replicas(admin):
    out = []
    for name, p in sorted(pools(admin).items()):
        out.append(f"{name}: {p['ready']} ready / {p['target']} wanted")
    return ", ".join(out) or "-"


def wrk(url, connections, seconds):
    p = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                        "--timeout", "5s", url],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=seconds + 30)
    text = p.stdout.decode("utf-8", "replace")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return (float(rps.group(1)) if rps else 0.0, p99.group(1) if p99 else "-",
            int(errors.group(1)) if errors else 0, socket_errors.group(1) if socket_errors else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080/")
    ap.add_argument("--admin", default="http://127.0.0.1:9901")
    args = ap.parse_args()
    print(f"{'t':>4}  {'load':>14}  {'req/s':>8}  {'p99':>9}  replicas", flush=True)
    start = time.time()
    failed = 0
    for c in STEPS:
        rps, p99, errors, socket_errors = wrk(args.url, c, STEP_SECONDS)
        failed += errors
        note = f"  ({errors} failed {socket_errors})" if errors or socket_errors else ""
        print(f"{time.time() - start:4.0f}  {c:>3} connections  {rps:8.0f}  {p99:>9}  "
              f"{replicas(args.admin)}{note}", flush=True)
    end = time.time() + COOLDOWN_SECONDS
    while time.time() < end:
        time.sleep(3)
        print(f"{time.time() - start:4.0f}  {'idle':>14}  {'':>8}  {'':>9}  {replicas(args.admin)}",
              flush=True)
    print(f"load ramp done: {failed} failed requests", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
