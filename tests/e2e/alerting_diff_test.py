"""Alerting differential (issue 13): metricsd evaluates threshold rules over its history while a
real Prometheus 2.42 scrapes metricsd's /metrics every second and evaluates, as its own rules,
the very queries metricsd's /api/v1/rules shows for them. StatsD traffic pushes every rule over
its threshold and back; each alert must fire and resolve in both, in the same order, at about
the same time.

Tolerance: one evaluation interval (1 s) plus one sampling interval (1 s). The two stores take
their samples of the same series at different instants (metricsd's sampler and Prometheus's
scrape each run on their own 1 s phase) and evaluate on their own phases, so the same crossing
may be seen up to that much apart (runs here: largest gaps 0.2-0.8 s); the old evaluator
disagreed by 14-21 s on new series.
"""
import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, wait_until  # noqa: E402
from prometheus_server import Prometheus  # noqa: E402

INTERVAL = 1.0
TOLERANCE = 2 * INTERVAL

RULES = """\
groups:
  - name: diff
    interval: 1s
    rules:
      - alert: PlayersHigh
        metric: players
        match: {zone: north}
        op: ">"
        threshold: 10
      - alert: PlayersHighFor3s
        metric: players
        match: {zone: north}
        op: ">"
        threshold: 10
        for: 3s
      - alert: PlayersAvgHigh
        metric: players
        match: {zone: north}
        value: avg
        window: 5s
        op: ">"
        threshold: 10
      - alert: HitsRateHigh
        metric: hits
        value: rate
        window: 10s
        op: ">"
        threshold: 3
      - alert: LatencyMeanHigh
        metric: lat
        value: avg
        window: 10s
        op: ">"
        threshold: 0.2
      - alert: RequestP90High
        metric: req_seconds
        value: quantile
        quantile: 0.9
        window: 10s
        aggregate: {op: sum, by: []}
        op: ">"
        threshold: 1
      - alert: SouthAbsent
        metric: players
        match: {zone: south}
        absent: true
"""

CONFIG = """\
history: {{interval: 1s}}
statsd:
  mappings:
    - match: req.*.duration
      name: req_seconds
      observer_type: histogram
      histogram_options: {{buckets: [0.1, 0.5, 1, 5]}}
      labels: {{route: "$1"}}
alerting:
  evaluation_interval: 1s
  rule_files: [{rules}]
"""


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except OSError:
        return None


class PrometheusWithRules(Prometheus):
    """Prometheus 2.42 on 127.0.0.1 scraping `target` every second, evaluating `rules` every
    second; stopped (and its directory removed) by the context manager."""

    def __init__(self, target, rules):
        super().__init__(target, rules=rules)

    def api(self, path):
        answer = get_json(f"http://127.0.0.1:{self.port}{path}")
        return answer["data"] if answer and answer.get("status") == "success" else None


def prometheus_rule_file(groups):
    """A Prometheus rule file with each metricsd rule's name, query and `for`."""
    lines = ["groups:", "  - name: from-metricsd", "    interval: 1s", "    rules:"]
    for group in groups:
        for rule in group["rules"]:
            lines.append(f"      - alert: {rule['name']}")
            lines.append(f"        expr: {json.dumps(rule['query'])}")
            lines.append(f"        for: {int(rule['duration'])}s")
    return "\n".join(lines) + "\n"


class Recorder(threading.Thread):
    """Polls both /api/v1/alerts every 100 ms; keeps, per alert name, when it started and stopped
    firing."""

    def __init__(self, sources):
        super().__init__(daemon=True)
        self.sources = sources  # name -> function returning the set of firing alert names
        self.events = {name: {} for name in sources}
        self.firing = {name: set() for name in sources}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for source, poll in self.sources.items():
                now_firing = poll()
                if now_firing is None:
                    continue
                now = time.time()
                for name in now_firing - self.firing[source]:
                    self.events[source].setdefault(name, []).append(("firing", now))
                for name in self.firing[source] - now_firing:
                    self.events[source].setdefault(name, []).append(("resolved", now))
                self.firing[source] = now_firing
            time.sleep(0.1)


def firing_names(alerts):
    return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}


