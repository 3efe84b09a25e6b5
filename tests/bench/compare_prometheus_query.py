#!/usr/bin/env python3
"""Query latency and memory, metricsd against Prometheus 2.42 on the same data (issue 13,
Performance). Run by hand; not a ctest.

Data (generated, deterministic): counters and classic-histogram buckets at 15 s,
  b1k_*  : 1,000 series (100 instances x (2 request counters + 8 latency buckets)) over --days-1k
           days (default 7);
  b10k_* : 10,000 series (1,000 instances x the same 10) over --hours-10k hours (default 24).
Each instance has its own millisecond offset, as scrapes have; counters grow at their own rates,
buckets cumulatively. Both servers get exactly the same samples: metricsd through
/api/v1/import (then restarted, so its memory figures are those of serving queries, not of the
import), Prometheus from blocks built by `promtool tsdb create-blocks-from openmetrics`
(--max-block-duration 54h, the block size a Prometheus with ~3 weeks of retention compacts to;
started with compaction off, so it does not compact during the run).

Queries: dashboard panels (rate, sum by, topk, histogram_quantile) as range queries of ~250
steps over 1h, 24h and 7d ending at the data's end, and instant queries over the whole range;
each query runs --repeat times against each API after one warm-up run, alternating which server
goes first; the table gives the median wall time of the HTTP request (answer read in full) and
the ratio metricsd/Prometheus (issue goal: <= 0.5). Peak RSS is each process's VmHWM
(/proc/PID/status) after the queries, with its RSS right after startup.

  python3 tests/bench/compare_prometheus_query.py --metricsd build/daemon/metricsd \\
      [--days-1k 7] [--hours-10k 24] [--repeat 5] [--keep DIR]

Needs about 10 GB free in the temporary directory for the default sizes (the OpenMetrics text;
removed once the blocks exist) and several minutes to load both servers.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from harness import free_port, require_tool, stop_process, wait_until  # noqa: E402
from promql_compare import compare, normalize  # noqa: E402
from promql_servers import http  # noqa: E402

STEP_MS = 15000
LES = ["0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"]
# Share of observations at or below each bound (cumulative, so buckets stay monotonic).
LE_SHARE = [0.05, 0.15, 0.35, 0.6, 0.8, 0.92, 0.98, 1.0]
IMPORT_BYTES = 48 * 1024 * 1024  # under the import's 64 MiB a request
BLOCK_MS = 54 * 3600 * 1000  # promtool --max-block-duration=54h: blocks of 54 h

METRICSD_CONFIG = """
host: {enabled: false}
statsd: {enabled: false}
history:
  interval: 1h
  flush_interval: 10s
  retention: {raw: 4w, size: 0}
