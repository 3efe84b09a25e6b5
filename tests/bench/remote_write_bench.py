#!/usr/bin/env python3
"""CPU per 100k samples sent by remote_write: metricsd (from its history store) vs
Prometheus 2.42 in agent mode (`--enable-feature=agent`) shipping the same series by
scraping metricsd's /metrics, both to one VictoriaMetrics, in the same run (issue 16; goal:
metricsd ≤ 0.5x).

Set-up: one metricsd holding --series StatsD gauges (values re-sent every 2 s) plus its own
series, sampled into history every --interval; a Prometheus agent scraping that metricsd at
the same interval and remote-writing everything it scrapes; both with Prometheus's default
queue_config (batch_send_deadline 5 s, max_samples_per_send 500).

Two measured phases of --seconds each, after --warmup:
  1. metricsd without remote_write (the agent scrapes and sends);
  2. metricsd with remote_write (reloaded in), the agent still scraping and sending.
metricsd's remote_write cost is its CPU in phase 2 minus phase 1 (the same sampling, StatsD
and scrapes served in both), divided by the samples it sent in phase 2; the agent's cost is
its CPU over both phases divided by the samples it sent (prometheus_remote_storage_samples_total).
metricsd's whole CPU in phase 2 (sampling, StatsD, serving the agent's scrapes and
remote_write) per 100k samples sent is printed as well, for scale. CPU is utime + stime from
/proc/PID/stat (tests/support/procstat.py).

  python3 tests/bench/remote_write_bench.py --metricsd build/daemon/metricsd \\
      [--series 10000] [--interval 1] [--seconds 30] [--warmup 15] [--json]
"""
import argparse
import glob
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import harness  # noqa: E402
from harness import Daemon, free_port, parse_exposition, require_tool, stop_process, wait_until  # noqa: E402
from procstat import cpu_seconds  # noqa: E402


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return parse_exposition(response.read().decode("utf-8", "replace"))


def metric(samples, prefix):
    return sum(v for k, v in samples.items() if k == prefix or k.startswith(prefix + "{"))


