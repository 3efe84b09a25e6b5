#!/usr/bin/env python3
"""The built-in dashboard's cost in a real browser (issue 15, Performance). Run by hand; not a ctest.

Goals (issue 15): first render of Overview <= 1 s with 20 panels on this machine; a refresh
tick <= 50 ms of page CPU; the page's memory stays flat over 10 minutes of live refresh.

Set-up (this script): a real metricsd (127.0.0.1, a port the kernel picks, history in a temp
dir) whose config has one page, `overview`, of exactly 20 panels (4 stat, 2 table, 9 line,
3 stacked, 2 heatmap; 5-50 series each, 1 to 24 series of histogram_quantile over 240-336
bucket series), plus one page per panel kind (k-line, ..., the same panels) for the cost of
each kind. The first render is measured at the default `dashboard.refresh` (5s); the ticks and
the memory run at 1s (--refresh; dashboard_bench.js rewrites the config and reloads the daemon
with SIGHUP), so ticks come often (600 in 10 minutes). One hour of
synthetic history at a 10 s step (~900 series: AO handler and DB query latency histograms,
node-like CPU/memory/disk/network counters, 50 process groups, StatsD ingest, probes, frame
times) is imported through /api/v1/import, and a feeder thread keeps importing the next point
of every series every 10 s, as scrapes would, so live ticks see new data. One panel reads the
daemon's own host collector (node_cpu_seconds_total, sampled by history every 10 s).

Measurement (dashboard_bench.js, headless Chromium through playwright-core): first render
cold and warm, page CPU per refresh tick (CDP Performance.getMetrics), memory over --minutes
of live refresh (JS heap after a forced GC, DOM nodes, listeners); see that file.

  python3 tests/bench/dashboard_bench.py --metricsd build/daemon/metricsd [--minutes 10] [--json]
  python3 tests/bench/dashboard_bench.py --metricsd build/daemon/metricsd --minutes 1   # smoke
"""
import argparse
import bisect
import json
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import harness  # noqa: E402

STEP_MS = 10_000
HOUR_MS = 3_600_000
AO_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
DB_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25]


def _le(le):
    return repr(float(le))


class Series:
    """One synthetic series: labels and a stateful next(t_ms) -> value."""

    def __init__(self, labels, step):
        self.labels, self.step = labels, step


