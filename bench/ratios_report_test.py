"""Unit test of bench/ratios' report: each target line says "met" or "NOT met" for the value the
run measured, and the report ends with how many targets the run met (Python standard library
only; no load is run, the results are made up).
"""
import contextlib
import importlib.machinery
import importlib.util
import io
import os
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_loader = importlib.machinery.SourceFileLoader("ratios", os.path.join(HERE, "ratios"))
_spec = importlib.util.spec_from_loader("ratios", _loader)
ratios = importlib.util.module_from_spec(_spec)
_loader.exec_module(ratios)


def load(per_second, p99_ms=None):
    r = {"per_second": per_second, "cpu_ms": {}, "errors": 0}
    if p99_ms is not None:
        r.update(p50_ms=p99_ms / 2, p90_ms=p99_ms * 0.8, p99_ms=p99_ms)
    return r


def made_up_run(webhook_sqlite=16000, health_rounds=(0.95, 0.79, 0.85), p99_many=0.5):
    results = {
        "nginx": load(100000, 1.0), "health": load(85000, 1.0),
        "function-sqlite": load(35000, 1.0), "function-postgresql": load(30000, 1.0),
        "sqlite-insert": load(100000),
        "webhook-sqlite": load(webhook_sqlite), "pgbench": load(50000),
        "webhook-postgresql": load(6000), "webhook-pgbouncer": load(5000),
        "many-connections": dict(load(500, p99_many), idle_connections=1000),
    }
    paired = {("health", "nginx"): list(health_rounds),
              ("function-sqlite", "nginx"): [0.35, 0.30, 0.40]}
    rss = {"sqlite": {"idle_kib": 26 * 1024, "many_kib": 44 * 1024}}
    cold = {"check-availability": [1.01, 1.01, 1.02]}
    costs = {"sign_webhook_us": 1.0, "verify_webhook_us": 1.0, "webhook_bytes": 600,
             "parse_webhook_us": 2.0, "parse_function_us": 3.0, "function_bytes": 900}
    return results, paired, rss, cold, costs


def report(results, paired, rss, cold, costs):
    a = types.SimpleNamespace(connections=8, rounds=3, build_dir="/nonexistent")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ratios.report(a, results, paired, rss, cold, costs, [])
    return out.getvalue()


def line_of(text, label):
    """The one indented line of the report with `label` (not the summary at its end)."""
    lines = [ln for ln in text.splitlines() if label in ln and ln.startswith("  ")]
    if len(lines) != 1:
        raise AssertionError(f"{len(lines)} lines with {label!r} in:\n{text}")
    return lines[0]


class ReportTest(unittest.TestCase):
    def test_each_target_line_carries_its_verdict(self):
        text = report(*made_up_run())
        self.assertIn("target >= 0.3: met", line_of(text, "check-availability (signed, cached, SQLite)"))
        self.assertIn("target >= 0.8: met", line_of(text, "GET /health / nginx"))
        self.assertIn("target >= 0.2: NOT met", line_of(text, "webhook, SQLite / raw"))
        self.assertIn("target >= 0.2: NOT met", line_of(text, "webhook, PostgreSQL / pgbench"))
        self.assertIn("target >= 0.12: NOT met", line_of(text, "via PgBouncer / pgbench"))
        self.assertIn("target <= 1.02: met", line_of(text, "cold check-availability"))
        self.assertIn("target <= 30: met", line_of(text, "idle after start"))
        many = line_of(text, "p99 target")
        self.assertIn("p99 target <= 5: met", many)
        self.assertIn("RSS target <= 150: met", many)
        # The PostgreSQL check-availability line has no target.
        self.assertNotIn("target", line_of(text, "check-availability (signed, cached, PostgreSQL)"))

    def test_summary_counts_and_names_the_targets_not_met(self):
        last = report(*made_up_run()).rstrip().splitlines()[-1]
        self.assertTrue(last.startswith("Targets met in this run: 6 of 9; not met: "), last)
        for name in ("call_started webhook, SQLite / raw SQLite INSERT",
                     "call_started webhook, PostgreSQL / pgbench INSERT",
                     "call_started webhook, via PgBouncer / pgbench INSERT"):
            self.assertIn(name, last)

    def test_ratio_is_the_median_of_the_rounds(self):
        # Rounds 0.95, 0.79, 0.85: the median 0.85 meets 0.80 although one round does not.
        self.assertIn("throughput  0.850", line_of(report(*made_up_run()), "GET /health / nginx"))
        text = report(*made_up_run(health_rounds=(0.95, 0.79, 0.70)))
        self.assertIn("throughput  0.790", line_of(text, "GET /health / nginx"))
        self.assertIn("NOT met", line_of(text, "GET /health / nginx"))

    def test_bounds_are_inclusive_and_all_met_has_no_list(self):
        # 20,000 webhooks/s against 100,000 INSERTs/s is exactly 0.20; 5 ms exactly the bound.
        results, paired, rss, cold, costs = made_up_run(webhook_sqlite=20000, p99_many=5.0)
        for key in ("webhook-postgresql", "webhook-pgbouncer"):
            results[key] = load(10000)
        text = report(results, paired, rss, cold, costs)
        self.assertIn("met", line_of(text, "webhook, SQLite / raw"))
        self.assertNotIn("NOT met", text)
        self.assertEqual(text.rstrip().splitlines()[-1], "Targets met in this run: 9 of 9")

    def test_over_the_bound_fails_an_upper_target(self):
        text = report(*made_up_run(p99_many=5.01))
        self.assertIn("p99 target <= 5: NOT met", line_of(text, "p99 target"))
        self.assertIn("p99 with 1,000 connections (ms)", text.rstrip().splitlines()[-1])


if __name__ == "__main__":
    unittest.main()