def send_gauges(port, count, stop, seed=7):
    rng = random.Random(seed)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        while not stop.is_set():
            lines = [f"rwbench.gauge{i}:{rng.randint(0, 100000) / 10}|g".encode() for i in range(count)]
            for i in range(0, len(lines), 40):
                try:
                    sock.sendto(b"\n".join(lines[i:i + 40]), ("127.0.0.1", port))
                except OSError:
                    pass
                if i % 2000 == 0:
                    time.sleep(0.001)  # do not overrun the socket buffer
            stop.wait(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--series", type=int, default=10000)
    parser.add_argument("--interval", type=int, default=1, help="seconds, sampling and scrape")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    harness.BIN = os.path.abspath(args.metricsd)

    work = tempfile.TemporaryDirectory(prefix="metricsd-rw-bench-")
    vm_port = free_port()
    vm_log = open(os.path.join(work.name, "vm.log"), "w")
    vm = subprocess.Popen([require_tool("victoria-metrics"), f"-httpListenAddr=127.0.0.1:{vm_port}",
                           f"-storageDataPath={work.name}/vm", "-loggerLevel=WARN"],
                          stdin=subprocess.DEVNULL, stdout=vm_log, stderr=subprocess.STDOUT)
    agent = None
    stop = threading.Event()
    try:
        wait_until(lambda: harness.url_request("GET", f"http://127.0.0.1:{vm_port}/health")[0] == 200,
                   timeout=30, what="VictoriaMetrics")
        base = f"history: {{interval: {args.interval}s}}\n"
        with Daemon(base) as daemon:
            statsd_port = int(daemon.statsd["udp"].rpartition(":")[2])
            sender = threading.Thread(target=send_gauges, args=(statsd_port, args.series, stop), daemon=True)
            sender.start()
            metrics_url = f"http://127.0.0.1:{daemon.port}/metrics"
            wait_until(lambda: sum(1 for k in scrape(metrics_url) if k.startswith("rwbench_gauge")) >= args.series,
                       timeout=60, interval=0.5, what="the StatsD gauges")
            series = sum(1 for _ in scrape(metrics_url))

            agent_port = free_port()
            agent_config = os.path.join(work.name, "agent.yml")
            with open(agent_config, "w") as f:
                f.write(f"global:\n  scrape_interval: {args.interval}s\n  scrape_timeout: {args.interval}s\n"
                        "scrape_configs:\n  - job_name: metricsd\n"
                        f"    static_configs:\n      - targets: ['127.0.0.1:{daemon.port}']\n"
                        f"remote_write:\n  - url: http://127.0.0.1:{vm_port}/api/v1/write\n")
            agent_log = open(os.path.join(work.name, "agent.log"), "w")
            agent = subprocess.Popen(
                [require_tool("prometheus"), "--enable-feature=agent", f"--config.file={agent_config}",
                 f"--storage.agent.path={work.name}/agent", f"--web.listen-address=127.0.0.1:{agent_port}",
                 "--log.level=warn"],
                stdin=subprocess.DEVNULL, stdout=agent_log, stderr=subprocess.STDOUT)
            agent_metrics = f"http://127.0.0.1:{agent_port}/metrics"
            wait_until(lambda: harness.url_request("GET", f"http://127.0.0.1:{agent_port}/-/ready")[0] == 200,
                       timeout=30, what="the Prometheus agent")
            time.sleep(args.warmup)

            def agent_sent():
                return metric(scrape(agent_metrics), "prometheus_remote_storage_samples_total")

            # Phase 1: metricsd without remote_write.
            m0, a0, s0, t0 = cpu_seconds(daemon.proc.pid), cpu_seconds(agent.pid), agent_sent(), time.monotonic()
            time.sleep(args.seconds)
            m1, a1, s1, t1 = cpu_seconds(daemon.proc.pid), cpu_seconds(agent.pid), agent_sent(), time.monotonic()

            # Phase 2: with remote_write (default queue_config), reloaded in.
            daemon.write_config(base + f"remote_write:\n  - url: http://127.0.0.1:{vm_port}/api/v1/write\n"
                                "    name: bench\n")
            daemon.send_signal(signal.SIGHUP)
            # metricsd sends a slice every batch_send_deadline (5 s): phase 2 runs from the end
            # of one slice to the end of another (its position file is rewritten then), so the
            # samples counted are exactly those whose work the CPU time covers.
            position_file = []

            def slice_done(after):
                if not position_file:
                    found = glob.glob(os.path.join(daemon.dir.name, "**", "remote_write", "bench.json"),
                                      recursive=True)
                    if not found:
                        return False
                    position_file.append(found[0])
                try:
                    return os.stat(position_file[0]).st_mtime_ns > after
                except OSError:
                    return False

            wait_until(lambda: slice_done(0), timeout=60, interval=0.05, what="metricsd's first slice")
            mark = os.stat(position_file[0]).st_mtime_ns
            wait_until(lambda: slice_done(mark), timeout=60, interval=0.02, what="a slice")
            m2, a2, s2, t2 = cpu_seconds(daemon.proc.pid), cpu_seconds(agent.pid), agent_sent(), time.monotonic()
            at2 = scrape(metrics_url)
            r2 = metric(at2, "metricsd_remote_storage_samples_total")
            time.sleep(max(args.seconds - 2.5, 1))
            mark = os.stat(position_file[0]).st_mtime_ns
            wait_until(lambda: slice_done(mark), timeout=60, interval=0.02, what="a slice")
            m3, a3, s3, t3 = cpu_seconds(daemon.proc.pid), cpu_seconds(agent.pid), agent_sent(), time.monotonic()
            at3 = scrape(metrics_url)
            r3 = metric(at3, "metricsd_remote_storage_samples_total")
            failed = metric(at3, "metricsd_remote_storage_samples_failed_total")
            read_seconds = (metric(at3, "metricsd_remote_storage_read_seconds_total") -
                            metric(at2, "metricsd_remote_storage_read_seconds_total"))
            build_seconds = (metric(at3, "metricsd_remote_storage_build_seconds_total") -
                             metric(at2, "metricsd_remote_storage_build_seconds_total"))
            stop.set()
            sender.join(10)

        per = 100000.0
        metricsd_samples = r3 - r2
        agent_samples = (s1 - s0) + (s3 - s2)
        # Phase 1's CPU scaled to phase 2's length (which ends on a slice boundary).
        metricsd_rw_cpu = (m3 - m2) - (m1 - m0) * (t3 - t2) / (t1 - t0)
        agent_cpu = (a1 - a0) + (a3 - a2)
        result = {
            "series_exposed": series,
            "interval_seconds": args.interval,
            "phase1_seconds": t1 - t0,
            "phase2_seconds": t3 - t2,
            "metricsd_samples_sent": metricsd_samples,
            "metricsd_samples_failed": failed,
            "metricsd_cpu_phase1_seconds": m1 - m0,
            "metricsd_cpu_phase2_seconds": m3 - m2,
            "metricsd_remote_write_cpu_per_100k": metricsd_rw_cpu / metricsd_samples * per if metricsd_samples else None,
            "metricsd_whole_cpu_per_100k": (m3 - m2) / metricsd_samples * per if metricsd_samples else None,
            # Wall time in phase 2 (one queue reads on one thread at a time).
            "metricsd_store_read_seconds_per_100k": read_seconds / metricsd_samples * per if metricsd_samples else None,
            "metricsd_build_seconds_per_100k": build_seconds / metricsd_samples * per if metricsd_samples else None,
            "agent_samples_sent": agent_samples,
            "agent_cpu_seconds": agent_cpu,
            "agent_cpu_per_100k": agent_cpu / agent_samples * per if agent_samples else None,
        }
        if result["metricsd_remote_write_cpu_per_100k"] is not None and result["agent_cpu_per_100k"]:
            result["ratio_remote_write"] = result["metricsd_remote_write_cpu_per_100k"] / result["agent_cpu_per_100k"]
            result["ratio_whole"] = result["metricsd_whole_cpu_per_100k"] / result["agent_cpu_per_100k"]
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(f"series exposed by metricsd: {series}, interval {args.interval}s, "
                  f"phases {t1 - t0:.1f}s and {t3 - t2:.1f}s")
            print(f"metricsd: {metricsd_samples:.0f} samples sent ({failed:.0f} failed), CPU "
                  f"{m1 - m0:.2f}s without / {m3 - m2:.2f}s with remote_write")
            print(f"  remote_write CPU per 100k samples: {result['metricsd_remote_write_cpu_per_100k']:.3f}s")
            print(f"  whole daemon CPU per 100k samples: {result['metricsd_whole_cpu_per_100k']:.3f}s")
            print(f"  of which reading the history store (Store::RawSamples, wall): "
                  f"{result['metricsd_store_read_seconds_per_100k']:.3f}s, relabelling and batching: "
                  f"{result['metricsd_build_seconds_per_100k']:.3f}s")
            print(f"prometheus agent: {agent_samples:.0f} samples sent, CPU {agent_cpu:.2f}s, "
                  f"per 100k samples: {result['agent_cpu_per_100k']:.3f}s")
            if "ratio_remote_write" in result:
                print(f"ratio metricsd/agent: remote_write {result['ratio_remote_write']:.2f}x "
                      f"(goal <= 0.5x), whole daemon {result['ratio_whole']:.2f}x")
    finally:
        stop.set()
        stop_process(agent)
        stop_process(vm)
        vm_log.close()
        work.cleanup()


if __name__ == "__main__":
    main()
