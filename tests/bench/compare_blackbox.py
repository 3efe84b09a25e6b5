#!/usr/bin/env python3
"""HTTP probes side by side, on loopback, bounded in time: N targets on a local server probed
every second for `--seconds`, by metricsd (N `http` targets, interval 1s) and by
blackbox_exporter (Debian's, module http_2xx) driven through /probe?target=... at the same rate
with 10 concurrent requests. Prints CPU seconds (schedstat, every thread) per 1000 probes for
each and the ratio, from the same run. Only the probers' CPU is measured, not the server's.

  python3 tests/bench/compare_blackbox.py --metricsd build/daemon/metricsd \
      --fake build/tests/fake_ao_server [--targets 1000] [--seconds 30]
  python3 tests/bench/compare_blackbox.py --metricsd build/daemon/metricsd \
      --server plain --targets 200 [--seconds 30]

--server fake (the default) probes tests/support/fake_ao_server's /ok. --server plain is issue
17's setup: a minimal HTTP/1.1 server (asyncio, in a child process: this script with --serve)
that answers every request 200 with a 3-byte body and keeps connections alive unless asked to
close. It counts accepted connections and requests, so the bench shows that each prober opens a
new connection for each probe (connections == requests == probes), the issue's "new connection
each probe"; a prober that reused connections would show fewer connections than requests.
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


def metric_sums(port, family, must_contain=""):
    """(the sum of `family`'s samples, the sum of those whose line has `must_contain`), from
    one scrape."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    total = matching = 0.0
    for line in conn.getresponse().read().decode().splitlines():
        if line.startswith(family + "{") or line.startswith(family + " "):
            value = float(line.rsplit(" ", 1)[1])
            total += value
            if must_contain in line:
                matching += value
    conn.close()
    return total, matching


def metric_sum(port, family):
    return metric_sums(port, family)[0]


class PlainServer:
    """The --server plain child: its port, and its counts read over a pipe (a control request
    over HTTP would itself be a connection)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])

    def counts(self):
        """(connections accepted, requests answered) since the server started."""
        self.proc.stdin.write("counts\n")
        self.proc.stdin.flush()
        connections, requests = self.proc.stdout.readline().split()
        return int(connections), int(requests)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def serve_plain():
    """Answers every request on 127.0.0.1 (ephemeral port, printed as "port N") with 200 and
    "ok\n"; HTTP/1.1 keep-alive unless the request says Connection: close. A line on stdin
    prints "CONNECTIONS REQUESTS"."""
    import asyncio
    counts = {"connections": 0, "requests": 0}
    response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Content-Length: 3\r\n\r\nok\n")

    async def handle(reader, writer):
        counts["connections"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                counts["requests"] += 1
                writer.write(response)
                await writer.drain()
                request_line = head.split(b"\r\n", 1)[0]
                if b"\r\nconnection: close" in head.lower() or request_line.endswith(b"HTTP/1.0"):
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        print("port", server.sockets[0].getsockname()[1], flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            print(counts["connections"], counts["requests"], flush=True)

    asyncio.run(main())


def run_metricsd(args, fake_port, server=None):
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
        seen0 = server.counts() if server else None
        time.sleep(args.seconds)
        cpu1, probes1 = sched_seconds(proc.pid), metric_sum(port, "metricsd_probes_total")
        seen1 = server.counts() if server else None
        time.sleep(1.5)  # probes in flight at the end finish, then one consistent count
        total, ok = metric_sums(port, "metricsd_probes_total", 'outcome="ok"')
        failed = total - ok
        return {"cpu": cpu1 - cpu0, "probes": probes1 - probes0, "failed": failed, "rss": rss_bytes(proc.pid),
                "seen": seen_between(seen0, seen1)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def seen_between(before, after):
    """What the server saw between two counts: (connections, requests), or None."""
    if before is None:
        return None
    return after[0] - before[0], after[1] - before[1]


def seen_text(seen):
    if seen is None:
        return ""
    return f"; the server saw {seen[0]} connections, {seen[1]} requests"


def run_blackbox(args, fake_port, server=None):
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
        seen0 = server.counts() if server else None
        time.sleep(args.seconds)
        cpu1, probes1 = sched_seconds(proc.pid), done["probes"]
        seen1 = server.counts() if server else None
        stop.set()
        for t in threads:
            t.join()
        return {"cpu": cpu1 - cpu0, "probes": probes1 - probes0, "failed": done["failed"],
                "rss": rss_bytes(proc.pid), "seen": seen_between(seen0, seen1)}
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    if sys.argv[1:] == ["--serve"]:
        return serve_plain()
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--server", choices=["fake", "plain"], default="fake")
    parser.add_argument("--fake", help="tests/support/fake_ao_server (for --server fake)")
    parser.add_argument("--blackbox", default=shutil.which("prometheus-blackbox-exporter") or "")
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    server = fake = None
    if args.server == "plain":
        server = PlainServer()
        fake_port = server.port
    else:
        if not args.fake:
            parser.error("--server fake needs --fake")
        fake = subprocess.Popen([args.fake], stdout=subprocess.PIPE, text=True)
        fake_port = int(fake.stdout.readline().split()[1])
    try:
        m = run_metricsd(args, fake_port, server)
        per_m = 1000 * m["cpu"] / max(m["probes"], 1)
        print(f"metricsd: {m['probes']:.0f} probes in {args.seconds}s ({m['probes'] / args.seconds:.0f}/s, "
              f"{m['failed']:.0f} failed since start), "
              f"{per_m:.3f} CPU s per 1000 probes ({per_m:.3f} ms per probe), RSS {m['rss'] / 2**20:.1f} MiB"
              f"{seen_text(m['seen'])}")
        if args.blackbox:
            b = run_blackbox(args, fake_port, server)
            per_b = 1000 * b["cpu"] / max(b["probes"], 1)
            print(f"blackbox_exporter: {b['probes']} probes in {args.seconds}s ({b['probes'] / args.seconds:.0f}/s, "
                  f"{b['failed']} failed), {per_b:.3f} CPU s per 1000 probes ({per_b:.3f} ms per probe), "
                  f"RSS {b['rss'] / 2**20:.1f} MiB{seen_text(b['seen'])}")
            print(f"ratio metricsd / blackbox_exporter CPU per probe: {per_m / per_b:.2f}")
    finally:
        if server:
            server.close()
        if fake:
            fake.kill()
            fake.wait()


if __name__ == "__main__":
    main()
