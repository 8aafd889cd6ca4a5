#!/usr/bin/env python3
"""The report of bench/run.sh --lua: Markdown tables for the Lua scenario, and its section of
docs/benchmarks.md (every other section is left alone).

  bench/lua/report.py RAWDIR [--doc FILE]

RAWDIR is run.sh's raw directory (closed/TARGET.rN.wrk, .foreign, meta.tsv). Parsing and
number formats are bench/report.py's.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import report as core  # noqa: E402  (bench/report.py)

HEADING = "## Lua scripts: tidegate vs nginx + Lua (bench/run.sh --lua)"
TARGETS = ["direct", "tidegate-lua", "nginx-lua", "tidegate"]
LABELS = {
    "direct": "direct (one backend)",
    "tidegate-lua": "tidegate + Lua script",
    "nginx-lua": "nginx + Lua",
    "tidegate": "tidegate, no script",
}


def closed_loop(raw):
    runs = {}
    for target in TARGETS:
        files = sorted((raw / "closed").glob(f"{target}.r*.wrk"),
                       key=lambda p: int(p.name.rsplit(".r", 1)[1].split(".")[0]))
        if files:
            runs[target] = []
            for f in files:
                run = core.parse_wrk(f.read_text())
                run["foreign"] = core.read_foreign(f.with_suffix(".foreign"))
                runs[target].append(run)
    return runs


def tables(raw):
    runs = closed_loop(raw)
    if not runs:
        return "", {}
    s = {t: core.summarize(r) for t, r in runs.items()}
    direct = s.get("direct", {}).get("rps")
    ngx = s.get("nginx-lua", {}).get("rps")
    lines = ["| target | req/s (median) | req/s min–max | p50 ms | p99 ms | errors | ÷ direct "
             "| ÷ nginx + Lua |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for t in TARGETS:
        if t not in s:
            continue
        x = s[t]
        lines.append(
            f"| {LABELS[t]} | {core.fmt_rps(x['rps'])} | {core.fmt_rps(x['rps_min'])}–"
            f"{core.fmt_rps(x['rps_max'])} | {core.fmt_ms(x['p50'])} | {core.fmt_ms(x['p99'])} "
            f"| {x['errors']} | {core.fmt_ratio(x['rps'] / direct) if direct else '–'} "
            f"| {core.fmt_ratio(x['rps'] / ngx) if ngx and t != 'direct' else '–'} |")

    verdict = []
    tg, ng, off = s.get("tidegate-lua"), s.get("nginx-lua"), s.get("tidegate")
    if tg and ng:
        ratio = tg["rps"] / ng["rps"]
        met = ratio >= 1.4 and tg["p99"] <= ng["p99"]
        verdict.append(
            f"- tidegate + Lua vs nginx + Lua: {ratio:.2f}× the req/s, p99 "
            f"{core.fmt_ms(tg['p99'])} ms vs {core.fmt_ms(ng['p99'])} ms — target (≥ 1.40× and "
            f"p99 ≤ nginx's) **{'met' if met else 'not met'}**; "
            f"{core.fmt_paired(core.paired_ratios(runs['tidegate-lua'], runs['nginx-lua']))}.")
    if tg and off:
        cost = 1 - tg["rps"] / off["rps"]
        verdict.append(
            f"- Lua hooks on vs off (tidegate + script vs tidegate with its built-in "
            f"least_request): {abs(cost) * 100:.1f}% {'fewer' if cost >= 0 else 'more'} req/s, p99 {core.fmt_ms(tg['p99'])} ms vs "
            f"{core.fmt_ms(off['p99'])} ms — target (≤ 10% cost) "
            f"**{'met' if cost <= 0.10 else 'not met'}**; "
            f"{core.fmt_paired(core.paired_ratios(runs['tidegate-lua'], runs['tidegate']), True)}"
            f" fewer (negative: more).")
    busy = [r["foreign"][1] for t, rs in runs.items() if t != "direct" for r in rs
            if r.get("foreign") and r["foreign"][1] is not None]
    if busy and max(busy) >= 20:
        verdict.append(
            f"- Other processes took up to {max(busy)}% of the client CPU in the proxies' "
            f"rounds (see below; the server CPU is what limits them). wrk had idle time there, "
            f"so this costs it wake-up latency, which shows in p99 more than in req/s.")
    errors = sum(x["errors"] for x in s.values())
    if errors:
        verdict.append(f"- {errors} errors or non-2xx answers in all: with a high limit there "
                       f"should be none (see the raw wrk outputs).")

    rounds = max(len(r) for r in runs.values())
    per_round = ["| target | " + " | ".join(f"round {i + 1}" for i in range(rounds)) + " |",
                 "|---|" + "---:|" * rounds]
    for t in TARGETS:
        if t in runs:
            cells = [f"{core.fmt_rps(r['rps'])} ({core.fmt_ms(r['p99'])}"
                     + (f"; {core.fmt_cpu(r['foreign'])}" if r.get("foreign") else "") + ")"
                     for r in runs[t]]
            per_round.append(f"| {LABELS[t]} | " + " | ".join(cells) + " |")
    text = (("\n".join(lines)) + "\n\n" + "\n".join(verdict) +
            "\n\nEvery round: req/s (p99 ms; CPU use in % of one CPU: the servers' + other "
            "processes' on the server CPU / wrk's + other processes' on the client CPU):\n\n"
            + "\n".join(per_round))
    return text, s


def limit_note(limit):
    if limit.isdigit() and int(limit) >= 1_000_000:
        return "high, so nothing is rejected; `--lua-limit 5` shows 429s"
    return "low: this run shows the limit rejecting requests, its req/s are not comparable"


def method(meta):
    c, d, r, t = (meta.get(k, "?") for k in ("connections", "duration", "rounds", "wrk_threads"))
    limit = meta.get("lua_limit", "?")
    return "\n".join([
        f"- The same machine set-up, pinning and load as the section above (two `tidegate-echo` "
        f"backends; servers on CPU {meta.get('server_cpu', '0')}, wrk on CPU "
        f"{meta.get('client_cpu', '1')}; `wrk -t{t} -c{c} -d{d}s --latency`, {r} round(s) after "
        f"a {meta.get('warmup', '?')} s warm-up, the starting target rotating)"
        + (f", nice {meta['nice']}" if meta.get("nice", "0") != "0" else "") + ".",
        f"- The logic, in both: a per-client-IP sliding-window limit of {int(limit):,} requests "
        f"per second ({limit_note(limit)}) kept in a "
        f"shared dict (`incr` of this window's key with a TTL, `get` of the previous one), "
        f"then the backend with the fewest requests in flight, ties going to the lower EWMA "
        f"latency.",
        "- **nginx + Lua** (`bench/lua/nginx.conf.in`, lua-nginx-module "
        f"{meta.get('nginx_lua_module', '?')}, one worker, upstream keep-alive 64): the limit in "
        "`access_by_lua_block` over `ngx.shared.limits`; the balancer in `balancer_by_lua_block` "
        "reads each backend's in-flight count from `ngx.shared.balance` (the EWMA only on a "
        "tie), `incr`s the winner and calls `ngx.balancer.set_current_peer`; "
        "`log_by_lua_block` `incr`s it back down and folds `$upstream_response_time` into the "
        "EWMA (a `get` and a `set`, weight 0.1). nginx has no shared live backend stats, so "
        "the script keeps them itself: that bookkeeping is part of what nginx + Lua costs.",
        "- **tidegate + Lua script** (`bench/lua/tidegate.yaml.in`, "
        "`bench/lua/tidegate_least_loaded_limit.lua`): the limit in `on_request` over "
        "`tg.shared.limits`; `balance` is `examples/lua/least_loaded.lua` over the gateway's "
        "own live stats (`b.inflight`, `b.healthy`, `b.ewma_ms`, kept by the proxy whether or "
        "not a script runs). **tidegate, no script** is the plain config of the section above "
        f"(`balance: {meta.get('balance', '?')}`, the same policy built in): the difference "
        "between the two is what the Lua hooks cost.",
        "- CPU accounting as in the section above.",
    ]) + "\n"


def open_loop(raw, meta):
    """The open-loop table and what it says about the two targets: the proxy's own CPU per
    request at one fixed rate is steadier than closed-loop req/s on a machine whose speed
    drifts (every server is CPU-bound in the closed loop, so req/s is 1 / CPU per request)."""
    table = core.open_table(raw, meta, TARGETS)
    if not table:
        return ""
    us = core.proxy_cpu_us(raw, TARGETS)
    lines = []
    tg, ng, off = us.get("tidegate-lua"), us.get("nginx-lua"), us.get("tidegate")
    if tg and ng:
        lines.append(f"- Proxy CPU per request: tidegate + Lua {tg:.1f} µs, nginx + Lua "
                     f"{ng:.1f} µs: nginx + Lua needs {ng / tg:.2f}× the CPU per request.")
    if tg and off:
        cost = 1 - off / tg
        lines.append(f"- Lua hooks on vs off: {tg:.1f} µs vs {off:.1f} µs per request, so at full "
                     f"load the hooks cost {cost * 100:.1f}% of the req/s.")
    return table + ("\n\n" + "\n".join(lines) if lines else "")


def render(raw):
    meta = core.read_meta(raw)
    closed, _ = tables(raw)
    out = [HEADING, "", core.environment(meta), ""]
    if closed:
        out += ["### Closed loop (wrk)", "", closed, ""]
    opened = open_loop(raw, meta)
    if opened:
        out += [f"### Open loop (httperf, {meta.get('open_rate', '?')} req/s)", "", opened, ""]
    out += ["### Method", "", method(meta)]
    return "\n".join(out)


def update_doc(path, section):
    """Replaces this scenario's section, or appends it; the other sections stay as they are."""
    path = Path(path)
    text = path.read_text() if path.exists() else core.PREAMBLE
    parts, found = [], False
    for heading, body in core.split_sections(text):
        if heading == HEADING:
            parts.append(section.rstrip("\n") + "\n")
            found = True
        elif heading is None:
            parts.append("\n".join(body).rstrip("\n") + "\n")
        else:
            parts.append(heading + "\n" + "\n".join(body).rstrip("\n") + "\n")
    if not found:
        parts.append(section.rstrip("\n") + "\n")
    path.write_text("\n".join(parts))


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    section = render(Path(argv[0]))
    print(section)
    if len(argv) >= 3 and argv[1] == "--doc":
        update_doc(argv[2], section)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
