#!/usr/bin/env python3
"""Side by side: node_exporter (Debian 12's 1.5, the same 45 default collectors: COLLECTORS in
tests/e2e/node_exporter_compat_test.py) and metricsd
(host.interval 1s, equal freshness), both scraped once a second on loopback for a bounded
time. Prints CPU seconds used (utime+stime from /proc/PID/stat) and VmRSS of each, and the
ratios, from the same run.

  python3 tests/bench/compare_node_exporter.py --metricsd build/daemon/metricsd [--seconds 30]
"""
import argparse
import http.client
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from procstat import cpu_seconds, rss_bytes, sched_seconds  # noqa: E402


def scrape(conn):
    # One keep-alive connection per target, as Prometheus scrapes.
    conn.request("GET", "/metrics")
    return conn.getresponse().read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    os.environ["METRICSD_BIN"] = os.path.abspath(args.metricsd)
    from harness import Daemon, wait_until  # noqa: E402
    from node_exporter_compat_test import NodeExporter  # noqa: E402

    with NodeExporter() as ne, Daemon("host:\n  interval: 1s\n") as d:
        wait_until(ne.try_scrape, timeout=30, what="node_exporter")
        time.sleep(2)  # both past start-up
        pids = {"node_exporter": ne.proc.pid, "metricsd": d.proc.pid}
        conns = {"node_exporter": http.client.HTTPConnection("127.0.0.1", ne.port, timeout=10),
                 "metricsd": http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)}
        idle_rss = {k: rss_bytes(p) for k, p in pids.items()}
        start_cpu = {k: cpu_seconds(p) for k, p in pids.items()}
        start_sched = {k: sched_seconds(p) for k, p in pids.items()}
        series = {}
        deadline = time.monotonic() + args.seconds
        scrapes = 0
        while time.monotonic() < deadline:
            tick = time.monotonic()
            for name, conn in conns.items():
                body = scrape(conn)
                series[name] = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
            scrapes += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        cpu = {k: cpu_seconds(p) - start_cpu[k] for k, p in pids.items()}
        sched = {k: sched_seconds(p) - start_sched[k] for k, p in pids.items()}
        rss = {k: rss_bytes(p) for k, p in pids.items()}

    print(f"{scrapes} scrapes each, once a second, host.interval 1s")
    print(f"{'':15} {'series':>7} {'CPU ms/scrape':>14} {'(schedstat)':>12} "
          f"{'RSS idle MiB':>13} {'RSS end MiB':>12}")
    for name in ("node_exporter", "metricsd"):
        print(f"{name:15} {series[name]:>7} {1000 * cpu[name] / scrapes:>14.2f} "
              f"{1000 * sched[name] / scrapes:>12.2f} "
              f"{idle_rss[name] / 2**20:>13.1f} {rss[name] / 2**20:>12.1f}")
    print(f"metricsd/node_exporter: CPU {cpu['metricsd'] / cpu['node_exporter']:.2f} "
          f"(utime+stime), {sched['metricsd'] / sched['node_exporter']:.2f} (schedstat); "
          f"RSS {rss['metricsd'] / rss['node_exporter']:.2f}")


if __name__ == "__main__":
    main()
