#!/usr/bin/env python3
"""Analytics cost (issue 14, Performance). Run by hand; not a ctest.

1. A daily report over 7 days x 1,000 series (goal: <= 5 s and <= 64 MiB extra RSS): 1,000
   latency-like gauges (100 services x 10 endpoints, seasonal with noise, one sample a
   --step-seconds, default 60) are imported into a fresh metricsd, which is then restarted so
   the figures are those of serving the report, not of the import. The report `daily` (every
   section, range 24h) is made through GET /api/v1/reports/daily?format=html --repeat times;
   the table gives wall time, the daemon's CPU time, and its peak RSS above the RSS before
   the first report (VmRSS polled every 10 ms).
2. The findings refresh for 100 watches (goal: <= 1 % of a core at the default interval, 5m):
   100 watches of 10 series each over the same data; analytics.interval is 10s so refreshes
   come often; each refresh's CPU is the daemon's CPU over the refresh (from
   metricsd_analytics_last_refresh_timestamp_seconds) minus its idle CPU. Trends, leaks and
   runway run every slow_interval (1h by default): the share of a core at the defaults is
   (fast + slow x 5m/1h) / 5m.

  python3 tests/bench/analytics_bench.py --metricsd build/daemon/metricsd [--repeat 3]
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import analytics_data as data  # noqa: E402
import harness  # noqa: E402
from procstat import cpu_seconds, rss_bytes, sched_seconds  # noqa: E402

WATCHES = 100
SERIES_PER_WATCH = 10


def config(watches, interval="5m"):
    lines = ["host: {enabled: false}", "history: {interval: 10s}", "analytics:",
             f"  interval: {interval}", "  watches:"]
    for w in range(watches):
        lines.append(f"    - {{name: w{w}, expr: 'bench_latency_seconds{{service=\"s{w}\"}}', "
                     "kind: latency, unit: seconds, threshold: 1}")
    lines += ["  reports:", "    - {name: daily, range: 24h}"]
    return "\n".join(lines) + "\n"


def import_data(d, end_ms, days, step_ms):
    for service in range(WATCHES):
        lines = [data.stepped_latency(end_ms, days / 7, step_ms,
                                      {"service": f"s{service}", "endpoint": f"e{e}"},
                                      seed=service * 100 + e).replace(
                     "test_latency_p95_seconds", "bench_latency_seconds")
                 for e in range(SERIES_PER_WATCH)]
        status, _, answer = d.request("POST", "/api/v1/import",
                                      body=("\n".join(lines) + "\n").encode(), timeout=300)
        assert status == 204, answer[:200]


class PeakRss:
    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def restart(d, text, storage):
    d.stop()
    d.__exit__(None, None, None)
    fresh = harness.Daemon(text, args=[f"--storage.path={storage}"])
    fresh.wait_for_log(r'msg="history ready"', timeout=600, what="history to open")
    return fresh


def refresh_time(d):
    return d.samples().get("metricsd_analytics_last_refresh_timestamp_seconds", 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--step-seconds", type=int, default=60)
    args = parser.parse_args()
    harness.BIN = os.path.abspath(args.metricsd)
    storage = tempfile.mkdtemp(prefix="metricsd-analytics-bench-")
    end_ms = int(time.time() * 1000) // 60_000 * 60_000 - 60_000
    d = harness.Daemon(config(WATCHES), args=[f"--storage.path={storage}"])
    d.wait_for_log(r'msg="history ready"', timeout=60, what="history to open")
    began = time.monotonic()
    import_data(d, end_ms, args.days, args.step_seconds * 1000)
    samples = WATCHES * SERIES_PER_WATCH * int(args.days * 86400 / args.step_seconds)
    print(f"imported {WATCHES * SERIES_PER_WATCH} series x {args.days} days at "
          f"{args.step_seconds}s ({samples:,} samples) in {time.monotonic() - began:.0f} s")

    # 1. The daily report, on a daemon restarted after the import.
    d = restart(d, config(WATCHES), storage)
    pid = d.proc.pid
    before = rss_bytes(pid)
    rows = []
    for i in range(args.repeat):
        cpu0, t0 = sched_seconds(pid), time.monotonic()
        with PeakRss(pid) as peak:
            status, _, body = d.request("GET", "/api/v1/reports/daily?format=html", timeout=600)
        wall, cpu = time.monotonic() - t0, sched_seconds(pid) - cpu0
        assert status == 200, body[:300]
        rows.append((wall, cpu, (peak.peak - before) / 2**20, len(body)))
        print(f"report {i + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS +{rows[-1][2]:.1f} MiB "
              f"over {before / 2**20:.0f} MiB, {len(body) / 1024:.0f} KiB of HTML")
    best = min(rows)
    print(f"FIGURE report_7d_1000_series_seconds {best[0]:.2f} (goal <= 5)")
    print(f"FIGURE report_7d_1000_series_extra_rss_mib {max(r[2] for r in rows):.1f} (goal <= 64)")

    # 2. Findings refresh for 100 watches: CPU per refresh, fast (regressions) and slow
    # (every method) separately.
    for label, slow in (("fast", "1h"), ("all", "10s")):
        text = config(WATCHES, interval="10s").replace("  interval: 10s",
                                                         f"  interval: 10s\n  slow_interval: {slow}")
        d = restart(d, text, storage)
        pid = d.proc.pid
        harness.wait_until(lambda: refresh_time(d) > 0, timeout=600, interval=0.5,
                           what="a first refresh")
        idle0, idle_t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(3)
        idle_rate = (cpu_seconds(pid) - idle0) / (time.monotonic() - idle_t0)
        costs = []
        for _ in range(3):
            last = refresh_time(d)
            cpu0, t0 = sched_seconds(pid), time.monotonic()
            harness.wait_until(lambda: refresh_time(d) > last, timeout=600, interval=0.2,
                               what="the next refresh")
            span = time.monotonic() - t0
            costs.append(sched_seconds(pid) - cpu0 - idle_rate * span)
        duration = d.samples()["metricsd_analytics_refresh_duration_seconds"]
        print(f"refresh ({label}): CPU {min(costs):.3f} s (of {', '.join(f'{c:.3f}' for c in costs)}), "
              f"wall {duration:.3f} s")
        if label == "fast":
            fast = min(costs)
        else:
            every = min(costs)
    share = (fast + (every - fast) * 300 / 3600) / 300 * 100
    print(f"FIGURE findings_refresh_100_watches_core_percent {share:.2f} (goal <= 1)")
    d.stop()
    d.__exit__(None, None, None)


if __name__ == "__main__":
    main()
