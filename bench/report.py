#!/usr/bin/env python3
"""Turns the raw output of bench/run.sh into Markdown tables and docs/benchmarks.md sections.

  report.py median-rps RAWDIR TARGET      median closed-loop req/s of TARGET (for the open loop)
  report.py summary RAWDIR [--doc FILE]   print the tables; with --doc, update that file's
                                          "## Proxy throughput (bench/run.sh)" and "## Memory"
                                          sections and leave every other section alone

RAWDIR holds closed/TARGET.rN.wrk (wrk --latency), open/TARGET.httperf, memory/TARGET.json
and meta.tsv (key<TAB>value lines written by bench/run.sh).
"""

import json
import re
import statistics
import sys
from pathlib import Path

TARGETS = ["direct", "tidegate", "tidegate-nometrics", "nginx", "haproxy"]
PROXIES = ["tidegate", "nginx", "haproxy"]
THROUGHPUT_HEADING = "## Proxy throughput (bench/run.sh)"
MEMORY_HEADING = "## Memory"
PREAMBLE = """# Benchmarks

Measured numbers and how to reproduce them. Each section names the script that produced it;
rerun the script to update its section (the others are left as they are).
"""

# ---------------------------------------------------------------------------------------------
# parsing

_TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def wrk_time_ms(text):
    """wrk prints durations as 512.00us, 1.23ms, 2.00s, 1.00m."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"unknown wrk duration {text!r}")
    return float(m.group(1)) * _TIME_UNITS_MS[m.group(2)]


def parse_wrk(text):
    out = {"errors": 0, "non2xx": 0}
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    if not m:
        raise ValueError("no Requests/sec line in wrk output")
    out["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("75", "p75"), ("90", "p90"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        if not m:
            raise ValueError(f"no {pct}% line in wrk output (run wrk with --latency)")
        out[key] = wrk_time_ms(m.group(1))
    m = re.search(r"^\s+(\d+) requests in ([0-9.]+\w+)", text, re.M)
    out["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["errors"] += sum(int(g) for g in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
        out["errors"] += out["non2xx"]
    return out


def parse_httperf(text):
    def num(pattern):
        m = re.search(pattern, text, re.M)
        return float(m.group(1)) if m else None

    out = {
        "connections": num(r"^Total: connections (\d+)"),
        "requests": num(r"^Total: connections \d+ requests (\d+)"),
        "replies": num(r"^Total: .* replies (\d+)"),
        "duration_s": num(r"test-duration ([0-9.]+) s"),
        "request_rate": num(r"^Request rate: ([0-9.]+) req/s"),
        "reply_response_ms": num(r"^Reply time \[ms\]: response ([0-9.]+)"),
        "reply_transfer_ms": num(r"^Reply time \[ms\]: response [0-9.]+ transfer ([0-9.]+)"),
        "conn_min_ms": num(r"^Connection time \[ms\]: min ([0-9.]+)"),
        "conn_avg_ms": num(r"^Connection time \[ms\]: min [0-9.]+ avg ([0-9.]+)"),
        "conn_max_ms": num(r"^Connection time \[ms\]: min .* max ([0-9.]+)"),
        "conn_median_ms": num(r"^Connection time \[ms\]: min .* median ([0-9.]+)"),
        "errors": num(r"^Errors: total (\d+)"),
        "client_cpu_pct": num(r"^CPU time \[s\]: .* total ([0-9.]+)%"),
        "status_2xx": num(r"^Reply status: .*2xx=(\d+)"),
    }
    if out["request_rate"] is None:
        return None  # killed by run.sh's time limit, or did not start
    out["reply_ms"] = (out["reply_response_ms"] or 0.0) + (out["reply_transfer_ms"] or 0.0)
    out["non2xx"] = (out["replies"] or 0) - (out["status_2xx"] or 0)
    return out


def read_foreign(path):
    """(others on the server CPU, others on the client CPU, servers' own share, load tool's own
    share), in % of one CPU, as written by run.sh."""
    if not path.exists():
        return None
    values = [int(v) for v in path.read_text().split()]
    return tuple(values + [None] * (4 - len(values)))


def fmt_foreign(f):
    return f"{f[0]}% / {f[1]}%" if f else "?"


def fmt_cpu(f):
    """servers' CPU + others' on the server CPU | load tool's + others' on the client CPU"""
    if not f or f[2] is None:
        return fmt_foreign(f)
    return f"{f[2]}+{f[0]}% / {f[3]}+{f[1]}%"


def read_meta(raw):
    meta = {}
    path = raw / "meta.tsv"
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("\t")
            meta[key] = value
    return meta


def closed_foreign(meta):
    f = meta.get("foreign_closed", "").split()
    if len(f) < 2:
        return "? of the server CPU and ?"
    if len(f) >= 4:
        return (f"{f[0]}% of the server CPU (the servers {f[2]}%) and {f[1]}% (wrk {f[3]}%)")
    return f"{f[0]}% of the server CPU and {f[1]}%"


def closed_loop(raw, targets=None):
    """{target: [per-round dicts in round order]}"""
    runs = {}
    for target in targets or TARGETS:
        files = sorted((raw / "closed").glob(f"{target}.r*.wrk"),
                       key=lambda p: int(re.search(r"\.r(\d+)\.wrk$", p.name).group(1)))
        if files:
            runs[target] = [parse_wrk(f.read_text()) for f in files]
            for f, run in zip(files, runs[target]):
                run["foreign"] = read_foreign(f.with_suffix(".foreign"))
    return runs


def summarize(rounds):
    rps = [r["rps"] for r in rounds]
    return {
        "rps": statistics.median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "p50": statistics.median(r["p50"] for r in rounds),
        "p99": statistics.median(r["p99"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "requests": sum(r["requests"] for r in rounds),
    }


def paired_ratios(a_rounds, b_rounds):
    """a's req/s over b's, round by round. The two ran back to back within each round, so a
    ratio taken within a round is less exposed to the machine's drift than a ratio of the two
    medians; the median and range of these say how far a closed-loop comparison can be
    trusted on a noisy machine."""
    ratios = [a["rps"] / b["rps"] for a, b in zip(a_rounds, b_rounds) if b["rps"]]
    if not ratios:
        return None
    return statistics.median(ratios), min(ratios), max(ratios)


def fmt_paired(paired, as_cost=False):
    """ "round by round: median 1.35× (1.32–1.84×)", or as a cost in %."""
    med, lo, hi = paired
    if as_cost:
        return (f"round by round: median {(1 - med) * 100:.1f}% "
                f"({(1 - hi) * 100:.1f}% to {(1 - lo) * 100:.1f}%)")
    return f"round by round: median {med:.2f}× ({lo:.2f}–{hi:.2f}×)"


# ---------------------------------------------------------------------------------------------
# formatting

def fmt_rps(x):
    return f"{x:,.0f}"


def fmt_ms(x):
    return f"{x:.3f}" if x < 1 else f"{x:.2f}"


def fmt_ratio(x):
    return f"{x:.2f}×"


def closed_tables(raw, meta):
    runs = closed_loop(raw)
    if not runs:
        return "", {}
    s = {t: summarize(r) for t, r in runs.items()}
    direct = s.get("direct", {}).get("rps")
    lines = [
        "| target | req/s (median) | req/s min–max | p50 ms | p99 ms | errors | ÷ direct "
        "| tidegate ÷ target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in TARGETS:
        if t not in s:
            continue
        x = s[t]
        vs_direct = fmt_ratio(x["rps"] / direct) if direct else "–"
        tg = s.get("tidegate")
        vs_tg = fmt_ratio(tg["rps"] / x["rps"]) if tg and t in PROXIES and t != "tidegate" else "–"
        lines.append(
            f"| {t} | {fmt_rps(x['rps'])} | {fmt_rps(x['rps_min'])}–{fmt_rps(x['rps_max'])} "
            f"| {fmt_ms(x['p50'])} | {fmt_ms(x['p99'])} | {x['errors']} | {vs_direct} | {vs_tg} |")
    table = "\n".join(lines)

    verdict = []
    tg = s.get("tidegate")
    for peer in ("nginx", "haproxy"):
        if tg and peer in s:
            ratio = tg["rps"] / s[peer]["rps"]
            p99_ok = tg["p99"] <= s[peer]["p99"]
            met = ratio >= 1.2 and p99_ok
            verdict.append(
                f"- tidegate vs {peer}: {ratio:.2f}× the req/s, p99 {fmt_ms(tg['p99'])} ms vs "
                f"{fmt_ms(s[peer]['p99'])} ms — target (≥ 1.20× and p99 ≤ {peer}'s) "
                f"**{'met' if met else 'not met'}**.")

    off = s.get("tidegate-nometrics")
    if tg and off:
        cost = 1 - tg["rps"] / off["rps"]
        verdict.append(
            f"- Metrics on vs off (tidegate vs tidegate with `metrics: {{ enabled: false }}`): "
            f"{abs(cost) * 100:.1f}% {'fewer' if cost >= 0 else 'more'} req/s with metrics on, "
            f"p99 {fmt_ms(tg['p99'])} ms vs {fmt_ms(off['p99'])} ms — target (≤ 3% apart) "
            f"**{'met' if abs(cost) <= 0.03 else 'not met'}**; "
            f"{fmt_paired(paired_ratios(runs['tidegate'], runs['tidegate-nometrics']), True)} "
            f"fewer with metrics on (negative: more).")

    rounds = max(len(r) for r in runs.values())
    per_round = ["| target | " + " | ".join(f"round {i + 1}" for i in range(rounds)) + " |",
                 "|---|" + "---:|" * rounds]
    for t in TARGETS:
        if t in runs:
            cells = [f"{fmt_rps(r['rps'])} ({fmt_ms(r['p99'])}"
                     + (f"; {fmt_cpu(r['foreign'])}" if r.get("foreign") else "") + ")"
                     for r in runs[t]]
            per_round.append(f"| {t} | " + " | ".join(cells) + " |")
    direct_wrk = [r["foreign"][3] for r in runs.get("direct", [])
                  if r.get("foreign") and r["foreign"][3] is not None]
    if direct_wrk and statistics.median(direct_wrk) >= 85:
        verdict.append(
            f"- In the direct runs wrk used {statistics.median(direct_wrk):.0f}% of its CPU: "
            f"there the load tool is (at least partly) the limit, so the ratios to direct are "
            f"upper bounds. The proxies' runs left wrk idle time, so they are not.")
    text = (table + "\n\n" + "\n".join(verdict) +
            "\n\nEvery round: req/s (p99 ms; CPU use in % of one CPU: the servers' + other "
            "processes' on the server CPU / wrk's + other processes' on the client CPU):\n\n" + "\n".join(per_round))
    return text, s


def open_table(raw, meta, targets=None):
    rows = []
    for t in targets or TARGETS:
        path = raw / "open" / f"{t}.httperf"
        if path.exists():
            rows.append((t, parse_httperf(path.read_text()),
                         read_foreign(path.with_suffix(".foreign"))))
    if not rows:
        return ""
    calls = meta.get("open_calls", "?")
    lines = [
        f"| target | offered req/s | achieved req/s | reply time avg ms | "
        f"connection of {calls} requests: median / avg / max ms | non-2xx | errors "
        f"| CPU: servers + others / httperf + others | proxy CPU µs per request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    # The proxy's own CPU per request: the servers' CPU less that of the backends alone at the
    # same rate (the direct run), over the achieved rate. Steadier than closed-loop req/s.
    direct = next((x for t, x, f in rows if t == "direct" and x and f and f[2] is not None), None)
    direct_cpu = next((f[2] for t, x, f in rows if t == "direct" and f), None)
    for t, x, foreign in rows:
        if x is None:
            lines.append(f"| {t} | {meta.get('open_rate', '?')} | no result (httperf did not "
                         f"finish in time) | | | | | {fmt_cpu(foreign)} | |")
            continue
        # httperf prints times with one decimal (0.1 ms): keep them as printed.
        lines.append(
            f"| {t} | {meta.get('open_rate', '?')} | {fmt_rps(x['request_rate'])} "
            f"| {x['reply_ms']:.1f} "
            f"| {x['conn_median_ms'] or 0:.1f} / {x['conn_avg_ms'] or 0:.1f} / "
            f"{x['conn_max_ms'] or 0:.1f} "
            f"| {int(x['non2xx'])} | {int(x['errors'] or 0)} | {fmt_cpu(foreign)} "
            f"| {proxy_us(t, x, foreign, direct, direct_cpu)} |")
    return "\n".join(lines)


def proxy_cpu_us(raw, targets):
    """{target: the proxy's own CPU µs per request in the open loop} (see open_table)."""
    rows = {}
    for t in targets:
        path = raw / "open" / f"{t}.httperf"
        if path.exists():
            rows[t] = (parse_httperf(path.read_text()), read_foreign(path.with_suffix(".foreign")))
    d = rows.get("direct")
    if not d or not d[0] or not d[1] or d[1][2] is None:
        return {}
    out = {}
    for t, (x, foreign) in rows.items():
        if t != "direct" and x and foreign and foreign[2] is not None and x["request_rate"]:
            out[t] = (foreign[2] - d[1][2]) / 100 / x["request_rate"] * 1e6
    return out


def proxy_us(target, x, foreign, direct, direct_cpu):
    if target == "direct" or not direct or not foreign or foreign[2] is None:
        return "–"
    share = (foreign[2] - direct_cpu) / 100  # of one CPU
    return f"{share / x['request_rate'] * 1e6:.1f}"


def memory_table(raw, meta):
    rows = []
    for t in PROXIES:
        path = raw / "memory" / f"{t}.json"
        if path.exists():
            rows.append((t, json.loads(path.read_text())))
    if not rows:
        return ""
    n = int(meta.get("idle_conns", "10000"))
    lines = [
        f"| server | idle RSS MB (just started) | RSS MB before | RSS MB with {n:,} idle "
        f"keep-alive connections | per connection KB | connections held / still open "
        f"| kept per request in flight KB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    window = int(meta.get("window", "100"))
    for t, x in rows:
        lines.append(
            f"| {t} | {x['rss_start_kb'] / 1024:.1f} | {x['rss_before_kb'] / 1024:.1f} "
            f"| {x['rss_after_kb'] / 1024:.1f} | {x['per_conn_bytes'] / 1024:.2f} "
            f"| {x['ok']:,} / {x['alive_at_end']:,} "
            f"| {(x['rss_before_kb'] - x['rss_start_kb']) / window:.0f} |")
    tg = dict(rows).get("tidegate")
    if tg:
        idle_ok = tg["rss_start_kb"] <= 15 * 1024
        conn_ok = tg["per_conn_bytes"] <= 8 * 1024 and tg["ok"] == n
        lines += [
            "",
            f"- Budget: idle RSS ≤ 15 MB — tidegate {tg['rss_start_kb'] / 1024:.1f} MB, "
            f"**{'met' if idle_ok else 'not met'}**.",
            f"- Budget: ≤ 8 KB per idle keep-alive connection — tidegate "
            f"{tg['per_conn_bytes'] / 1024:.2f} KB, **{'met' if conn_ok else 'not met'}**.",
        ]
    return "\n".join(lines)


def environment(meta):
    return "\n".join([
        f"- Date: {meta.get('date', '?')}; {meta.get('tidegate_version', '?')} (binary built "
        f"{meta.get('tidegate_built', '?')}), tree at `{meta.get('commit', '?')}`",
        f"- Command: `{meta.get('command', '?')}`",
        f"- Machine: {meta.get('nproc', '?')} cores ({meta.get('cpu', '?')}), "
        f"{meta.get('mem', '?')}, Linux {meta.get('kernel', '?')}",
        f"- Peers: {meta.get('nginx_version', '?')}; {meta.get('haproxy_version', '?')}; "
        f"{meta.get('wrk_version', '?')}; {meta.get('httperf_version', '?')}",
        f"- Load average (1/5/15 min): {meta.get('load_before', '?')} before the run, "
        f"{meta.get('load_after', '?')} after it. During the closed loop other processes "
        f"(builds, kernel threads) took {closed_foreign(meta)} of the client CPU",
    ])


def method(meta):
    c, d, r, t = (meta.get(k, "?") for k in ("connections", "duration", "rounds", "wrk_threads"))
    sc, cc = meta.get("server_cpu", "0"), meta.get("client_cpu", "1")
    return "\n".join([
        f"- Two `tidegate-echo` backends (`--threads 1`, the default 3-byte body `ok\\n`, no "
        f"added latency). Every server (backends and proxy, one worker/thread each) is pinned "
        f"to CPU {sc} with `taskset`, wrk and httperf to CPU {cc}, so the load tool never takes "
        f"CPU from the servers. Loopback only."
        + (f" Servers and load tools ran at nice {meta['nice']} (and so did the script's "
           f"scheduler autogroup), so that other processes on the machine take less from "
           f"them." if meta.get("nice", "0") != "0" else ""),
        f"- **direct** = wrk against one backend. **tidegate** (`workers: 1`, "
        f"`balance: {meta.get('balance', '?')}`, `keepalive: {{ max_idle: 64 }}`), **nginx** "
        f"(`worker_processes 1`, `upstream {{ keepalive 64; }}`, `proxy_http_version 1.1`, "
        f"`Connection \"\"`, default round robin) and **haproxy** (`nbthread 1`, "
        f"`balance leastconn`, `http-reuse always`, `option http-keep-alive`) in front of both "
        f"backends. Access logs off everywhere; nginx and haproxy are told to add "
        f"`X-Forwarded-For` because tidegate always does. Configs: `bench/peers/`. The "
        f"backends are `tidegate-echo`, much faster than the nginx backends of the design "
        f"brief's budget table, so ratios to direct come out smaller than there: compare "
        f"the proxies with one another, not these ratios with the brief's.",
        f"- Closed loop: `wrk -t{t} -c{c} -d{d}s --latency`, {r} round(s) after a "
        f"{meta.get('warmup', '?')} s warm-up of each target. In a round the targets run one "
        f"after the other, and the starting target rotates from round to round. req/s is the "
        f"median over rounds; p50/p99 are the medians of the rounds' wrk percentiles.",
        f"- Open loop: httperf starts connections on a fixed schedule "
        f"(`--rate {meta.get('open_conn_rate', '?')} --num-calls {meta.get('open_calls', '?')}`: "
        f"{meta.get('open_rate', '?')} req/s, {meta.get('open_fraction', '?')} × "
        f"{meta.get('open_base', 'nginx')}'s closed-loop median, the same for every target, "
        f"{meta.get('open_duration', '?')} s each), so a slow response never delays the start "
        f"of the next connection; only the requests inside one connection wait for each other. "
        f"httperf reports the average reply time (to 0.1 ms) and the median (to its 1 ms "
        f"histogram bins), average and maximum of whole connections, no per-request percentiles; Debian packages no open-loop HTTP/1.1 load "
        f"generator that has them (no wrk2, no vegeta). httperf busy-polls, so its own CPU "
        f"use says nothing about its headroom; it kept to the offered rate when the achieved "
        f"rate matches it. \"Proxy CPU per request\" is the server CPU's use by the servers "
        f"less the backends' alone at the same rate (the direct run), over the rate: the "
        f"proxy's own cost, steadier from run to run than closed-loop req/s.",
        "- CPU accounting, for every run: each CPU's user+system time from `/proc/stat` minus "
        "that of run.sh's own processes on it (the servers from `/proc/PID/stat`, the load "
        "tool from bash's `times`) is what other processes (a build, kernel threads) took. "
        "In the closed loop the servers should have the server CPU to themselves; when wrk "
        "uses all of the client CPU (direct), the load tool, not the backend, may be the "
        "limit. Idle time (the client CPU while wrk waits, the servers' below saturation in "
        "the open loop) that other processes take costs only wake-up latency.",
    ]) + "\n"


def memory_method(meta):
    n = int(meta.get("idle_conns", "10000"))
    w = meta.get("window", "100")
    return "\n".join([
        f"- Each proxy is started afresh with the configs above. \"Idle RSS\" is VmRSS from "
        f"`/proc/PID/status` {meta.get('settle', '2')} s after it starts listening (nginx: master "
        f"+ worker, so the pages they share count twice).",
        f"- `bench/idle_conns.py` then runs one batch of {w} short connections, so that the "
        f"buffers and free lists a server keeps for requests in progress are at their peak "
        f"before the baseline (\"RSS before\"). Then it opens {n:,} keep-alive connections "
        f"({w} in flight at once), each sends one GET and reads the whole response and then "
        f"stays idle; RSS is read again {meta.get('settle', '2')} s later. Per connection = "
        f"(after − before) / connections held. Kernel socket buffers are not part of RSS.",
        f"- \"Kept per request in flight\" = (RSS before − idle RSS) / {w}: what the "
        f"server still holds after {w} concurrent requests (buffers, free lists, upstream "
        f"connections).",
        "- haproxy 2.6 will not start unless 2 × maxconn + 14 fds fit in its open-file "
        "limit; where the hard limit is 20,000 (as here) it holds at most 9,800 connections.",
    ]) + "\n"


def render(raw):
    meta = read_meta(raw)
    closed, _ = closed_tables(raw, meta)
    opened = open_table(raw, meta)
    mem = memory_table(raw, meta)
    throughput = [THROUGHPUT_HEADING, "", environment(meta), ""]
    if closed:
        throughput += ["### Closed loop (wrk)", "", closed, ""]
    if opened:
        throughput += [f"### Open loop (httperf, {meta.get('open_rate', '?')} req/s)", "",
                       opened, ""]
    throughput += ["### Method", "", method(meta)]
    memory = [MEMORY_HEADING, ""]
    if mem:
        memory += [f"Recorded with the run above (`bench/run.sh`, {meta.get('date', '?')}).", "",
                   mem, "", "### Method (memory)", "", memory_method(meta)]
    return "\n".join(throughput), "\n".join(memory) if mem else ""


# ---------------------------------------------------------------------------------------------
# docs/benchmarks.md

def split_sections(text):
    """[(heading or None for the preamble, body lines)] on '## ' headings."""
    sections, heading, body = [], None, []
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append((heading, body))
            heading, body = line.rstrip(), []
        else:
            body.append(line)
    sections.append((heading, body))
    return sections


def update_doc(path, throughput, memory):
    path = Path(path)
    text = path.read_text() if path.exists() else PREAMBLE
    sections = split_sections(text)
    new = {THROUGHPUT_HEADING: throughput, MEMORY_HEADING: memory}
    out, seen = [], set()
    for heading, body in sections:
        if heading in new and new[heading]:
            out.append(new[heading].rstrip("\n") + "\n")
            seen.add(heading)
        elif heading is None:
            out.append("\n".join(body).rstrip("\n") + "\n")
        else:
            out.append(heading + "\n" + "\n".join(body).rstrip("\n") + "\n")
    # Sections not there yet go right after the preamble, throughput first, so that the
    # order is stable whatever other sections exist.
    insert_at = 1
    for heading in (THROUGHPUT_HEADING, MEMORY_HEADING):
        if heading not in seen and new[heading]:
            out.insert(insert_at, new[heading].rstrip("\n") + "\n")
            insert_at += 1
        elif heading in seen:
            insert_at = next(i for i, s in enumerate(out) if s.startswith(heading)) + 1
    path.write_text("\n".join(out))


def main(argv):
    if len(argv) >= 3 and argv[0] == "median-rps":
        runs = closed_loop(Path(argv[1]), [argv[2]])
        print(f"{summarize(runs[argv[2]])['rps']:.0f}")
        return 0
    if len(argv) >= 2 and argv[0] == "summary":
        raw = Path(argv[1])
        throughput, memory = render(raw)
        print(throughput)
        if memory:
            print(memory)
        if len(argv) >= 4 and argv[2] == "--doc":
            update_doc(argv[3], throughput, memory)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
