"""`metricsd loadgen` and `metricsd capacity` against a real metricsd on loopback: the game
lines it sends are exactly what metricsd counts (UDP at a modest rate, TCP, HTTP POSTs), each
kind lands in the game family the shipped mapping makes of it, ctrl-C ends a run with a partial
report, and a short capacity run writes a JSON report with its schema and sane figures plus the
Markdown rendering."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import BIN, SOURCE_DIR, Daemon, url_request  # noqa: E402
from game_workload import MAPPING_FILE, ProbeTarget  # noqa: E402

# The family each kind of line becomes under the shipped game mapping, and whether each line
# adds exactly 1 to its sum of _count (timers) or of the counter.
COUNTED_FAMILIES = {
    "ao_handler": "game_ao_handler_duration_seconds_count",
    "db_query": "game_db_query_duration_seconds_count",
    "ui_frame": "game_ui_frame_seconds_count",
    "ui_ao_rtt": "game_ui_ao_latency_seconds_count",
    "battle_phase": "game_battle_phase_duration_seconds_count",
    "battle_result": "game_battles_total",
}


def config(probe_url):
    return ("host: {enabled: false}\n"
            "statsd:\n"
            f"  mapping_file: {json.dumps(MAPPING_FILE)}\n"
            # Smaller than loadgen's POSTs: it halves its bodies on the 413s and loses nothing.
            "  http: {max_body_bytes: 1024}\n"
            "probes:\n"
            "  targets:\n"
            "    - name: game-web\n"
            "      type: http\n"
            f"      url: {json.dumps(probe_url)}\n"
            "      interval: 1s\n"
            "      timeout: 500ms\n")


def family_sums(daemon):
    """{metric name: sum over its series} from metricsd's /metrics."""
    sums = {}
    for key, value in daemon.samples().items():
        name = key.split("{", 1)[0]
        sums[name] = sums.get(name, 0.0) + value
    return sums


def run(args, timeout=60):
    started = time.monotonic()
    proc = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - started


class LoadgenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.probe = ProbeTarget()
        cls.daemon = Daemon(config(cls.probe.url))
        cls.web = f"http://127.0.0.1:{cls.daemon.port}"

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.__exit__(None, None, None)
        cls.probe.close()

    def loadgen(self, target, *extra, timeout=60):
        # Every run tags 5 servers: a family's label names never change on this metricsd
        # (else it drops the samples as conflicts, as statsd_exporter does).
        proc, seconds = run(["loadgen", f"--target={target}", f"--metrics-url={self.web}",
                             "--output=json", "--servers=5", *extra], timeout=timeout)
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        return json.loads(proc.stdout), seconds

    def assert_counted_exactly(self, report, before, after):
        counters = report["target_counters"]
        self.assertTrue(counters["measured"], counters)
        # The report's figures are metricsd's own counters, as the test reads them too.
        received = after["metricsd_statsd_lines_total"] - before["metricsd_statsd_lines_total"]
        self.assertEqual(counters["received"], received)
        self.assertEqual(counters["loss"], report["lines_sent"] - received)
        self.assertEqual(report["lines_failed"], 0)
        self.assertEqual(report["send_errors"], 0)
        self.assertEqual(sum(report["lines_by_kind"].values()), report["lines_sent"])
        return received

    def test_udp_lines_are_all_counted_and_land_in_the_game_families(self):
        before = family_sums(self.daemon)
        rate, duration, ramp = 2000, 5, 1
        report, seconds = self.loadgen(f"udp://{self.daemon.statsd['udp']}", f"--rate={rate}",
                                       f"--duration={duration}s", f"--ramp={ramp}s", "--seed=3")
        after = family_sums(self.daemon)
        print(f"FIGURE loadgen_udp_run_seconds {seconds:.2f}")
        received = self.assert_counted_exactly(report, before, after)
        sent = report["lines_sent"]
        # Never ahead of the schedule (the ramp's integral, then the rate); a stalled machine
        # (sanitizers) may fall behind it.
        scheduled = rate * ramp / 2 + rate * (duration - ramp)
        self.assertLessEqual(sent, scheduled + 1)
        self.assertGreater(sent, scheduled * 0.5)
        self.assertFalse(report["interrupted"])
        counters = report["target_counters"]
        if counters["loss"] == 0:
            self.assertEqual(received, sent)
            self.assertEqual(counters["loss_ratio"], 0)
            # Each kind of line became its family: one observation or increment per line.
            for kind, family in COUNTED_FAMILIES.items():
                got = after.get(family, 0) - before.get(family, 0)
                self.assertEqual(got, report["lines_by_kind"][kind], family)
            self.assertGreater(after.get("game_players", 0), 0)
            self.assertEqual(after["metricsd_statsd_events_conflict_total"],
                             before["metricsd_statsd_events_conflict_total"])
            dropped = self.daemon.samples()[
                'metricsd_statsd_events_error_total{reason="dropped_by_mapping"}']
            self.assertGreaterEqual(dropped, report["lines_by_kind"]["debug"])
        else:
            print(f"UDP lost {counters['loss']} of {sent} lines on loopback")
            self.assertAlmostEqual(counters["loss_ratio"], counters["loss"] / sent)
        self.assertEqual(counters["sample_errors"], 0)

    def test_tcp_and_http_lines_are_all_counted(self):
        for target in (f"tcp://{self.daemon.statsd['tcp']}", f"{self.web}/api/v1/statsd"):
            before = family_sums(self.daemon)
            # Two sending threads: two connections, each with half the rate.
            report, seconds = self.loadgen(target, "--rate=3000", "--duration=1500ms",
                                           "--ramp=0s", "--threads=2")
            self.assertEqual(report["threads"], 2)
            after = family_sums(self.daemon)
            print(f"FIGURE loadgen_{target.split(':')[0]}_run_seconds {seconds:.2f}")
            received = self.assert_counted_exactly(report, before, after)
            # A stream and HTTP lose nothing: every line sent was counted.
            self.assertEqual(received, report["lines_sent"], target)
            self.assertGreater(report["lines_sent"], 0)

    def test_ctrl_c_ends_the_run_with_a_partial_report(self):
        proc = subprocess.Popen([BIN, "loadgen", f"--target=udp://{self.daemon.statsd['udp']}",
                                 "--rate=500", "--duration=60s", "--ramp=0s", "--servers=5",
                                 f"--metrics-url={self.web}", "--output=json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.0)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 130, err)
        report = json.loads(out)
        self.assertTrue(report["interrupted"])
        self.assertGreater(report["lines_sent"], 0)
        self.assertLess(report["elapsed_seconds"], 30)
        self.assertTrue(report["target_counters"]["measured"])

    def test_bad_command_lines_are_refused(self):
        for args in (["loadgen"], ["loadgen", "--target=udp://127.0.0.1"],
                     ["loadgen", "--target=udp://127.0.0.1:1", "--rate=fast"],
                     ["capacity", "--target=udp://127.0.0.1:1"], ["loadgen", "--bogus=1"]):
            proc, _ = run(args, timeout=10)
            self.assertEqual(proc.returncode, 2, args)
            self.assertIn("metricsd ", proc.stderr)

    def test_unreachable_metrics_url_is_reported_not_a_crash(self):
        proc, _ = run(["loadgen", f"--target=udp://{self.daemon.statsd['udp']}", "--rate=100", "--servers=5",
                       "--duration=200ms", "--ramp=0s", "--metrics-url=http://127.0.0.1:1",
                       "--output=json"], timeout=30)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        report = json.loads(proc.stdout)
        self.assertFalse(report["target_counters"]["measured"])
        self.assertIn("127.0.0.1:1", report["target_counters"]["error"])

    def test_capacity_writes_its_report(self):
        out = tempfile.TemporaryDirectory(prefix="metricsd-capacity-")
        self.addCleanup(out.cleanup)
        proc, seconds = run(["capacity", f"--target={self.web}",
                             f"--statsd=udp://{self.daemon.statsd['udp']}",
                             "--start-rate=500", "--max-rate=2000", "--step-duration=2s",
                             "--idle-sample=1s", "--drain-timeout=2s", "--cpu-budget=2",
                             "--servers=5", "--deadline=45s", f"--output-dir={out.name}",
                             "--output=json"], timeout=90)
        print(f"FIGURE capacity_run_seconds {seconds:.2f}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(out.name, "capacity-report.json")) as f:
            report = json.load(f)
        self.assertEqual(report, json.loads(proc.stdout))
        self.assertEqual(report["version"], 1)
        self.assertEqual(report["kind"], "metricsd-capacity-report")
        # The report keeps its published schema (Debian's python3-jsonschema, as the config
        # schema tests use it).
        schema = os.path.join(SOURCE_DIR, "daemon", "loadgen", "capacity-report.schema.json")
        check = subprocess.run(
            ["/usr/bin/python3", "-c",
             "import json, sys, jsonschema\n"
             "schema = json.load(open(sys.argv[1]))\n"
             "jsonschema.Draft7Validator.check_schema(schema)\n"
             "errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors("
             "json.load(open(sys.argv[2])))]\n"
             "print('\\n'.join(errors)); sys.exit(1 if errors else 0)\n",
             schema, os.path.join(out.name, "capacity-report.json")],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        result = report["result"]
        for key in ("max_lossless_rate", "stopped_by", "cpu_seconds_per_million_lines",
                    "cpu_seconds_per_million_lines_net", "idle_cpu_cores", "cpu_cores_at_max_rate",
                    "resident_memory_bytes", "series", "rss_bytes_per_100k_series",
                    "rss_growth_bytes_per_100k_series", "generator_max_rate", "probe_cost"):
            self.assertIn(key, result)
        self.assertIn(result["stopped_by"], ("max_rate", "loss", "cpu", "generator"), result)
        steps = report["steps"]
        self.assertGreaterEqual(len(steps), 1)
        self.assertEqual(steps[0]["rate"], 500)
        for step in steps:
            self.assertLessEqual(step["rate"], 2000)
            self.assertEqual(step["loss"], step["lines_sent"] - step["received"])
        if result["stopped_by"] == "max_rate":
            self.assertEqual(result["max_lossless_rate_asked"], 2000)
            # What the generator achieved at that step: at most the schedule, at least 90%.
            self.assertLessEqual(result["max_lossless_rate"], 2000 + 1)
            self.assertGreaterEqual(result["max_lossless_rate"], 0.9 * 2000)
            self.assertEqual([s["rate"] for s in steps], [500, 1000, 2000])
        self.assertGreater(result["max_lossless_rate"], 0, steps)
        self.assertGreater(result["cpu_seconds_per_million_lines"], 0)
        self.assertGreater(result["resident_memory_bytes"], 1 << 20)
        # 5 servers: the game's families, each per server.
        self.assertGreaterEqual(result["series"], 5 * 20)
        self.assertAlmostEqual(result["rss_bytes_per_100k_series"],
                               result["resident_memory_bytes"] / result["series"] * 1e5)
        # The probe ran every second during the run: its duration is measured, its CPU not.
        probe = result["probe_cost"]
        self.assertTrue(probe["measured"], probe)
        self.assertGreater(probe["probes_per_second"], 0.3)
        self.assertEqual(probe["cpu"], "not measured")
        self.assertIn("doubling", report["method"])
        with open(os.path.join(out.name, "capacity-report.md")) as f:
            markdown = f.read()
        self.assertIn("# metricsd capacity report", markdown)
        self.assertIn(f"| max lossless rate | {result['max_lossless_rate']:.0f} lines/s (step asked "
                      f"{result['max_lossless_rate_asked']:.0f}) |", markdown)
        self.assertGreater(result["exposed_series"], result["series"])
        self.assertIn("## Method", markdown)
        # metricsd is unharmed.
        status, _ = url_request("GET", f"{self.web}/-/healthy", timeout=10)
        self.assertEqual(status, 200)
        # The analytics capacity runway takes its StatsD ingest limit from this very report:
        # a daemon loaded with it shows that limit in its effective config.
        runway = Daemon("analytics:\n  capacity:\n    resources:\n"
                        "      - {name: statsd_ingest, expr: 'sum(rate(metricsd_statsd_lines_total[5m]))',\n"
                        f"         unit: lines/s, limit_from: '{os.path.join(out.name, 'capacity-report.json')}'}}\n")
        try:
            status, body = url_request("GET", f"http://127.0.0.1:{runway.port}/api/v1/status/config",
                                       timeout=30)
            self.assertEqual(status, 200, body)
            resources = json.loads(body)["data"]["config"]["analytics"]["capacity"]["resources"]
            self.assertEqual(resources[0]["limit"], result["max_lossless_rate"], resources)
        finally:
            runway.stop()
            runway.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
