"""remote_write against real receivers: Prometheus 2.42 (--web.enable-remote-write-receiver)
and VictoriaMetrics (/api/v1/write), both fed by one metricsd at once.

metricsd samples its history every second while the game's StatsD traffic plays
(tests/support/game_workload.py). Then VictoriaMetrics is stopped for OUTAGE seconds under
load and started again on the same data directory and port:
- during the outage the Prometheus queue is unaffected: its
  metricsd_remote_storage_queue_highest_sent_timestamp_seconds keeps advancing, while the
  VictoriaMetrics queue's position stands still and its retries are counted;
- after the restart the VictoriaMetrics queue catches up from its position;
- over a closed window that spans the outage, every sample metricsd stored for the game's
  families (read back through metricsd's /api/v1/export) is in both receivers exactly once
  with the same value: VictoriaMetrics through its /api/v1/export (raw points, duplicates
  included; values to VictoriaMetrics' precision, about 12 significant digits), Prometheus through a range-vector query at the window's end (raw points) and
  count_over_time over the same window.

The issue asks for a 60 s outage; the default here is 15 s to keep CI time down (the
mechanism does not depend on the length: the queue holds one slice and re-reads the store).
Set METRICSD_RW_OUTAGE_SECONDS=60 for the full length. Staleness markers (NaN) are left out
of the value comparison: Prometheus does not return them in range queries.
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, assert_promtool_clean, free_port, parse_exposition, require_tool, stop_process, wait_until  # noqa: E402
from harness import url_request as http  # noqa: E402
import game_workload  # noqa: E402

OUTAGE = float(os.environ.get("METRICSD_RW_OUTAGE_SECONDS", "15"))
NAMES = ["game_battles_total", "game_players", "game_ui_frame_seconds_count",
         "game_db_query_duration_seconds_sum", "game_ao_handler_duration_seconds_bucket"]
SELECTOR = '{__name__=~"%s"}' % "|".join(NAMES)


class VictoriaMetrics:
    """VictoriaMetrics on a fixed port and data directory, so it can be restarted."""

    def __init__(self, directory):
        self.binary = require_tool("victoria-metrics")
        self.dir = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log = open(os.path.join(directory, "vm.log"), "a+")

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, f"-httpListenAddr=127.0.0.1:{self.port}",
             f"-storageDataPath={self.dir}/data", "-retentionPeriod=100y",
             "-search.disableCache", "-loggerLevel=WARN"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: http("GET", self.url + "/health")[0] == 200, timeout=30,
                   what="VictoriaMetrics to start")

    def stop(self):
        stop_process(self.proc)
        self.proc = None

    def close(self):
        self.stop()
        self.log.close()

    def export(self, match, start_ms, end_ms):
        """{labels: [(t, value)]} with repeats, raw as stored."""
        query = urllib.parse.urlencode({"match[]": match, "start": start_ms / 1000, "end": end_ms / 1000})
        status, body = http("GET", f"{self.url}/api/v1/export?{query}")
        assert status == 200, (status, body[:300])
        return parse_export(body)


class PrometheusReceiver:
    """Prometheus 2.42 scraping nothing, receiving remote_write."""

    def __init__(self, directory):
        binary = require_tool("prometheus")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = os.path.join(directory, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1m\n")
        self.log = open(os.path.join(directory, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.tsdb.path={directory}/data", "--web.enable-remote-write-receiver",
             "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: http("GET", self.url + "/-/ready")[0] == 200, timeout=30,
                   what="Prometheus to start")

    def query(self, expr, at):
        query = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
        status, body = http("GET", f"{self.url}/api/v1/query?{query}")
        assert status == 200, (status, body[:300])
        return json.loads(body)["data"]

    def stop(self):
        stop_process(self.proc)
        self.log.seek(0)
        tail = self.log.read()[-3000:]
        self.log.close()
        return tail


_SPECIAL = re.compile(r'(?<=[\[,])([+-]Inf|NaN)(?=[\],])')


def parse_export(body):
    """VictoriaMetrics' JSON lines: {labels tuple: [(t_ms, float)]}, lines of one series merged."""
    out = {}
    for line in body.decode().splitlines():
        if not line.strip():
            continue
        obj = json.loads(_SPECIAL.sub('"\\1"', line))
        labels = tuple(sorted(obj["metric"].items()))
        values = [float(v) if not isinstance(v, str) else float(v.replace("Inf", "inf"))
                  for v in obj["values"]]
        out.setdefault(labels, []).extend(zip(obj["timestamps"], values))
    return out


