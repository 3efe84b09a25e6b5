"""Remote analytics source (issue 14): the remote QueryEngine against a real Prometheus 2.42
scraping metricsd every second, compared with metricsd's own query API over its history.

StatsD traffic gives both stores the same live series for about 60 s: a gauge per zone that
holds each value for 10 s (plateaus changing on wall-clock multiples of 10 s) and a counter
rising 20 per second. Then the same PromQL, instant and range, goes
  (a) to metricsd's /api/v1/query[_range],
  (b) through the remote engine (remote_query_tool) to Prometheus,
  (c) through the remote engine to metricsd's own API, which must equal (a) exactly: the
      engine reads back what our API writes, bit for bit, including the result types;
  (d) through the remote engine to Prometheus with a range split into 7-step requests, which
      must equal (b) exactly.

Tolerance between (a) and (b): the two stores sample the same series on their own 1 s phases
(metricsd's history sampler, Prometheus's scrape), so a step within 2.5 s after a plateau
change may see the old value on one side: such steps are skipped (about a quarter of them);
every other gauge step must be equal. Rates over 15 s windows hold different samples on each
side, so they agree within 10% (runs here: the steady 20/s gave equal rates on both sides;
the test prints the largest relative difference of each query).
"""
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from analytics_remote import api_query, compare, max_relative_difference, remote_query, series_of  # noqa: E402
from harness import Daemon, self_signed_cert, wait_until  # noqa: E402
from prometheus_server import Prometheus  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402

# StatsD timers of two AO Actions become a histogram the report's bottlenecks section ranks;
# the same report is made from the local history and, by `metricsd report` with
# analytics.source, from Prometheus.
CONFIG = """
history: {interval: 1s}
statsd:
  defaults: {observer_type: histogram, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]}
  mappings:
    - {match: 'ao.handler.*.*', name: game_ao_handler_duration_seconds,
       labels: {process: "$1", action: "$2"}}
analytics:
%s  reports:
    - {name: live, range: 5m, sections: [bottlenecks]}
"""
REPORT_P95_TOLERANCE = 0.15   # relative, per operation
REPORT_SHARE_TOLERANCE = 0.05  # absolute share of time
PLATEAU = 10.0        # seconds each gauge value is held
SETTLE = 2.5          # seconds after a change when the two stores may disagree
RATE_TOLERANCE = 0.10
FEED_SECONDS = 60


