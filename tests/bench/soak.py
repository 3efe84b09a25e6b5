#!/usr/bin/env python3
"""Soak: metricsd under a steady mix of everything it does, for a fixed time (default 10 min).

Mixed load, all on loopback, every loop bounded by the run's deadline:
  - StatsD over UDP: counters, gauges, timers, histograms, sets, with DogStatsD tags, a bounded
    rotating set of names (churn without growth), ~2,000 lines/s;
  - StatsD over TCP: short connections opened, written and closed (a storm every 30 s);
  - POST /api/v1/statsd batches, as the browser UI sends them;
  - scrapes of /metrics every 250 ms, every other one gzip, plus /api/v1/targets and /-/healthy;
  - HTTP probes of a local server (one answering, one slow) every second;
  - a reload (SIGHUP) every 20 s, alternating between two configs (a probe target added and
    removed).
RSS, open fds and threads are sampled once a second; the summary compares the warm-up (2 min)
with the rest (max, and the least-squares slope of RSS after warm-up in KiB per minute).

  python3 tests/bench/soak.py --metricsd build/daemon/metricsd [--seconds 600] [--csv out.csv]

A benchmark, not a test: it prints figures for the README; exit status 1 only when the daemon
died or stopped answering.
"""
import argparse
import gzip
import http.client
import http.server
import os
import random
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
from procstat import cpu_seconds, rss_bytes  # noqa: E402

CONFIG = """
web: {{listen_address: "127.0.0.1:0", max_connections: 64}}
host: {{interval: 5s}}
statsd:
  max_series: 20000
  # Timers are summaries whose windows keep observations for max_age (statsd_exporter's
  # default 10m): 1m lets them fill within the warm-up, so what follows shows growth, not fill.
  defaults: {{summary_options: {{max_age: 1m}}}}
probes:
  defaults: {{interval: 1s, timeout: 500ms}}
  targets:
    - {{name: ok, type: http, url: "http://127.0.0.1:{port}/ok"}}
    - {{name: slow, type: http, url: "http://127.0.0.1:{port}/slow"}}
{extra}
"""
EXTRA_TARGET = '    - {{name: tcp, type: tcp, address: "127.0.0.1:{port}"}}'


class Target(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/slow":
            time.sleep(0.3)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def statsd_udp(port, stop):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rng = random.Random(1)
    kinds = ["c", "g", "ms", "h", "s"]
    while not stop.is_set():
        lines = []
        for _ in range(20):
            name = f"soak.metric_{rng.randrange(2000)}"
            kind = rng.choice(kinds)
            lines.append(f"{name}:{rng.random() * 100:.3f}|{kind}|#zone:z{rng.randrange(5)}")
        try:
            sock.sendto("\n".join(lines).encode(), ("127.0.0.1", port))
        except OSError:
            pass
        time.sleep(0.01)  # ~100 packets of 20 lines a second
    sock.close()


def statsd_tcp(port, stop):
    while not stop.wait(30):
        conns = []
        for i in range(200):  # a storm of short connections
            try:
                c = socket.create_connection(("127.0.0.1", port), timeout=2)
                c.sendall(f"soak.tcp_{i % 50}:1|c\n".encode())
                conns.append(c)
            except OSError:
                break
        for c in conns:
            c.close()


def web_load(daemon, stop, failures):
    n = 0
    while not stop.wait(0.25):
        n += 1
        try:
            headers = {"Accept-Encoding": "gzip"} if n % 2 else {}
            status, got, body = daemon.request("GET", "/metrics", headers=headers, timeout=10)
            if got.get("content-encoding") == "gzip":
                gzip.decompress(body)
            if status != 200:
                failures.append(f"/metrics {status}")
            if n % 4 == 0:
                daemon.request("GET", "/api/v1/targets", timeout=10)
                daemon.request("GET", "/-/healthy", timeout=10)
            if n % 8 == 0:
                lines = "\n".join(f"soak.ui_{i}:{n % 100}|ms" for i in range(20))
                daemon.request("POST", "/api/v1/statsd", body=lines.encode(), timeout=10,
                               headers={"Content-Type": "text/plain"})
        except (OSError, http.client.HTTPException) as e:
            failures.append(f"request failed: {e}")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def slope_per_minute(points):
    """Least-squares slope of (t seconds, value) points, per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    den = sum((t - mt) ** 2 for t, _ in points)
    return 60 * sum((t - mt) * (v - mv) for t, v in points) / den if den else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=120)
    parser.add_argument("--csv")
    args = parser.parse_args()
    harness.BIN = os.path.abspath(args.metricsd)

    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    port = target.server_address[1]
    configs = [CONFIG.format(port=port, extra=""),
               CONFIG.format(port=port, extra=EXTRA_TARGET.format(port=port))]

    failures = []
    samples = []  # (t, rss bytes, fds, threads, cpu seconds)
    stop = threading.Event()
    with harness.Daemon(configs[0]) as daemon:
        pid = daemon.proc.pid
        udp_port = int(daemon.statsd["udp"].rsplit(":", 1)[1])
        tcp_port = int(daemon.statsd["tcp"].rsplit(":", 1)[1])
        workers = [threading.Thread(target=statsd_udp, args=(udp_port, stop)),
                   threading.Thread(target=statsd_tcp, args=(tcp_port, stop)),
                   threading.Thread(target=web_load, args=(daemon, stop, failures))]
        for w in workers:
            w.start()
        start = time.monotonic()
        reloads = 0
        try:
            while time.monotonic() - start < args.seconds:
                time.sleep(1)
                t = time.monotonic() - start
                if daemon.proc.poll() is not None:
                    failures.append(f"metricsd exited with {daemon.proc.returncode}")
                    break
                samples.append((t, rss_bytes(pid), fd_count(pid), threads(pid), cpu_seconds(pid)))
                if int(t) % 20 == 0:
                    reloads += 1
                    daemon.write_config(configs[reloads % 2])
                    daemon.send_signal(signal.SIGHUP)
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=40)
            target.shutdown()
        reload_failures = sum("config reload failed" in line for line in daemon.lines)

    if args.csv:
        with open(args.csv, "w") as f:
            f.write("seconds,rss_bytes,fds,threads,cpu_seconds\n")
            for row in samples:
                f.write(",".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + "\n")

    warm = [s for s in samples if s[0] <= args.warmup]
    rest = [s for s in samples if s[0] > args.warmup]
    if not warm or not rest:
        print("too short a run to summarise", file=sys.stderr)
        return 1
    mib = 1 / (1 << 20)
    cpu_rate = (rest[-1][4] - rest[0][4]) / (rest[-1][0] - rest[0][0])
    print(f"soak: {args.seconds} s, {len(samples)} samples, {reloads} reloads "
          f"({reload_failures} failed), {len(failures)} request failures")
    print(f"RSS MiB: warm-up max {max(s[1] for s in warm) * mib:.1f}, after warm-up "
          f"min {min(s[1] for s in rest) * mib:.1f} max {max(s[1] for s in rest) * mib:.1f}, "
          f"slope {slope_per_minute([(s[0], s[1] / 1024) for s in rest]):+.1f} KiB/min")
    print(f"fds: after warm-up min {min(s[2] for s in rest)} max {max(s[2] for s in rest)}; "
          f"threads: min {min(s[3] for s in rest)} max {max(s[3] for s in rest)}; "
          f"CPU after warm-up {cpu_rate * 100:.1f}% of one core")
    for f in failures[:10]:
        print("failure:", f)
    return 1 if any("exited" in f for f in failures) or len(failures) > len(samples) // 10 else 0


if __name__ == "__main__":
    sys.exit(main())
