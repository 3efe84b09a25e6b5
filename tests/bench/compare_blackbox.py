#!/usr/bin/env python3
"""HTTP probes side by side, on loopback, bounded in time: N targets on a local server
(tests/support/fake_ao_server) probed every second for `--seconds`, by metricsd (N `http`
targets, interval 1s) and by blackbox_exporter (Debian's, module http_2xx) driven through
/probe?target=... at the same rate with 10 concurrent requests. Prints CPU seconds (schedstat,
every thread) per 1000 probes for each and the ratio, from the same run.

  python3 tests/bench/compare_blackbox.py --metricsd build/daemon/metricsd \
      --fake build/tests/fake_ao_server [--targets 1000] [--seconds 30]
"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from procstat import rss_bytes, sched_seconds  # noqa: E402


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric_sum(port, family, must_contain=""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    total = 0.0
    for line in conn.getresponse().read().decode().splitlines():
        if (line.startswith(family + "{") or line.startswith(family + " ")) and must_contain in line:
            total += float(line.rsplit(" ", 1)[1])
    conn.close()
    return total


def run_metricsd(args, fake_port):
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "metricsd.yaml")
    with open(config, "w") as f:
        f.write("host: {enabled: false}\nstatsd: {enabled: false}\nprobes:\n"
                "  defaults: {interval: 1s, timeout: 900ms}\n  targets:\n")
        for i in range(args.targets):
            f.write(f"    - {{type: http, name: t{i}, url: 'http://127.0.0.1:{fake_port}/ok?i={i}'}}\n")
    port = free_port()
    proc = subprocess.Popen([args.metricsd, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # every target has started (first runs are spread over 1 s)
        cpu0, probes0 = sched_seconds(proc.pid), metric_sum(port, "metricsd_probes_total")
        time.sleep(args.seconds)
        cpu1, probes1 = sched_seconds(proc.pid), metric_sum(port, "metricsd_probes_total")
        time.sleep(1.5)  # probes in flight at the end finish, then one consistent count
        failed = (metric_sum(port, "metricsd_probes_total") -
                  metric_sum(port, "metricsd_probes_total", 'outcome="ok"'))
        return {"cpu": cpu1 - cpu0, "probes": probes1 - probes0, "failed": failed, "rss": rss_bytes(proc.pid)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def run_blackbox(args, fake_port):
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "blackbox.yml")
    with open(config, "w") as f:
        f.write("modules:\n  http_2xx:\n    prober: http\n    timeout: 900ms\n"
                "    http:\n      preferred_ip_protocol: ip4\n")
    port = free_port()
    proc = subprocess.Popen([args.blackbox, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
                            stderr=subprocess.DEVNULL)
    done = {"probes": 0, "failed": 0}
    lock = threading.Lock()
    stop = threading.Event()
    rate = args.targets  # probes per second, as metricsd does

    def worker(index):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = index
        start = time.monotonic()
        sent = 0
        while not stop.is_set():
            # Each of 10 workers takes a tenth of the rate, on its own schedule.
            due = (time.monotonic() - start) * rate / 10
            if sent >= due:
                time.sleep(0.001)
                continue
            target = f"http://127.0.0.1:{fake_port}/ok?i={n % args.targets}"
            conn.request("GET", f"/probe?module=http_2xx&target={target}")
            body = conn.getresponse().read()
            sent += 1
            n += 10
            with lock:
                done["probes"] += 1
                if b"probe_success 1" not in body:
                    done["failed"] += 1
        conn.close()

    try:
        time.sleep(1.5)
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        time.sleep(2)
        cpu0, probes0 = sched_seconds(proc.pid), done["probes"]
        time.sleep(args.seconds)
        cpu1, probes1 = sched_seconds(proc.pid), done["probes"]
        stop.set()
        for t in threads:
            t.join()
        return {"cpu": cpu1 - cpu0, "probes": probes1 - probes0, "failed": done["failed"],
                "rss": rss_bytes(proc.pid)}
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--blackbox", default=shutil.which("prometheus-blackbox-exporter") or "")
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    fake = subprocess.Popen([args.fake], stdout=subprocess.PIPE, text=True)
    fake_port = int(fake.stdout.readline().split()[1])
    try:
        m = run_metricsd(args, fake_port)
        per_m = 1000 * m["cpu"] / max(m["probes"], 1)
        print(f"metricsd: {m['probes']:.0f} probes in {args.seconds}s ({m['probes'] / args.seconds:.0f}/s, "
              f"{m['failed']:.0f} failed since start), "
              f"{per_m:.3f} CPU s per 1000 probes ({per_m:.3f} ms per probe), RSS {m['rss'] / 2**20:.1f} MiB")
        if args.blackbox:
            b = run_blackbox(args, fake_port)
            per_b = 1000 * b["cpu"] / max(b["probes"], 1)
            print(f"blackbox_exporter: {b['probes']} probes in {args.seconds}s ({b['probes'] / args.seconds:.0f}/s, "
                  f"{b['failed']} failed), {per_b:.3f} CPU s per 1000 probes ({per_b:.3f} ms per probe), "
                  f"RSS {b['rss'] / 2**20:.1f} MiB")
            print(f"ratio metricsd / blackbox_exporter CPU per probe: {per_m / per_b:.2f}")
    finally:
        fake.kill()
        fake.wait()


if __name__ == "__main__":
    main()