class Synthetic:
    """~900 series of a game server's host and workload, reproducible from the seed."""

    def __init__(self, seed=15):
        self.rng = rng = random.Random(seed)
        self.series = []
        self.histograms = []  # (labels, buckets, median, per_step, counts, state)

        def counter(labels, per_second, noise=0.2):
            state = {"v": rng.uniform(0, 1e6)}

            def step(t):
                state["v"] += per_second * 10 * max(0.0, 1 + rng.gauss(0, noise)) * _daily(t)
                return state["v"]
            self.series.append(Series(labels, step))

        def gauge(labels, mean, noise=0.05, walk=0.0):
            state = {"v": mean}

            def step(t):
                if walk:
                    state["v"] = max(0.0, state["v"] * (1 + rng.gauss(0, walk)))
                    return state["v"]
                return max(0.0, mean * _daily(t) * (1 + rng.gauss(0, noise)))
            self.series.append(Series(labels, step))

        for p in range(3):
            for a in range(8):
                self._histogram("bench_ao_handler_seconds",
                                {"process": f"ao-{p}", "action": f"Action{a}"}, AO_BUCKETS,
                                median=0.004 * (1 + a) * (1 + 0.3 * p), per_step=40)
        for table in ("players", "battles", "items", "guilds", "mail"):
            for op in ("select", "insert", "update", "delete"):
                self._histogram("bench_db_query_seconds", {"table": table, "op": op}, DB_BUCKETS,
                                median=0.002 * (2 if op != "select" else 1), per_step=20)
        modes = {"idle": 0.55, "user": 0.25, "system": 0.1, "iowait": 0.04, "irq": 0.01,
                 "softirq": 0.02, "steal": 0.01, "nice": 0.02}
        for cpu in range(16):
            for mode, share in modes.items():
                counter({"__name__": "bench_node_cpu_seconds_total", "cpu": str(cpu),
                         "mode": mode}, share)
        for kind, size in (("used", 9e9), ("cached", 4e9), ("buffers", 5e8), ("free", 2e9),
                           ("shmem", 3e8)):
            gauge({"__name__": "bench_node_memory_bytes", "kind": kind}, size, noise=0.01)
        for d in range(8):
            for direction in ("read", "written"):
                counter({"__name__": "bench_node_disk_io_bytes_total", "device": f"nvme{d}n1",
                         "direction": direction}, 2e6 * (1 + d))
        for n in range(10):
            for direction in ("receive", "transmit"):
                counter({"__name__": "bench_node_network_bytes_total", "device": f"eth{n}",
                         "direction": direction}, 1e6 * (1 + n))
        for g in range(50):
            gauge({"__name__": "bench_process_resident_bytes", "group": f"group-{g:02d}"},
                  rng.uniform(5e7, 2e9), walk=0.002)
        for kind in ("counter", "gauge", "timer", "histogram", "set"):
            counter({"__name__": "bench_statsd_packets_total", "type": kind},
                    rng.uniform(200, 5000))
        for reason in ("queue_full", "parse_error", "too_many_series"):
            counter({"__name__": "bench_statsd_dropped_total", "reason": reason}, 0.5)
        for t in range(5):
            gauge({"__name__": "bench_probe_success", "target": f"ao-{t}.example"}, 1.0,
                  noise=0.0)
            for phase in ("resolve", "connect", "tls", "processing", "transfer"):
                gauge({"__name__": "bench_probe_duration_seconds", "target": f"ao-{t}.example",
                       "phase": phase}, rng.uniform(0.001, 0.05))
        for s in range(20):
            gauge({"__name__": "bench_up", "source": f"source-{s:02d}"}, 1.0, noise=0.0)
        for c in range(30):
            gauge({"__name__": "bench_frame_time_seconds", "client": f"client-{c:02d}"},
                  rng.uniform(0.008, 0.03), noise=0.1)
        for z in range(6):
            gauge({"__name__": "bench_apdex", "zone": f"zone-{z}"}, 0.93, noise=0.02)

    def _histogram(self, family, labels, buckets, median, per_step):
        rng = self.rng
        state = {"counts": [0] * (len(buckets) + 1), "sum": 0.0, "t": None}

        def advance(t):
            if state["t"] == t:
                return
            state["t"] = t
            n = max(0, int(per_step * _daily(t) + rng.gauss(0, per_step ** 0.5)))
            counts = state["counts"]
            for _ in range(n):
                x = median * math.exp(rng.gauss(0, 0.7))
                state["sum"] += x
                # counts[i]: observations <= buckets[i] (cumulative, as `le` is).
                for i in range(bisect.bisect_left(buckets, x), len(counts)):
                    counts[i] += 1

        def bucket(i):
            def step(t):
                advance(t)
                return state["counts"][i]
            return step

        for i, le in enumerate(buckets + ["+Inf"]):
            name = {"__name__": family + "_bucket", **labels,
                    "le": "+Inf" if le == "+Inf" else _le(le)}
            self.series.append(Series(name, bucket(i)))

        def total(t):
            advance(t)
            return state["sum"]

        def count(t):
            advance(t)
            return state["counts"][-1]
        self.series.append(Series({"__name__": family + "_sum", **labels}, total))
        self.series.append(Series({"__name__": family + "_count", **labels}, count))

    def lines(self, times):
        """VictoriaMetrics JSON lines: every series over `times` (ms, ascending)."""
        out = []
        for s in self.series:
            values = [round(s.step(t), 6) for t in times]
            out.append(json.dumps({"metric": s.labels, "values": values,
                                   "timestamps": list(times)}, separators=(",", ":")))
        return out


def _daily(t_ms):
    return 1 + 0.2 * math.sin(2 * math.pi * (t_ms % 86_400_000) / 86_400_000)