class AlertingDiffTest(unittest.TestCase):
    def test_alerts_fire_and_resolve_as_prometheus_evaluating_the_same_queries(self):
        with tempfile.TemporaryDirectory(prefix="metricsd-alertdiff-") as tmp:
            rules = os.path.join(tmp, "rules.yaml")
            with open(rules, "w") as f:
                f.write(RULES)
            with Daemon(CONFIG.format(rules=rules)) as d:
                d.wait_for_log("history ready", what="the history store")
                host, port = d.statsd["udp"].rsplit(":", 1)
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

                def send(*lines):
                    for line in lines:
                        sock.sendto(line.encode(), (host, int(port)))

                # Every family exists before either side evaluates, so metricsd compiles each
                # threshold rule for its family's type from the start.
                send("players:3|g|#zone:north", "hits:1|c", "lat:100|ms", "req.a.duration:100|ms",
                     "req.b.duration:100|ms")

                def queries_known():
                    groups = get_json(f"http://127.0.0.1:{d.port}/api/v1/rules")["data"]["groups"]
                    ok = all(r["health"] == "ok" for g in groups for r in g["rules"])
                    return groups if ok else None
                groups = wait_until(queries_known, timeout=20, what="every rule evaluated")
                rule_file = prometheus_rule_file(groups)
                self.assertIn('expr: "rate(lat_sum[10s]) / rate(lat_count[10s]) > 0.2"', rule_file)
                self.assertIn('expr: "histogram_quantile(0.9, sum by (le) (rate(req_seconds_bucket[10s]))) > 1"',
                              rule_file)

                with PrometheusWithRules(f"127.0.0.1:{d.port}", rule_file) as prom:
                    wait_until(lambda: prom.api("/api/v1/rules") and
                               all(r.get("health") == "ok"
                                   for g in prom.api("/api/v1/rules")["groups"] for r in g["rules"]),
                               timeout=60, interval=0.5, what="Prometheus evaluating the rules")

                    def ours():
                        answer = get_json(f"http://127.0.0.1:{d.port}/api/v1/alerts")
                        return firing_names(answer["data"]["alerts"]) if answer else None

                    def theirs():
                        data = prom.api("/api/v1/alerts")
                        return firing_names(data["alerts"]) if data else None

                    recorder = Recorder({"metricsd": ours, "prometheus": theirs})
                    recorder.start()
                    try:
                        # Quiet, then busy, then quiet again: 1 hit/s and 100 ms calls, then
                        # 50 hits/s, 2 s calls (10 a second on route a) and 100 players, then as
                        # at first. The busy values
                        # are far enough from the thresholds that one busy sample in a window
                        # crosses them: the crossing does not hang on where each side's window
                        # edges fall among its samples.
                        phases = [(8, 3, 1, 100), (14, 100, 50, 2000), (16, 3, 1, 100)]
                        for seconds, players, hits, latency in phases:
                            end = time.time() + seconds
                            while time.time() < end:
                                send(f"players:{players}|g|#zone:north", f"hits:{hits}|c",
                                     f"lat:{latency}|ms", "req.b.duration:100|ms",
                                     *([f"req.a.duration:{latency}|ms"] * (10 if latency > 100 else 1)))
                                time.sleep(1)
                            if players == 100:
                                send("players:1|g|#zone:south")  # SouthAbsent resolves
                    finally:
                        recorder.stop.set()
                        recorder.join(timeout=5)

        ours_events, theirs_events = recorder.events["metricsd"], recorder.events["prometheus"]
        report = json.dumps({"metricsd": ours_events, "prometheus": theirs_events}, indent=1)
        names = [r["name"] for g in groups for r in g["rules"]]
        gaps = [abs(a[1] - b[1]) for name in names
                for a, b in zip(ours_events.get(name, []), theirs_events.get(name, []))]
        sys.stderr.write(f"alerting_diff: {len(gaps)} transitions, largest gap "
                         f"{max(gaps, default=0):.2f} s, mean {sum(gaps) / max(len(gaps), 1):.2f} s\n")
        for name in names:
            ours_seq = ours_events.get(name, [])
            theirs_seq = theirs_events.get(name, [])
            self.assertTrue(ours_seq, f"{name} never fired in metricsd\n{report}")
            self.assertEqual([kind for kind, _ in ours_seq], [kind for kind, _ in theirs_seq],
                             f"{name}: different transitions\n{report}")
            for (kind, ours_t), (_, theirs_t) in zip(ours_seq, theirs_seq):
                self.assertLessEqual(abs(ours_t - theirs_t), TOLERANCE,
                                     f"{name} {kind}: metricsd {ours_t:.1f}, Prometheus {theirs_t:.1f}\n"
                                     f"{report}")
        # Every rule crossed over and back (SouthAbsent only fires at first).
        for name in names:
            kinds = [kind for kind, _ in ours_events.get(name, [])]
            self.assertEqual(kinds[:2], ["firing", "resolved"], f"{name}\n{report}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