"""


# --- data -------------------------------------------------------------------------------------

def dataset_series(prefix, instances):
    """(labels text for OpenMetrics, metric JSON, rate per step, instance index) per series."""
    for i in range(instances):
        instance = f"i-{i:04d}"
        for code, share in (("200", 1.0), ("500", 0.02)):
            labels = {"__name__": f"{prefix}_requests_total", "instance": instance,
                      "job": "bench", "code": code}
            yield labels, (3 + i % 17) * share, i
        for le, share in zip(LES, LE_SHARE):
            labels = {"__name__": f"{prefix}_latency_seconds_bucket", "instance": instance,
                      "job": "bench", "le": le}
            yield labels, (2 + i % 11) * share, i


def write_data(directory, sets, end_ms):
    """Writes data.om (OpenMetrics) and import-NNN.jsonl files (each under IMPORT_BYTES);
    returns (import files, samples, series)."""
    # One OpenMetrics file per block window: promtool parses a whole file once per window with
    # samples in it, so a week in one file would be parsed four times.
    om_files = {}

    def om_file(window):
        if window not in om_files:
            om_files[window] = open(os.path.join(directory, f"data-{window}.om"), "w")
        return om_files[window]

    imports, current, current_size = [], [], 0
    samples = series_count = 0

    def flush_import():
        nonlocal current, current_size
        if current:
            path = os.path.join(directory, f"import-{len(imports):03d}.jsonl")
            with open(path, "w") as f:
                f.write("".join(current))
            imports.append(path)
        current, current_size = [], 0

    for prefix, instances, span_ms in sets:
        start_ms = (end_ms - span_ms) // STEP_MS * STEP_MS
        offsets = {}
        for labels, rate, i in dataset_series(prefix, instances):
            jitter = (i * 7919) % 15000
            if jitter not in offsets:
                times = range(start_ms + jitter, end_ms, STEP_MS)
                offsets[jitter] = ([f"{t // 1000}.{t % 1000:03d}" for t in times],
                                   ",".join(str(t) for t in times))
            om_times, json_times = offsets[jitter]
            # A wobble of a few percent over ~an hour keeps the rates from being constant.
            values = [str(int(k * rate + (k % 240) * rate * 0.05)) for k in range(len(om_times))]
            key = labels["__name__"] + "{" + ",".join(
                f'{k}="{v}"' for k, v in labels.items() if k != "__name__") + "}"
            k, base = 0, start_ms + jitter
            while k < len(values):
                window = (base + k * STEP_MS) // BLOCK_MS
                # The first sample at or after the next window's start.
                until = min(len(values), -(-((window + 1) * BLOCK_MS - base) // STEP_MS))
                om_file(window).write("".join(f"{key} {v} {t}\n" for v, t in
                                              zip(values[k:until], om_times[k:until])))
                k = until
            line = '{"metric":%s,"values":[%s],"timestamps":[%s]}\n' % (
                json.dumps(labels, separators=(",", ":")), ",".join(values), json_times)
            if current_size + len(line) > IMPORT_BYTES:
                flush_import()
            current.append(line)
            current_size += len(line)
            samples += len(values)
            series_count += 1
    flush_import()
    for f in om_files.values():
        f.write("# EOF\n")
        f.close()
    return [f.name for f in om_files.values()], imports, samples, series_count


# --- servers ----------------------------------------------------------------------------------

def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, name, command, url, ready_path, log_path):
        self.name, self.url = name, url
        self.log = open(log_path, "a")
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_until(lambda: self.proc.poll() is None and
                   http("GET", url + ready_path, timeout=2)[0] == 200,
                   timeout=600, interval=0.5, what=f"{name} to be ready")
        self.start_rss = proc_status(self.proc.pid, "VmRSS")

    def stop(self):
        stop_process(self.proc, timeout=120)
        self.log.close()


def start_metricsd(binary, directory):
    config = os.path.join(directory, "metricsd.yaml")
    with open(config, "w") as f:
        f.write(METRICSD_CONFIG)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server("metricsd", [binary, f"--config.file={config}",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 f"--storage.path={os.path.join(directory, 'metricsd-data')}"],
                    url, "/metrics", os.path.join(directory, "metricsd.log"))
    # The store opens on its own thread; the history API answers 503 until it has.
    wait_until(lambda: http("GET", url + "/api/v1/labels", timeout=5)[0] == 200, timeout=600,
               interval=0.5, what="metricsd's history to open")
    return server


def start_prometheus(directory, data):
    config = os.path.join(directory, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  evaluation_interval: 1m\n")
    port = free_port()
    return Server("prometheus", [
        require_tool("prometheus"), f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}", f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=3650d", "--log.level=warn",
        # min = max block duration: no compaction while the benchmark runs.
        "--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h"],
        f"http://127.0.0.1:{port}", "/-/ready", os.path.join(directory, "prometheus.log"))


# --- queries ----------------------------------------------------------------------------------

RANGES = {"1h": 3600, "24h": 86400, "7d": 7 * 86400}
# A rate window that covers each step of a ~250-step range (Grafana's $__rate_interval idea).
RATE_WINDOW = {"1h": "1m", "24h": "10m", "7d": "1h"}


def suite(prefix, span_s, end_s):
    """[(label, params)] of the dashboard queries over `prefix`'s data."""
    out = []
    for name, seconds in RANGES.items():
        if seconds > span_s:
            continue
        window = RATE_WINDOW[name]
        step = max(15, seconds // 250)
        start = end_s - seconds
        ranged = {
            "sum by (code) (rate)": f"sum by (code) (rate({prefix}_requests_total[{window}]))",
            "rate (every series)": f"rate({prefix}_requests_total{{code=\"200\"}}[{window}])",
            "topk(5, rate)": f"topk(5, rate({prefix}_requests_total[{window}]))",
            "histogram_quantile(0.99)":
                f"histogram_quantile(0.99, sum by (le) (rate({prefix}_latency_seconds_bucket"
                f"[{window}])))",
        }
        for label, query in ranged.items():
            out.append((f"{prefix} {name} range {label}",
                        {"path": "/api/v1/query_range", "query": query, "start": start,
                         "end": end_s, "step": step}))
        instant = {
            "sum by (instance) (increase)":
                f"sum by (instance) (increase({prefix}_requests_total[{name}]))",
            "histogram_quantile(0.9) by instance":
                f"histogram_quantile(0.9, sum by (le, instance) (rate("
                f"{prefix}_latency_seconds_bucket[{name}])))",
        }
        for label, query in instant.items():
            out.append((f"{prefix} {name} instant {label}",
                        {"path": "/api/v1/query", "query": query, "time": end_s}))
    return out


def run_query(url, params):
    """(seconds, HTTP status, decoded answer or None)."""
    form = {k: str(v) for k, v in params.items() if k != "path"}
    body = urllib.parse.urlencode(form).encode()
    started = time.perf_counter()
    status, answer = http("POST", url + params["path"], body,
                          {"Content-Type": "application/x-www-form-urlencoded"}, timeout=300)
    elapsed = time.perf_counter() - started
    try:
        return elapsed, status, json.loads(answer)
    except ValueError:
        return elapsed, status, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--days-1k", type=float, default=7)
    parser.add_argument("--hours-10k", type=float, default=24)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", help="work in this directory and keep it")
    args = parser.parse_args()
    promtool = require_tool("promtool")
    directory = args.keep or tempfile.mkdtemp(prefix="metricsd-query-bench-")
    os.makedirs(directory, exist_ok=True)
    end_ms = int(time.time()) // 60 * 60 * 1000 - 60000
    sets = [("b1k", 100, int(args.days_1k * 86400000)),
            ("b10k", 1000, int(args.hours_10k * 3600000))]
    servers = []
    try:
        t0 = time.time()
        om_paths, imports, samples, series = write_data(directory, sets, end_ms)
        print(f"generated {series:,} series, {samples:,} samples in {time.time() - t0:.0f}s",
              flush=True)
        t0 = time.time()
        blocks = os.path.join(directory, "prometheus-data")
        for path in om_paths:
            subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics",
                            "--max-block-duration=54h", path, blocks],
                           check=True, stdout=subprocess.DEVNULL, timeout=7200)
            os.remove(path)
        print(f"promtool built the blocks in {time.time() - t0:.0f}s", flush=True)
        t0 = time.time()
        metricsd = start_metricsd(args.metricsd, directory)
        for path in imports:
            with open(path, "rb") as f:
                status, answer = http("POST", metricsd.url + "/api/v1/import", f.read(),
                                      timeout=1200)
            if status != 204:
                raise SystemExit(f"import of {path} failed: {status} {answer[:300]}")
            os.remove(path)
        metricsd.stop()
        print(f"metricsd imported in {time.time() - t0:.0f}s; restarting it", flush=True)
        metricsd = start_metricsd(args.metricsd, directory)
        servers.append(metricsd)
        prometheus = start_prometheus(directory, blocks)
        servers.append(prometheus)
        end_s = end_ms / 1000
        queries = []
        for prefix, _instances, span_ms in sets:
            queries += suite(prefix, span_ms / 1000, end_s)
        rows = []
        for label, params in queries:
            times = {"metricsd": [], "prometheus": []}
            answers = {}
            for server in (metricsd, prometheus):
                answers[server.name] = run_query(server.url, params)[1:]  # warm-up
            for i in range(args.repeat):
                order = (metricsd, prometheus) if i % 2 == 0 else (prometheus, metricsd)
                for server in order:
                    elapsed, status, count = run_query(server.url, params)
                    times[server.name].append(elapsed)
            ours = statistics.median(times["metricsd"]) * 1000
            theirs = statistics.median(times["prometheus"]) * 1000
            # The same answer from both (promql_compare's rules), or the table says why not.
            note = ""
            if answers["metricsd"][0] != 200:
                note = f"metricsd answered HTTP {answers['metricsd'][0]}"
            else:
                reason = compare(normalize(*answers["metricsd"]),
                                 normalize(*answers["prometheus"]))
                if reason:
                    note = "answers differ: " + reason[:200]
            rows.append((label, params, ours, theirs, note))
            print(f"  {label}: metricsd {ours:.1f} ms, Prometheus {theirs:.1f} ms {note}",
                  flush=True)
        print()
        print(f"{series:,} series, {samples:,} samples at 15 s; median of {args.repeat} runs "
              f"after a warm-up, HTTP round trip with the answer read")
        print()
        print("| query | metricsd ms | Prometheus ms | metricsd/Prometheus |")
        print("| --- | ---: | ---: | ---: |")
        for label, params, ours, theirs, note in rows:
            ratio = f"{ours / theirs:.2f}" if theirs and not note.startswith("metricsd") \
                else "n/a"
            flag = f" ({note})" if note else ""
            print(f"| {label} | {ours:.1f} | {theirs:.1f} | {ratio}{flag} |")
        print()
        print("| process | RSS after start | peak RSS (VmHWM) after the queries |")
        print("| --- | ---: | ---: |")
        for server in servers:
            peak = proc_status(server.proc.pid, "VmHWM")
            print(f"| {server.name} | {server.start_rss / 2**20:.0f} MiB | "
                  f"{peak / 2**20:.0f} MiB |")
        print()
        print("queries:")
        for label, params, *_ in rows:
            extra = (f"start=end-{RANGES[label.split()[1]]}s step={params['step']}s"
                     if "step" in params else "at end")
            print(f"  {label}: {params['query']} ({extra})")
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