# The 20 panels: (title, expr, kind, unit, width, legend).
PANELS = [
    ("StatsD ingest", "sum(rate(bench_statsd_packets_total[1m]))", "stat", "ops/s", 3, ""),
    ("StatsD drops", "sum(rate(bench_statsd_dropped_total[1m]))", "stat", "ops/s", 3, ""),
    ("Probe success", "avg by (target) (bench_probe_success)", "stat", "ratio", 3, "{{target}}"),
    ("Apdex", "bench_apdex", "stat", "ratio", 3, "{{zone}}"),
    ("Sources", "bench_up", "table", "short", 6, ""),
    ("Probe phases", "bench_probe_duration_seconds", "table", "seconds", 6, ""),
    ("AO handler p99", "histogram_quantile(0.99, sum by (process, action, le) "
     "(rate(bench_ao_handler_seconds_bucket[1m])))", "line", "seconds", 6,
     "{{process}} {{action}}"),
    ("AO handler p50", "histogram_quantile(0.5, sum by (process, action, le) "
     "(rate(bench_ao_handler_seconds_bucket[1m])))", "line", "seconds", 6,
     "{{process}} {{action}}"),
    ("AO handler latency", "sum by (le) (rate(bench_ao_handler_seconds_bucket[1m]))", "heatmap",
     "seconds", 6, ""),
    ("DB query latency", "sum by (le) (rate(bench_db_query_seconds_bucket[1m]))", "heatmap",
     "seconds", 6, ""),
    ("DB query p95", "histogram_quantile(0.95, sum by (table, op, le) "
     "(rate(bench_db_query_seconds_bucket[1m])))", "line", "seconds", 6, "{{table}} {{op}}"),
    ("CPU by mode", "sum by (mode) (rate(bench_node_cpu_seconds_total[1m]))", "stacked",
     "short", 6, "{{mode}}"),
    ("CPU busy per core", "1 - rate(bench_node_cpu_seconds_total{mode=\"idle\"}[1m])", "line",
     "ratio", 6, "cpu {{cpu}}"),
    ("Memory", "bench_node_memory_bytes", "stacked", "bytes", 6, "{{kind}}"),
    ("Disk I/O", "rate(bench_node_disk_io_bytes_total[1m])", "line", "bytes/s", 6,
     "{{device}} {{direction}}"),
    ("Network", "rate(bench_node_network_bytes_total[1m])", "line", "bytes/s", 6,
     "{{device}} {{direction}}"),
    ("Process groups RSS", "bench_process_resident_bytes", "line", "bytes", 6, "{{group}}"),
    ("Frame time", "bench_frame_time_seconds", "line", "seconds", 6, "{{client}}"),
    ("StatsD ingest by type", "sum by (type) (rate(bench_statsd_packets_total[1m]))", "stacked",
     "ops/s", 6, "{{type}}"),
    ("This host's CPU (live)", "sum by (mode) (rate(node_cpu_seconds_total[1m]))", "line",
     "short", 6, "{{mode}}"),
]
assert len(PANELS) == 20
KINDS = ("line", "stacked", "heatmap", "stat", "table")


def _yaml_string(text):
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def config(refresh):
    lines = ["history: {interval: 10s}", "dashboard:", f"  refresh: {refresh}", "  pages:",
             "    - id: overview", "      title: Overview", "      panels:"]
    def panel(title, expr, kind, unit, width, legend):
        return (f"        - {{title: {_yaml_string(title)}, expr: {_yaml_string(expr)}, "
                f"kind: {kind}, unit: {_yaml_string(unit)}, width: {width}, "
                f"legend: {_yaml_string(legend)}}}")
    lines += [panel(*p) for p in PANELS]
    # One page per kind with the Overview's panels of that kind, for the cost per kind
    # (dashboard_bench.js --phases kinds).
    for kind in KINDS:
        lines += [f"    - id: k-{kind}", f"      title: Only {kind}", "      panels:"]
        lines += [panel(*p) for p in PANELS if p[2] == kind]
    return "\n".join(lines) + "\n"


def post_lines(d, lines, chunk=100):
    for i in range(0, len(lines), chunk):
        status, _, answer = d.request("POST", "/api/v1/import",
                                      body=("\n".join(lines[i:i + chunk]) + "\n").encode(),
                                      timeout=300)
        assert status == 204, (status, answer[:300])