def plateau_value(now):
    return 10 + 7 * (int(now // PLATEAU) % 5)


def near_change(t):
    offset = t % PLATEAU
    return offset <= SETTLE or offset >= PLATEAU - 0.25


class Feeder(threading.Thread):
    """Sends the StatsD lines every 0.25 s until stopped."""

    def __init__(self, address):
        super().__init__(daemon=True)
        host, port = address.rsplit(":", 1)
        self.target = (host, int(port))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            now = time.time()
            lines = [f"players:{plateau_value(now)}|g|#zone:north",
                     f"players:{2 * plateau_value(now) + 100}|g|#zone:south",
                     "hits:5|c|#zone:north"]
            # Attack: 20/40/80/160 ms in turn; Trade: always 8 ms, four times as often.
            self.turn = getattr(self, "turn", 0) + 1
            lines.append(f"ao.handler.p1.Attack:{20 * 2 ** (self.turn % 4)}|ms")
            lines += ["ao.handler.p1.Trade:8|ms"] * 4
            self.sock.sendto("\n".join(lines).encode(), self.target)
            time.sleep(0.25)
        self.sock.close()


class AnalyticsRemoteTest(unittest.TestCase):
    def test_remote_engine_on_prometheus_agrees_with_the_local_history(self):
        with Daemon(CONFIG % "") as d:
            d.wait_for_log("history ready", what="the history store")
            feeder = Feeder(d.statsd["udp"])
            feeder.start()
            try:
                with Prometheus(f"127.0.0.1:{d.port}") as prom:
                    wait_until(prom.target, timeout=60, interval=0.5, what="Prometheus's first scrape")
                    wait_until(lambda: prom.query('players{zone="north"}'), timeout=30, interval=0.5,
                               what="players in Prometheus")
                    first = time.time()
                    time.sleep(FEED_SECONDS)
                    self.check(d, f"http://127.0.0.1:{prom.port}", first)
                    self.check_report(d, f"http://127.0.0.1:{prom.port}")
            finally:
                feeder.stop.set()
                feeder.join(timeout=5)

    def check(self, d, prom_url, first):
        ours_url = f"http://127.0.0.1:{d.port}"
        end = math.floor(time.time()) - 3
        start = math.ceil(first) + 16  # full 15 s rate windows on both sides
        step = 1
        stats = {}

        # Range queries.
        for query, rel_tol, skip in [("sum by (zone) (players)", 0.0, near_change),
                                     ("sum by (zone) (rate(hits[15s]))", RATE_TOLERANCE, lambda t: False)]:
            local = api_query(d, query, start, end, step)
            through_local = remote_query(ours_url, query, start, end, step)
            self.assertEqual(through_local, local, f"{query}: the engine changed metricsd's own answer")
            remote = remote_query(prom_url, query, start, end, step)
            self.assertEqual(remote["status"], "success", remote)
            self.assertEqual(remote["data"]["resultType"], "matrix")
            split = remote_query(prom_url, query, start, end, step, max_steps=7)
            self.assertEqual(split, remote, f"{query}: split into 7-step requests differs")
            differences, compared = compare(series_of(local), series_of(remote), rel_tol=rel_tol, skip=skip)
            self.assertEqual(differences, [], f"{query}: metricsd vs Prometheus")
            self.assertGreaterEqual(compared, (end - start) // 2, f"{query}: too few points compared")
            stats[query] = (compared, round(max_relative_difference(series_of(local), series_of(remote), skip), 4))

        # Instant queries of every result type, at a time away from a plateau change.
        t = end
        while near_change(t):
            t -= 1
        for query, rel_tol in [("sum by (zone) (players)", 0.0),
                               ('scalar(sum(players{zone="south"}))', 0.0),
                               ("count(players)", 0.0),
                               ("sum by (zone) (rate(hits[15s]))", RATE_TOLERANCE)]:
            local = api_query(d, query, t)
            self.assertEqual(remote_query(ours_url, query, t), local, query)
            remote = remote_query(prom_url, query, t)
            self.assertEqual(remote["data"]["resultType"], local["data"]["resultType"], query)
            differences, compared = compare(series_of(local), series_of(remote), rel_tol=rel_tol)
            self.assertEqual(differences, [], f"{query} at {t}: metricsd vs Prometheus")
            self.assertGreater(compared, 0, query)

        # The value itself, not just agreement: 20 hits a second.
        rate = series_of(remote_query(prom_url, "sum(rate(hits[15s]))", t))
        self.assertAlmostEqual(list(rate.values())[0][0][1], 20, delta=20 * RATE_TOLERANCE)

        # Errors keep Prometheus's type on both sides.
        bad = remote_query(prom_url, "sum(", t)
        self.assertEqual(bad["status"], "error")
        self.assertEqual(bad["errorType"], api_query(d, "sum(", t)["errorType"])
        self.assertEqual(bad["errorType"], "bad_data")
        sys.stderr.write(f"analytics_remote: (points compared, largest relative difference) {stats}\n")

    def check_report(self, d, prom_url):
        """The same report, from the local history (the daemon's route) and from Prometheus
        (`metricsd report` with analytics.source): each operation's p95 within 15 %, its share of
        time within 5 points. The two stores sample on their own phases, and the windows' edges
        differ by up to a second of counts, hence a tolerance rather than equality."""
        status, _, body = d.request("GET", "/api/v1/reports/live?format=json", timeout=120)
        self.assertEqual(status, 200, body[:300])
        local = json.loads(body)
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "remote.yaml")
            with open(config, "w") as f:
                f.write(CONFIG % f"  source: {{url: '{prom_url}'}}\n")
            run = subprocess.run([os.environ["METRICSD_BIN"], "report", "--name", "live", "--format",
                                  "json", f"--config.file={config}", f"--storage.path={tmp}"],
                                 capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stderr)
        remote = json.loads(run.stdout)
        self.assertEqual(remote["source"], prom_url)
        ours, theirs = bottlenecks_of(local), bottlenecks_of(remote)
        self.assertEqual(set(ours), {("p1", "Attack"), ("p1", "Trade")}, local)
        self.assertEqual(set(theirs), set(ours), remote)
        for op, (p95, share) in ours.items():
            self.assertAlmostEqual(theirs[op][0], p95, delta=p95 * REPORT_P95_TOLERANCE, msg=op)
            self.assertAlmostEqual(theirs[op][1], share, delta=REPORT_SHARE_TOLERANCE, msg=op)
        # And the values themselves: Attack's 20-160 ms put its p95 in the 0.1-0.25 s bucket;
        # Attack takes 75/(75+32) of the time.
        self.assertGreater(ours[("p1", "Attack")][0], 0.1)
        self.assertLess(ours[("p1", "Attack")][0], 0.25)
        self.assertAlmostEqual(ours[("p1", "Attack")][1], 75 / 107, delta=0.05)
        sys.stderr.write(f"analytics_remote: report bottlenecks local {ours} remote {theirs}\n")


def bottlenecks_of(report):
    """{(process, action): (p95 seconds, share)} of the report's AO Actions family."""
    section = next(s for s in report["sections"] if s["id"] == "bottlenecks")
    family = next(f for f in section["data"]["families"]
                  if f["histogram"].startswith("game_ao_handler_duration_seconds"))
    return {(op["labels"]["process"], op["labels"]["action"]): (op["p95_seconds"], op["share"])
            for op in family["by_p95"]}


class AnalyticsRemoteTlsAuthTest(unittest.TestCase):
    """The engine over HTTPS with basic auth, against metricsd's own API locked down with an
    exporter-toolkit web config (any Prometheus-compatible API is a source): the right CA and
    password answer; a wrong password, or no CA for a self-signed certificate, are errors that
    show no password."""

    PASSWORD = "analyst-pass-77"

    def test_https_and_basic_auth(self):
        with tempfile.TemporaryDirectory(prefix="metricsd-e2e-remote-tls-") as tmp:
            cert, _ = self_signed_cert(tmp)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                hashed = crypt.crypt(self.PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
            web_config = os.path.join(tmp, "web.yml")
            with open(web_config, "w") as f:
                f.write("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
                        f"basic_auth_users:\n  analyst: '{hashed}'\n")
            with Daemon("host: {enabled: false}\n" + CONFIG % "", args=[f"--web.config.file={web_config}"]) as d:
                d.wait_for_log("history ready", what="the history store")
                url = f"https://127.0.0.1:{d.port}"

                def answered():
                    answer = remote_query(url, "metricsd_build_info", time.time(), ca_file=cert,
                                          username="analyst", password=self.PASSWORD)
                    return answer if answer["status"] == "success" and answer["data"]["result"] else None
                answer = wait_until(answered, timeout=30, interval=0.5, what="metricsd_build_info over https")
                self.assertEqual(answer["data"]["resultType"], "vector")
                self.assertEqual(answer["data"]["result"][0]["value"][1], "1")

                for what, options in [("a wrong password", {"ca_file": cert, "username": "analyst",
                                                             "password": "wrong-" + self.PASSWORD}),
                                      ("no CA for a self-signed certificate",
                                       {"username": "analyst", "password": self.PASSWORD})]:
                    denied = remote_query(url, "metricsd_build_info", time.time(), **options)
                    self.assertEqual(denied["status"], "error", what)
                    self.assertEqual(denied["errorType"], "unavailable", f"{what}: {denied}")
                    self.assertNotIn(self.PASSWORD, denied["error"], what)
                    self.assertNotIn("analyst:", denied["error"], what)
                    sys.stderr.write(f"analytics_remote: {what}: {denied['error']}\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