def not_stale(points):
    return sorted((t, v) for t, v in points if not math.isnan(v))


def queue_metric(daemon, name, remote):
    samples = parse_exposition(daemon.get("/metrics")[2].decode())
    for key, value in samples.items():
        if key.startswith(f"metricsd_remote_storage_{name}{{") and f'remote_name="{remote}"' in key:
            return value
    return None


class RemoteWriteTest(unittest.TestCase):
    def test_both_receivers_get_every_sample_once_across_an_outage(self):
        started = time.monotonic()
        work = tempfile.TemporaryDirectory(prefix="metricsd-e2e-rw-")
        self.addCleanup(work.cleanup)
        os.makedirs(os.path.join(work.name, "vm"))
        os.makedirs(os.path.join(work.name, "prom"))
        vm = VictoriaMetrics(os.path.join(work.name, "vm"))
        vm.start()
        self.addCleanup(vm.close)
        prom = PrometheusReceiver(os.path.join(work.name, "prom"))
        prom_log = []
        self.addCleanup(lambda: prom_log.append(prom.stop()))

        config = (
            "history: {interval: 1s}\n"
            "statsd:\n"
            f"  mapping_file: {json.dumps(game_workload.MAPPING_FILE)}\n"
            "remote_write:\n"
            f"  - url: {prom.url}/api/v1/write\n"
            "    name: prom\n"
            "    queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}\n"
            f"  - url: {vm.url}/api/v1/write\n"
            "    name: vm\n"
            "    queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}\n")
        with Daemon(config) as daemon:
            statsd_port = int(daemon.statsd["udp"].rpartition(":")[2])
            stop_load = threading.Event()

            def load():
                seed = 1
                while not stop_load.is_set():
                    game_workload.send_udp(statsd_port, 1.0, 400, seed=seed)
                    seed += 1

            loader = threading.Thread(target=load, daemon=True)
            loader.start()
            self.addCleanup(lambda: (stop_load.set(), loader.join(10)))

            # Both queues have decided their start ("now") and sent something.
            for remote in ("prom", "vm"):
                wait_until(lambda r=remote: (queue_metric(daemon, "samples_total", r) or 0) > 0,
                           timeout=30, what=f"{remote} to receive samples")
            # The window starts half a second after a sample instant (samples are on whole
            # seconds), after both queues' start, so both ends fall between samples.
            window_start = math.floor(max(queue_metric(daemon, "position_timestamp_seconds", r)
                                          for r in ("prom", "vm"))) + 1.5
            time.sleep(4)

            # The outage: VictoriaMetrics down under load.
            vm.stop()
            down_at = time.time()
            time.sleep(2)  # the vm queue notices
            prom_sent_before = queue_metric(daemon, "queue_highest_sent_timestamp_seconds", "prom")
            vm_position_before = queue_metric(daemon, "position_timestamp_seconds", "vm")
            time.sleep(max(OUTAGE - 2, 1))
            prom_sent_after = queue_metric(daemon, "queue_highest_sent_timestamp_seconds", "prom")
            vm_position_after = queue_metric(daemon, "position_timestamp_seconds", "vm")
            vm_retried = queue_metric(daemon, "samples_retried_total", "vm")
            vm_pending = queue_metric(daemon, "samples_pending", "vm")
            print(f"FIGURE outage_seconds {time.time() - down_at:.1f}")
            print(f"FIGURE prom_highest_sent_advanced_during_outage_seconds {prom_sent_after - prom_sent_before:.1f}")
            self.assertGreaterEqual(prom_sent_after - prom_sent_before, (OUTAGE - 2) * 0.5,
                                    "the Prometheus queue stalled while VictoriaMetrics was down")
            self.assertEqual(vm_position_after, vm_position_before,
                             "the vm position moved while its receiver was down")
            self.assertGreater(vm_retried, 0)
            self.assertGreater(vm_pending, 0)
            assert_promtool_clean(self, daemon.get("/metrics")[2], ["metricsd_remote_storage_"])
            vm.start()
            up_at = time.time()
            time.sleep(4)
            window_end = math.floor(time.time()) - 3 + 0.5  # closed, already sampled
            stop_load.set()
            loader.join(10)

            # Both queues get past the window.
            for remote in ("prom", "vm"):
                wait_until(lambda r=remote: queue_metric(daemon, "position_timestamp_seconds", r) > window_end,
                           timeout=30, what=f"{remote} to send the whole window")
            caught_up = time.time() - up_at
            print(f"FIGURE vm_catch_up_after_restart_seconds {caught_up:.1f}")

            start_ms, end_ms = int(window_start * 1000), int(window_end * 1000)
            query = urllib.parse.urlencode({"match[]": SELECTOR, "start": window_start, "end": window_end})
            status, _, body = daemon.get(f"/api/v1/export?{query}")
            self.assertEqual(status, 200, body[:300])
            stored = {labels: not_stale(points) for labels, points in parse_export(body).items()}
            stored = {labels: points for labels, points in stored.items() if points}
            total = sum(len(points) for points in stored.values())
            print(f"FIGURE window_seconds {window_end - window_start:.1f}")
            print(f"FIGURE window_series {len(stored)}")
            print(f"FIGURE window_samples {total}")
            self.assertGreater(len(stored), 5)
            self.assertGreater(total, len(stored) * (window_end - window_start) * 0.8)

            # VictoriaMetrics: the same points, none twice (export returns duplicates raw).
            in_vm = vm.export(SELECTOR, start_ms, end_ms)
            vm_points = {labels: [(t, v) for t, v in points if not math.isnan(v)]
                         for labels, points in in_vm.items()}
            for labels, points in stored.items():
                got = vm_points.get(labels, [])
                self.assertEqual(len(got), len(set(t for t, _ in got)),
                                 f"VictoriaMetrics holds a sample twice: {labels}")
                got = sorted(got)
                self.assertEqual([t for t, _ in got], [t for t, _ in points],
                                 f"VictoriaMetrics has other timestamps for {labels}")
                # VictoriaMetrics keeps about 12 significant digits (its decimal encoding).
                for (t, v), (_, want) in zip(got, points):
                    self.assertTrue(math.isclose(v, want, rel_tol=1e-11, abs_tol=1e-300),
                                    f"VictoriaMetrics has {v} for {want} at {t} in {labels}")
            self.assertEqual(set(k for k, v in vm_points.items() if v), set(stored))

            # Prometheus: raw points through a range vector at the window's end, and
            # count_over_time over the same window.
            window = int(round(window_end - window_start))
            data = prom.query(f"{SELECTOR}[{window}s]", window_end)
            self.assertEqual(data["resultType"], "matrix")
            in_prom = {}
            for series in data["result"]:
                labels = tuple(sorted(series["metric"].items()))
                in_prom[labels] = sorted((int(round(float(t) * 1000)), float(v)) for t, v in series["values"])
            self.assertEqual(set(in_prom), set(stored))
            for labels, points in stored.items():
                self.assertEqual(in_prom[labels], points, f"Prometheus differs for {labels}")
            for name in NAMES:
                counts = prom.query(f'count_over_time({{__name__="{name}"}}[{window}s])', window_end)
                counted = {tuple(sorted(s["metric"].items())): int(float(s["value"][1]))
                           for s in counts["result"]}
                for labels, points in stored.items():
                    if ("__name__", name) not in labels:
                        continue
                    name_less = tuple(pair for pair in labels if pair[0] != "__name__")
                    self.assertEqual(counted.get(name_less), len(points), f"count_over_time of {labels}")
            # Nothing was refused for good on either side.
            for remote in ("prom", "vm"):
                self.assertEqual(queue_metric(daemon, "samples_failed_total", remote), 0)
        print(f"FIGURE e2e_remote_write_seconds {time.monotonic() - started:.1f}")


if __name__ == "__main__":
    unittest.main()