class Feeder:
    """Imports the next point of every series each 10 s, as scrapes would."""

    def __init__(self, d, synth, last_ms):
        self.d, self.synth, self.last = d, synth, last_ms
        self.stop, self.errors, self.count = threading.Event(), [], 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.wait(0.5):
            now = int(time.time() * 1000) // STEP_MS * STEP_MS
            if now <= self.last:
                continue
            times = list(range(self.last + STEP_MS, now + 1, STEP_MS))
            try:
                post_lines(self.d, self.synth.lines(times), chunk=300)
                self.count += len(times)
            except Exception as e:  # noqa: BLE001 - reported at the end
                self.errors.append(repr(e))
            self.last = now

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metricsd", default=os.path.join(HERE, "..", "..", "build", "daemon",
                                                           "metricsd"))
    parser.add_argument("--node", default="node")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--refresh", default="1s",
                        help="dashboard.refresh for the ticks and memory (default 1s); the first "
                             "render is measured at the default, 5s")
    parser.add_argument("--runs", type=int, default=10, help="first renders, cold and warm each")
    parser.add_argument("--ticks", type=int, default=60, help="refresh ticks measured for CPU")
    parser.add_argument("--minutes", type=float, default=10, help="live refresh for memory")
    parser.add_argument("--phases", default="render,tick,kinds,memory",
                        help="render, tick, kinds (tick CPU of a page per panel kind), memory")
    parser.add_argument("--profile", action="store_true",
                        help="also profile ticks (CDP Profiler) and print the hottest functions")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--height", type=int, default=1000,
                        help="viewport height (width 1400); charts off screen skip their redraw "
                             "on ticks, so e.g. 4000 puts all 20 panels on screen")
    parser.add_argument("--keep", action="store_true",
                        help="print the URL and keep the daemon running until Enter (by hand)")
    args = parser.parse_args()
    harness.BIN = os.path.abspath(args.metricsd)
    # SIGTERM (e.g. stopping a --keep run) still stops the daemon and removes its directory.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    synth = Synthetic()
    with harness.Daemon(config("5s")) as d:
        d.wait_for_log(r'msg="history ready"', timeout=60, what="history to open")
        end_ms = int(time.time() * 1000) // STEP_MS * STEP_MS
        times = list(range(end_ms - HOUR_MS, end_ms + 1, STEP_MS))
        began = time.monotonic()
        post_lines(d, synth.lines(times))
        imported = time.monotonic() - began
        setup = {"series": len(synth.series), "points_per_series": len(times),
                 "history_step_s": STEP_MS // 1000, "import_seconds": round(imported, 1),
                 "panels": len(PANELS), "refresh_render": "5s", "refresh_live": args.refresh,
                 "kinds": {k: sum(1 for p in PANELS if p[2] == k) for k in KINDS}}
        print(f"imported {len(synth.series)} series x {len(times)} points (1 h at 10 s) in "
              f"{imported:.1f} s; daemon pid {d.proc.pid} on port {d.port}", file=sys.stderr)
        # The import is visible to reads (it can lag under load).
        harness.wait_until(lambda: b'"result":[{' in d.get(
            "/api/v1/query?query=count(bench_up)")[2], timeout=60, what="the import to be read")
        url = f"http://127.0.0.1:{d.port}/"
        with Feeder(d, synth, end_ms) as feeder:
            if args.keep:
                print(f"dashboard at {url}#/overview ; Enter stops", file=sys.stderr)
                sys.stdin.readline()
                return 0
            command = [args.node, os.path.join(HERE, "dashboard_bench.js"), "--url", url,
                       "--chromium", args.chromium, "--runs", str(args.runs),
                       "--ticks", str(args.ticks), "--minutes", str(args.minutes),
                       "--phases", args.phases, "--daemon-pid", str(d.proc.pid),
                       "--setup", json.dumps(setup), "--config-file", d.config_path,
                       "--render-refresh", "5s", "--live-refresh", args.refresh,
                       "--height", str(args.height)]
            if args.json:
                command.append("--json")
            if args.profile:
                command.append("--profile")
            rc = subprocess.call(command)
        if feeder.errors:
            print(f"feeder errors: {feeder.errors[:3]}", file=sys.stderr)
        d.stop()
    return rc


if __name__ == "__main__":
    sys.exit(main())
