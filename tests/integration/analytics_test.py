"""Analytics in a running daemon (issue 14): weeks of synthetic history whose truth is known
(tests/support/analytics_data.py) go in through POST /api/v1/import; the daemon must then find
what is there and nothing that is not: a latency step (a regression), a disk filling toward its
limit (runway and a gradual degradation), a process leaking memory between restarts; it serves
baselines, the impact of an annotation, and reports in JSON, Markdown and HTML, scheduled to a
directory and on demand; findings are gauges on /metrics (checked with promtool); and
`metricsd report` makes the same report from the store once the daemon is stopped."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import analytics_data as data  # noqa: E402
from harness import BIN, Daemon, parse_exposition, require_tool, wait_until  # noqa: E402

CONFIG = """
host: {enabled: false}
history: {interval: 10s}
analytics:
  interval: 10s
  slow_interval: 10s
  watches:
    - {name: latency, expr: test_latency_p95_seconds, kind: latency, unit: seconds, threshold: 1}
    - name: disk
      expr: 1 - node_filesystem_avail_bytes / node_filesystem_size_bytes
      kind: resource
      unit: ratio
      threshold: 0.9
  reports:
    - name: daily
      range: 24h
      formats: [json, md, html]
      directory: reports
      every: 1h
"""

# Under the sanitizers everything runs several times slower: two weeks of history instead of
# four (the seasonal baseline needs one), and longer waits.
SANITIZED = any(name in os.environ for name in ("ASAN_OPTIONS", "TSAN_OPTIONS"))
WEEKS = 2 if SANITIZED else 4
SLOWDOWN = 5 if SANITIZED else 1
NOW_MS = int(time.time() * 1000) // 60_000 * 60_000
STEP_AT_MS = NOW_MS - 40 * 60_000


def import_lines(daemon, lines):
    body = ("\n".join(lines) + "\n").encode()
    status, _, answer = daemon.request("POST", "/api/v1/import", body=body, timeout=120)
    assert status == 204, (status, answer[:300])


def api(daemon, path, params=None):
    query = "?" + urllib.parse.urlencode(params, doseq=True) if params else ""
    status, headers, body = daemon.request("GET", path + query, timeout=120)
    return status, headers, body


def findings(daemon, **params):
    status, _, body = api(daemon, "/api/v1/analytics/findings", params)
    assert status == 200, body
    return json.loads(body)["data"]["findings"]


class AnalyticsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(CONFIG)
        d = cls.daemon
        try:
            d.wait_for_log(r'msg="history ready"', timeout=30, what="history to open")
            end = NOW_MS - 60_000
            import_lines(d, [data.stepped_latency(end, WEEKS, 60_000, {"service": "stepped"},
                                                  step_at_ms=STEP_AT_MS, step=0.25, seed=11),
                             data.stepped_latency(end, WEEKS, 60_000, {"service": "steady"},
                                                  seed=12)])
            import_lines(d, data.filling_disk(end, 14, 300_000, start_ratio=0.50, per_day=0.02))
            import_lines(d, data.leaking_process(end, 3, 60_000, per_hour_bytes=10 * 2**20,
                                                 restart_every_ms=data.DAY))
            import_lines(d, [data.players(end, 14, 300_000, base=500, per_day_growth=0.01)])
            import_lines(d, data.latency_histogram(end, 24, 60_000, "game_ao_handler_duration_seconds",
                                                   {"process": "p1", "action": "Battle"}, 0.08, 20))
            import_lines(d, data.latency_histogram(end, 24, 60_000, "game_ao_handler_duration_seconds",
                                                   {"process": "p1", "action": "Trade"}, 0.02, 50,
                                                   seed=7))
        except BaseException:
            d.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.__exit__(None, None, None)

    def wait_for_finding(self, kind, watch=None, timeout=90):
        found = []

        def present():
            found[:] = [f for f in findings(self.daemon, kind=kind)
                        if watch is None or f["watch"] == watch]
            return bool(found)
        wait_until(present, timeout=timeout * SLOWDOWN, interval=2, what=f"a {kind} finding")
        return found

    def test_regression_found_on_the_stepped_series_only(self):
        found = self.wait_for_finding("regression", "latency")
        services = {f["labels"].get("service") for f in found}
        self.assertEqual(services, {"stepped"}, found)
        f = found[0]
        self.assertGreater(f["magnitude"], 10)
        self.assertLess(f["magnitude"], 45)
        self.assertGreater(f["confidence"], 0.99)
        # The change began 40 minutes ago: CUSUM's start within 15 minutes of it.
        self.assertLess(abs(f["start"] * 1000 - STEP_AT_MS), 15 * 60_000, f)

    def test_disk_runway_and_degradation(self):
        found = self.wait_for_finding("exhaustion")
        mine = [f for f in found if f["labels"].get("mountpoint") == "/srv/game"]
        self.assertTrue(mine, found)
        # 2 %/day from 50 % 14 days ago: 78 % now, full (100 %) in 11 days.
        days = mine[0]["magnitude"] / 86400
        self.assertGreater(days, 8, mine[0])
        self.assertLess(days, 14, mine[0])
        degradation = self.wait_for_finding("degradation", "disk")
        self.assertEqual(degradation[0]["labels"].get("mountpoint"), "/srv/game")

    def test_leak_found(self):
        found = self.wait_for_finding("leak")
        self.assertEqual(found[0]["labels"].get("groupname"), "leaky", found)

    def test_findings_are_gauges_promtool_accepts(self):
        self.wait_for_finding("regression", "latency")
        text = self.daemon.metrics()
        samples = parse_exposition(text)
        names = [k for k in samples if k.startswith("metricsd_analytics_regression{")]
        self.assertTrue(any('service="stepped"' in k and 'watch="latency"' in k for k in names), names)
        promtool = require_tool("promtool")
        check = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                               capture_output=True, timeout=60)
        self.assertNotIn("error", (check.stdout + check.stderr).lower())

    def test_baselines_route(self):
        status, _, body = api(self.daemon, "/api/v1/analytics/baselines", {"watch": "latency"})
        self.assertEqual(status, 200, body)
        answer = json.loads(body)["data"]
        self.assertIn("baselines", answer)
        self.assertEqual(len(answer["baselines"]), 2)
        status, _, body = api(self.daemon, "/api/v1/analytics/baselines", {"watch": "nope"})
        self.assertEqual(status, 400, body)
        self.assertIn("unknown watch", json.loads(body)["error"])

    def test_annotation_and_its_impact(self):
        d = self.daemon
        body = json.dumps({"time": STEP_AT_MS, "tags": ["deploy", "optimization"],
                           "text": "v2 rolled out"}).encode()
        status, _, answer = d.request("POST", "/api/v1/annotations", body=body,
                                      headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, answer)
        annotation_id = json.loads(answer)["id"]
        status, _, listed = api(d, "/api/v1/annotations",
                                {"from": STEP_AT_MS - 1000, "to": STEP_AT_MS + 1000, "tags": "deploy"})
        self.assertEqual(status, 200, listed)
        self.assertEqual([a["text"] for a in json.loads(listed)], ["v2 rolled out"])
        status, _, impact = api(d, "/api/v1/analytics/impact", {"id": annotation_id})
        self.assertEqual(status, 200, impact)
        self.assertIn("latency", impact.decode())

    def test_reports_on_demand_in_three_formats(self):
        self.wait_for_finding("regression", "latency")
        status, headers, body = api(self.daemon, "/api/v1/reports/daily", {"format": "json"})
        self.assertEqual(status, 200, body[:300])
        report = json.loads(body)
        ids = [s["id"] for s in report["sections"]]
        for wanted in ("summary", "regressions", "forecasts", "capacity", "bottlenecks"):
            self.assertIn(wanted, ids)
        status, headers, md = api(self.daemon, "/api/v1/reports/daily", {"format": "md"})
        self.assertEqual(status, 200)
        self.assertIn("# ", md.decode())
        status, headers, html = api(self.daemon, "/api/v1/reports/daily", {"format": "html"})
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertNotIn(b"<script", html)
        self.assertIn(b"<svg", html)
        status, _, _ = api(self.daemon, "/api/v1/reports/nope")
        self.assertEqual(status, 404)


class ReportCommandTest(unittest.TestCase):
    def test_report_from_the_store_of_a_stopped_daemon(self):
        with Daemon(CONFIG) as d:
            d.wait_for_log(r'msg="history ready"', timeout=30, what="history to open")
            import_lines(d, [data.stepped_latency(NOW_MS - 60_000, 1, 60_000, {"service": "x"})])
            # Refused while the daemon holds the store.
            busy = subprocess.run([BIN, "report", "--name", "daily", "--format", "md",
                                   f"--config.file={d.config_path}",
                                   f"--storage.path={os.path.join(d.dir.name, 'data')}"],
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual(busy.returncode, 1, busy.stdout[:300])
            self.assertIn("cannot open the history", busy.stderr)
            self.assertEqual(d.stop(), 0)
            done = subprocess.run([BIN, "report", "--name", "daily", "--format", "md",
                                   f"--config.file={d.config_path}",
                                   f"--storage.path={os.path.join(d.dir.name, 'data')}"],
                                  capture_output=True, text=True, timeout=300)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("latency", done.stdout)
            unknown = subprocess.run([BIN, "report", "--name", "weekly",
                                      f"--config.file={d.config_path}",
                                      f"--storage.path={os.path.join(d.dir.name, 'data')}"],
                                     capture_output=True, text=True, timeout=60)
            self.assertEqual(unknown.returncode, 1)
            self.assertIn('no report named "weekly"', unknown.stderr)


class HistoryOffTest(unittest.TestCase):
    def test_idle_without_history_or_source_writes_nothing_and_counts_events_dropped(self):
        # Nothing to analyse: no refresh, no analytics.db in the data directory (a daemon with
        # history off writes nothing there), and a DogStatsD event is a dropped annotation.
        with Daemon("host: {enabled: false}\nhistory: {enabled: false}\n"
                    "analytics: {reports: [{name: now, range: 1h}]}\n") as d:
            d.wait_for_log(r'msg="analytics is idle: history is off and analytics.source is unset"',
                           what="analytics to say it is idle")
            host, _, port = d.statsd["udp"].rpartition(":")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"_e{5,4}:title|text|#deploy\n", (host, int(port)))
            key = 'metricsd_analytics_event_annotations_total{outcome="dropped"}'
            wait_until(lambda: d.samples().get(key) == 1, timeout=10 * SLOWDOWN,
                       what="the event counted as a dropped annotation")
            self.assertEqual(d.samples()['metricsd_analytics_event_annotations_total{outcome="stored"}'], 0)
            self.assertEqual(d.samples()["metricsd_analytics_refreshes_total"], 0)
            self.assertFalse(os.path.exists(os.path.join(d.dir.name, "data")),
                             "history off: nothing written to the data directory")
            self.assertIs(dashboard_features(d)["analytics"], False,
                          "the dashboard hides analytics that has nothing to read")
            # An empty report would read as "nothing is wrong": the route says why there is none.
            status, _, body = api(d, "/api/v1/reports/now", {"format": "json"})
            self.assertEqual(status, 503, body)
            answer = json.loads(body)
            self.assertEqual(answer["errorType"], "unavailable", answer)
            self.assertIn("history is off and analytics.source is unset", answer["error"])

    def test_remote_source_without_history_is_on_the_dashboard(self):
        # History off but analytics.source set: analytics reads the source, so the dashboard
        # shows it (findings, annotations, reports), and its findings route answers from there.
        with Daemon("host: {enabled: false}\nhistory: {interval: 10s}\n") as source:
            config = ("host: {enabled: false}\nhistory: {enabled: false}\n"
                      f"analytics: {{interval: 10s, source: {{url: 'http://127.0.0.1:{source.port}'}},\n"
                      "            reports: [{name: now, range: 1h, sections: [summary]}]}\n")
            with Daemon(config) as d:
                features = dashboard_features(d)
                self.assertIs(features["history"], False, features)
                self.assertIs(features["analytics"], True, features)
                wait_until(lambda: d.samples().get("metricsd_analytics_refreshes_total", 0) >= 1,
                           timeout=30 * SLOWDOWN, what="a refresh against the remote source")
                self.assertIsInstance(findings(d), list)
                status, _, body = api(d, "/api/v1/annotations")
                self.assertEqual(status, 200, body)
                status, _, body = api(d, "/api/v1/reports/now", {"format": "json"})
                self.assertEqual(status, 200, body)
                # Set to nothing by a reload: hidden again, the running daemon keeps serving.
                d.write_config("host: {enabled: false}\nhistory: {enabled: false}\n")
                d.send_signal(signal.SIGHUP)
                wait_until(lambda: dashboard_features(d)["analytics"] is False, timeout=10 * SLOWDOWN,
                           what="the reload without analytics.source to hide analytics")
                status, _, body = api(d, "/api/v1/reports/now", {"format": "json"})
                self.assertEqual(status, 503, body)


def dashboard_features(daemon):
    status, _, body = api(daemon, "/api/v1/dashboard")
    assert status == 200, body
    return json.loads(body)["data"]["features"]


if __name__ == "__main__":
    unittest.main()
