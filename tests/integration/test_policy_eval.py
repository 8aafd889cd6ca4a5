#!/usr/bin/env python3
"""`tidegate policy eval`: the shipped example contexts through every built-in and its Lua copy
(same decision), a custom Lua policy, and each kind of bad input giving a clear message and a
non-zero exit. Also `tidegate check` reporting bad policy parameters at file:line."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

EXAMPLES = os.path.join(h.REPO, "examples", "policy")
LUA_POLICIES = os.path.join(h.REPO, "examples", "lua", "policies")

# (policy, example context, expected desired count)
EXAMPLE_CASES = [
    ("target_tracking", "hpa_cpu.json", 6),
    ("step", "step_aws.json", 14),
    ("concurrency", "concurrency_panic.json", 10),
    ("threshold", "threshold_state.json", 4),
]


def load_example(name):
    with open(os.path.join(EXAMPLES, name)) as f:
        return json.load(f)


def run(args, stdin=None):
    p = subprocess.run([h.TIDEGATE_BIN] + args, input=stdin, capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def evaluate(policy, ctx, extra=()):
    with open(os.path.join(h.make_tmpdir(), "ctx.json"), "w") as f:
        f.write(json.dumps(ctx) if not isinstance(ctx, str) else ctx)
        path = f.name
    return run(["policy", "eval", policy, "--input", path] + list(extra))


class PolicyEvalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.require_binaries(echo=False)

    def test_examples_builtin_and_lua_agree(self):
        for policy, example, want in EXAMPLE_CASES:
            ctx = os.path.join(EXAMPLES, example)
            with self.subTest(policy=policy):
                rc, out, err = run(["policy", "eval", policy, "--input", ctx])
                self.assertEqual(rc, 0, err)
                builtin = json.loads(out)
                self.assertEqual(builtin["desired"], want, builtin)
                self.assertEqual(builtin["policy"], policy)
                self.assertTrue(builtin["reason"])
                self.assertTrue(builtin["inputs"], "the metric values it used")
                rc, out, err = run(["policy", "eval", os.path.join(LUA_POLICIES, policy + ".lua"),
                                    "--input", ctx])
                self.assertEqual(rc, 0, err)
                lua = json.loads(out)
                self.assertEqual(lua["desired"], builtin["desired"], (builtin, lua))
                self.assertEqual(lua["state"], builtin["state"])

    def test_state_comes_back_for_the_next_call(self):
        ctx = load_example("concurrency_panic.json")
        rc, out, err = evaluate("concurrency", ctx)
        self.assertEqual(rc, 0, err)
        first = json.loads(out)
        self.assertEqual(first["state"]["max_panic_pods"], 10)
        # The load is gone 10 s later, but panic holds the count for a stable window.
        ctx.update(now=1010, replicas=10, ready=10, state=first["state"])
        ctx["metrics"][1]["value"] = 14
        rc, out, err = evaluate("concurrency", ctx)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["desired"], 10)

    def test_params_file_overrides_the_context(self):
        ctx = load_example("step_aws.json")
        params = dict(ctx["params"], adjustment_type="ExactCapacity")
        path = os.path.join(h.make_tmpdir(), "params.json")
        with open(path, "w") as f:
            json.dump(params, f)
        rc, out, err = evaluate("step", ctx, ["--params", path])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["desired"], 20, "ExactCapacity 30, clamped to max 20")

    def test_custom_lua_policy_from_stdin_context(self):
        tmp = h.make_tmpdir()
        policy = os.path.join(tmp, "inflight.lua")
        with open(policy, "w") as f:
            f.write("return function(ctx)\n"
                    "  local busy = ctx:metric('inflight', 'avg', 15)\n"
                    "  return math.ceil(busy / 8), 'inflight ' .. busy\n"
                    "end\n")
        ctx = {"replicas": 2, "max": 10,
               "metrics": [{"name": "inflight", "agg": "avg", "window": 15, "value": 41}]}
        rc, out, err = run(["policy", "eval", policy, "--input", "-"], stdin=json.dumps(ctx))
        self.assertEqual(rc, 0, err)
        got = json.loads(out)
        self.assertEqual(got["desired"], 6)
        self.assertEqual(got["reason"], "inflight 41")
        self.assertEqual(got["inputs"], {"inflight avg 15s": 41})

    def test_bad_inputs_fail_clearly(self):
        tmp = h.make_tmpdir()
        broken_lua = os.path.join(tmp, "broken.lua")
        with open(broken_lua, "w") as f:
            f.write("return function(ctx)\n  return ctx.nothing.here\nend\n")
        cases = [
            (["policy", "eval", "hpa", "--input", os.path.join(EXAMPLES, "step_aws.json")],
             "neither a built-in policy"),
            (["policy", "eval", "step", "--input", os.path.join(tmp, "absent.json")],
             "cannot read input"),
            (["policy", "eval", broken_lua, "--input", os.path.join(EXAMPLES, "step_aws.json")],
             "broken.lua:2:"),
            (["policy", "eval", "step"], "usage: tidegate policy eval"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                rc, out, err = run(args)
                self.assertNotEqual(rc, 0)
                self.assertIn(message, err)
                self.assertEqual(out, "")
        for ctx, message in [
            ("{not json", "is not valid JSON"),
            ({"ready": 2}, "'replicas' is required"),
            ({"replicas": 2, "metricz": []}, "unknown key 'metricz'"),
            ({"replicas": 2, "metrics": [{"name": "rps", "value": "high"}]},
             "metrics[0]: 'value' must be a number"),
            ({"replicas": 2, "params": {"metric": "rps"}}, "step: scale_out or scale_in is required"),
            ({"replicas": 2, "params": load_example("step_aws.json")["params"]},
             "step: no data for cpu_percent"),
        ]:
            with self.subTest(ctx=ctx):
                rc, out, err = evaluate("step", ctx)
                self.assertEqual(rc, 1)
                self.assertIn(message, err)


class CheckPolicyParamsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.require_binaries(echo=False)

    def check(self, policy_yaml):
        path = os.path.join(h.make_tmpdir(), "gw.yaml")
        with open(path, "w") as f:
            f.write('listen: ["127.0.0.1:8080"]\n'
                    "upstreams:\n"
                    "  app:\n"
                    "    scale:\n"
                    "      max: 4\n"
                    "      policy: " + policy_yaml + "\n"
                    "      process: { command: \"x --port {port}\", ports: 9100-9109 }\n"
                    "routes:\n"
                    "  - { match: { path_prefix: / }, upstream: app }\n")
        return path, run(["check", "-c", path])

    def test_bad_builtin_params_are_reported_at_the_policy(self):
        path, (rc, _, err) = self.check("{ builtin: concurrency, target: -1 }")
        self.assertEqual(rc, 1)
        self.assertIn(path + ":6:15: upstreams.app.scale.policy: concurrency.target", err)

    def test_broken_lua_policy_file_is_reported(self):
        lua = os.path.join(h.make_tmpdir(), "p.lua")
        with open(lua, "w") as f:
            f.write("return function(ctx) return 1\n")
        path, (rc, _, err) = self.check("{ file: " + lua + " }")
        self.assertEqual(rc, 1)
        self.assertIn(path + ":6:15: upstreams.app.scale.policy: ", err)
        self.assertIn("p.lua:", err)

    def test_good_policy_passes(self):
        _, (rc, out, err) = self.check("{ builtin: concurrency, target: 8 }")
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main()
