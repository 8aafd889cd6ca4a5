#!/usr/bin/env python3
"""examples/grafana/tidegate.json: a well-formed Grafana dashboard whose every PromQL expression
parses (promtool) and names only metric families the gateway declares, with their labels.

The families come from a live gateway's GET /metrics on its admin listener when the binary
serves one; the source of the standard families (src/metrics/request_metrics.cc) is checked
always, so the test means something before the admin listener exists and keeps the dashboard
honest when a family is renamed in the source."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

DASHBOARD = os.path.join(h.REPO, "examples", "grafana", "tidegate.json")
FAMILY_SOURCES = [os.path.join(h.REPO, "src", "metrics", name)
                  for name in ("request_metrics.cc", "host_metrics.cc")]

# Labels the gateway puts on its series, plus the histogram bucket bound.
KNOWN_LABELS = {"route", "upstream", "backend", "code_class", "le"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

PROMQL_WORDS = {
    # aggregation operators and modifiers, binary operators, keywords
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "and", "or", "unless", "offset", "atan2", "inf", "nan",
}

# Grafana's variables, replaced by values PromQL accepts, so promtool can parse the query.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h",
                     "$route": ".*", "$upstream": ".*"}


def source_families():
    """{family name: type} from the C++ declarations: counter/gauge/latestGauge("name", …) and
    latency("name", …) (a histogram)."""
    kinds = {"counter": "counter", "gauge": "gauge", "latestGauge": "gauge",
             "latency": "histogram", "histogram": "histogram"}
    out = {}
    for path in FAMILY_SOURCES:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            text = f.read()
        for m in re.finditer(r'\b(counter|gauge|latestGauge|latency|histogram)\(\s*"(tidegate_\w+)"',
                             text):
            out[m.group(2)] = kinds[m.group(1)]
    return out


def exposition_families(text):
    """{family name: type} from Prometheus text exposition (# TYPE lines)."""
    out = {}
    for m in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.M):
        out[m.group(1)] = m.group(2)
    return out


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def expressions(dashboard):
    """(where, PromQL) for every panel target and every query variable."""
    for p in walk_panels(dashboard.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                yield f"panel {p.get('title')!r} target {t.get('refId')}", t["expr"]
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", q or "")
            if m:  # Grafana's helper, not PromQL: its first argument is a selector
                yield f"variable {v.get('name')!r}", m.group(1)
            elif q:
                yield f"variable {v.get('name')!r}", q


def strip_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def metric_names(expr):
    """The metric names a PromQL expression selects: identifiers that are not functions
    (followed by '('), keywords, label names (inside {} or by/without/on/ignoring lists) or
    durations (inside [])."""
    e = strip_strings(expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def label_names(expr):
    """Label names in matchers ({name="…"}) and in by/without/on/ignoring lists."""
    e = strip_strings(expr)
    out = set()
    for block in re.findall(r"\{([^}]*)\}", e):
        out.update(re.findall(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)", block))
    for block in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", e):
        out.update(x.strip() for x in block.split(",") if x.strip())
    return out


def family_of(name, families):
    if name in families:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and families.get(name[: -len(suffix)]) == "histogram":
            return name[: -len(suffix)]
    return None


class DashboardChecks:
    """Checks of the dashboard against a {family: type} map (mixed into the test cases)."""

    def check_names(self, families):
        self.assertTrue(families, "no tidegate families found to check against")
        seen = set()
        for where, expr in expressions(self.dashboard):
            names = metric_names(expr)
            self.assertTrue(names, f"{where}: no metric in {expr!r}")
            for name in names:
                family = family_of(name, families)
                self.assertIsNotNone(family, f"{where}: {name!r} is not a tidegate family "
                                             f"(known: {sorted(families)})")
                seen.add(family)
                if families[family] == "histogram":
                    self.assertNotEqual(name, family, f"{where}: a histogram is read through "
                                                      f"_bucket/_sum/_count, not {name!r}")
            if "histogram_quantile" in expr:
                self.assertRegex(expr, r"_bucket\b", f"{where}: histogram_quantile needs _bucket")
                self.assertIn("le", label_names(expr), f"{where}: quantile must keep `le`")
        return seen


class TestGrafanaDashboard(unittest.TestCase, DashboardChecks):
    @classmethod
    def setUpClass(cls):
        with open(DASHBOARD) as f:
            cls.dashboard = json.load(f)

    def test_is_an_importable_dashboard(self):
        d = self.dashboard
        self.assertIn(d.get("schemaVersion"), range(36, 40))
        self.assertTrue(d.get("title"))
        self.assertTrue(d.get("uid"))
        inputs = {i["name"]: i for i in d.get("__inputs", [])}
        self.assertIn("DS_PROMETHEUS", inputs)
        self.assertEqual(inputs["DS_PROMETHEUS"]["pluginId"], "prometheus")
        ids = [p["id"] for p in walk_panels(d["panels"])]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")

    def test_every_query_uses_the_prometheus_input(self):
        for p in walk_panels(self.dashboard["panels"]):
            if p["type"] == "row":
                continue
            self.assertEqual(p["datasource"]["uid"], "${DS_PROMETHEUS}", p["title"])
            self.assertTrue(p["targets"], f"panel {p['title']!r} has no query")
            for t in p["targets"]:
                self.assertEqual(t["datasource"]["uid"], "${DS_PROMETHEUS}", p["title"])
        for v in self.dashboard["templating"]["list"]:
            self.assertEqual(v["datasource"]["uid"], "${DS_PROMETHEUS}", v["name"])

    def test_panels_do_not_overlap(self):
        cells = {}
        for p in walk_panels(self.dashboard["panels"]):
            g = p["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells, f"{p['title']!r} overlaps {cells.get((x, y))!r}")
                    cells[(x, y)] = p["title"]

    def test_covers_what_operators_ask_for(self):
        text = json.dumps(self.dashboard)
        for family in ("tidegate_http_requests_total", "tidegate_http_request_duration_seconds_bucket",
                       "tidegate_upstream_requests_total",
                       "tidegate_upstream_request_duration_seconds_bucket",
                       "tidegate_http_requests_in_flight", "tidegate_http_connections_active",
                       "tidegate_upstream_connect_failures_total", "tidegate_upstream_timeouts_total",
                       "tidegate_upstream_replicas"):
            self.assertIn(family, text)
        self.assertIn('code_class=\\"5xx\\"', text)
        self.assertIn("histogram_quantile(0.99", text)
        self.assertIn("histogram_quantile(0.5", text)

    def test_labels_are_the_gateways(self):
        for where, expr in expressions(self.dashboard):
            unknown = label_names(expr) - KNOWN_LABELS
            self.assertFalse(unknown, f"{where}: unknown labels {sorted(unknown)} in {expr!r}")

    def test_metric_names_are_declared_in_the_source(self):
        self.check_names(source_families())

    def test_promtool_parses_every_expression(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool not installed (Debian package prometheus)")
        rules = []
        for i, (where, expr) in enumerate(expressions(self.dashboard)):
            for var, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(var, value)
            self.assertNotIn("$", expr, f"{where}: unreplaced Grafana variable")
            rules.append({"record": f"dashboard:check_{i}", "expr": expr})
        d = h.make_tmpdir("tg-grafana-")
        path = os.path.join(d, "rules.json")  # JSON is YAML: promtool reads it as a rule file
        with open(path, "w") as f:
            json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
        p = subprocess.run([promtool, "check", "rules", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout.decode("utf-8", "replace"))


# The admin listener's config, as the gateway will take it (top-level `admin:`).
LIVE_CONFIG = """listen: ["127.0.0.1:{port}"]
admin: {{ listen: "127.0.0.1:{admin}" }}
workers: 1
upstreams:
  app: {{ backends: ["{backend}"] }}
routes:
  - {{ name: all, match: {{ path_prefix: / }}, upstream: app }}
"""


class TestGrafanaDashboardLive(unittest.TestCase, DashboardChecks):
    """Against a running gateway's GET /metrics. Skips while the binary has no admin listener."""

    @classmethod
    def setUpClass(cls):
        h.require_binaries(echo=True)
        with open(DASHBOARD) as f:
            cls.dashboard = json.load(f)
        cls.echo = h.Echo(backend_id="a")
        cls.admin_port = h.free_port()
        try:
            cls.gw = h.Gateway(lambda port: LIVE_CONFIG.format(port=port, admin=cls.admin_port,
                                                          backend=cls.echo.address))
        except RuntimeError as e:
            cls.echo.stop()
            raise unittest.SkipTest(f"gateway did not start with an admin listener: {e}"[:400])

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.echo.stop()

    def scrape(self):
        url = f"http://127.0.0.1:{self.admin_port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, ""
        except OSError:
            return None, ""

    def test_metric_names_are_served_by_the_gateway(self):
        for _ in range(3):  # some series exist only once a request was served
            h.curl([self.gw.url("/")])
        status, text = self.scrape()
        if status != 200:
            self.skipTest(f"no GET /metrics on the admin listener yet (status {status})")
        families = {k: v for k, v in exposition_families(text).items() if k.startswith("tidegate_")}
        seen = self.check_names(families)
        self.assertIn("tidegate_http_requests_total", seen)


if __name__ == "__main__":
    unittest.main(verbosity=2)
