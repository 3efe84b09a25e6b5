#!/usr/bin/env python3
"""StatsD load, side by side in one run, on loopback only, every load bounded by time:

  (a) the null receiver (statsd_load sink: recvmmsg, count lines) with one socket and thread,
      fed flat out: the limit (as in the earlier runs; one sender's datagrams reach one
      SO_REUSEPORT socket anyway);
  (b) metricsd's loss at 90% of that rate (lines it counted vs lines sent);
  (c) CPU seconds (utime+stime, ns resolution from schedstat, idle baseline subtracted) per
      million lines at 100,000 lines/s, for metricsd and for Netdata's StatsD server;
  (d) the same CPU figure for the null receiver (same batching as metricsd's receivers): the
      floor any receiver pays for the syscalls;
  (e) RSS after 100,000 distinct names: metricsd with the history store off (StatsD's own
      cost) and with the default config (history keeps every series), and Netdata.

CPU figures are medians of --repeat alternating rounds of metricsd, null receiver and Netdata
measurements (3 by default); each ratio is the median of the rounds' own ratios, and against
the null receiver also the ratio of the medians. The sender runs on CPU 0 and every receiver on
CPU 1 (see PIN; --no-pin for the scheduler's placement).

For 1-line and 20-line packets, counters, gauges and timers, with and without tags.

  python3 tests/bench/compare_statsd.py --metricsd build/daemon/metricsd \
      --load build/tests/bench/statsd_load [--seconds 5] [--quick] [--shapes 20:c,1:c] [--repeat 3] [--no-rss] [--rounds]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from procstat import rss_bytes, sched_seconds  # noqa: E402
from harness import stop_process  # noqa: E402

NETDATA_CONF = """[global]
    run as user = {user}
    hostname = bench
    memory mode = ram
[directories]
    config = {dir}/etc
    stock config = /usr/lib/netdata/conf.d
    cache = {dir}/cache
    lib = {dir}/lib
    log = {dir}/log
    run = {dir}/run
    plugins = /usr/lib/netdata/plugins.d
[logs]
    debug log = none
    error log = none
    access log = none
[web]
    mode = none
[ml]
    enabled = no
[health]
    enabled = no
[registry]
    enabled = no
[plugins]
    enable running new plugins = no
    proc = no
    diskspace = no
    cgroups = no
    tc = no
    idlejitter = no
    checks = no
    apps = no
    python.d = no
    charts.d = no
    go.d = no
    ebpf = no
    perf = no
    slabinfo = no
    timex = no
    statsd = yes
[statsd]
    enabled = yes
    bind to = udp:127.0.0.1:{port}
"""


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Unless --no-pin: the sender on one CPU (0 here), every receiver (metricsd, the null receiver,
# Netdata; all their threads) on another (1 here). Unpinned, where the scheduler puts a
# receiver beside the sender decides the kernel's share of a datagram (on the sender's CPU no
# IPI frees its buffer and the copy is from a warm cache; on the other, both cost), and that
# moved a 1-line round's figure by up to 2x.
PIN = {"sender": None, "receiver": None}


def pinned(role):
    cpus = PIN[role]
    return (lambda: os.sched_setaffinity(0, cpus)) if cpus else None


def load(binary, *args, timeout=120):
    run = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                         preexec_fn=pinned("sender"))
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    return json.loads(run.stdout.strip().splitlines()[-1])


class Metricsd:
    def __init__(self, binary, port, extra=""):
        self.dir = tempfile.TemporaryDirectory(prefix="metricsd-bench-")
        config = os.path.join(self.dir.name, "metricsd.yaml")
        with open(config, "w") as f:
            f.write("host: {enabled: false}\nstatsd:\n  listeners: [{udp: 127.0.0.1:%d}]\n" % port + extra)
        # Its working directory is its own: the history store's data/ goes there.
        self.proc = subprocess.Popen([os.path.abspath(binary), f"--config.file={config}",
                                      "--web.listen-address=127.0.0.1:0"],
                                     stderr=subprocess.PIPE, text=True, cwd=self.dir.name,
                                     preexec_fn=pinned("receiver"))
        for line in self.proc.stderr:
            if "msg=listening" in line:
                self.web_port = int(line.rsplit(":", 1)[1])
                break
        self.pid = self.proc.pid

    def samples(self):
        import urllib.request
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/metrics", timeout=30).read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, value = line.rsplit(" ", 1)
                out[key] = float(value)
        return out

    def lines_counted(self):
        return self.samples().get("metricsd_statsd_lines_total", 0)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.dir.cleanup()


class Netdata:
    def __init__(self, binary, port):
        self.dir = tempfile.mkdtemp(prefix="netdata-bench-")
        for sub in ("etc", "cache", "lib", "log", "run"):
            os.makedirs(os.path.join(self.dir, sub))
        conf = os.path.join(self.dir, "netdata.conf")
        user = "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
        with open(conf, "w") as f:
            f.write(NETDATA_CONF.format(dir=self.dir, port=port, user=user))
        self.proc = subprocess.Popen([binary, "-D", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=pinned("receiver"))
        self.pid = self.proc.pid
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # up when its StatsD socket is bound
            if f":{port:04X} " in open("/proc/net/udp").read():
                return
            time.sleep(0.2)
        raise RuntimeError("netdata did not bind its StatsD port")

    def stop(self):
        stop_process(self.proc, timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)


class Sink:
    """The null receiver, up long enough for cpu_per_million's idle and loaded periods."""
    seconds = 5

    def __init__(self, binary, port):
        self.proc = subprocess.Popen([binary, "sink", "--port", str(port), "--seconds",
                                      str(2 * Sink.seconds + 5)], stdout=subprocess.PIPE, text=True,
                                     preexec_fn=pinned("receiver"))
        self.proc.stdout.readline()  # ready
        self.pid = self.proc.pid

    def stop(self):
        stop_process(self.proc, timeout=15)


def wait_settled(read, timeout=10):
    """The value once it stops changing (the receiver drained its socket)."""
    last, deadline = read(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = read()
        if now == last:
            return now
        last = now
    return last


def settle(pid, timeout=15):
    """Waits out start-up work (a server's first second can cost more CPU than the whole
    load), which the idle baseline would otherwise subtract: until half a second uses < 5 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        start = sched_seconds(pid)
        time.sleep(0.5)
        if sched_seconds(pid) - start < 0.005:
            return


def cpu_per_million(server, load_bin, port, seconds, shape):
    settle(server.pid)
    idle_start = sched_seconds(server.pid)
    time.sleep(seconds)
    idle = sched_seconds(server.pid) - idle_start
    start = sched_seconds(server.pid)
    sent = load(load_bin, "send", "--port", port, "--rate", 100000, "--seconds", seconds, *shape)
    time.sleep(0.5)
    used = sched_seconds(server.pid) - start - idle * (seconds + 0.5) / seconds
    return max(used, 0) / (sent["lines_sent"] / 1e6)


def cpu_on_fresh(server_class, binary, args, shape):
    """cpu_per_million on a new server process, stopped afterwards."""
    port = free_udp_port()
    server = server_class(binary, port)
    try:
        return cpu_per_million(server, args.load, port, args.seconds, shape)
    finally:
        server.stop()


def scenario(args, per_packet, kind, tags):
    shape = ["--per-packet", per_packet, "--type", kind] + (["--tags"] if tags else [])
    result = {"per_packet": per_packet, "type": kind, "tags": tags}
    port = free_udp_port()
    sink = subprocess.Popen([args.load, "sink", "--port", str(port), "--seconds", str(args.seconds + 1),
                             "--receivers", "1"],
                            stdout=subprocess.PIPE, text=True, preexec_fn=pinned("receiver"))
    sink.stdout.readline()  # ready
    load(args.load, "send", "--port", port, "--seconds", args.seconds, *shape)
    null = json.loads(sink.communicate(timeout=60)[0].strip().splitlines()[-1])
    result["null_lines_per_s"] = null["lines"] / max(null["seconds"], 1e-9)

    port = free_udp_port()
    m = Metricsd(args.metricsd, port)
    try:
        rate = 0.9 * result["null_lines_per_s"]
        sent = load(args.load, "send", "--port", port, "--rate", int(rate), "--seconds", args.seconds, *shape)
        counted = wait_settled(m.lines_counted)
        result["metricsd_rate"] = int(rate)
        result["metricsd_loss"] = 1 - counted / sent["lines_sent"]
        result["metricsd_kernel_drops"] = m.samples().get("metricsd_statsd_udp_kernel_drops_total", 0)
    finally:
        m.stop()

    # Alternating rounds (metricsd, the null receiver, Netdata), the median of each and of
    # each round's ratios: one 5 s measurement of any of them moves by 10-30% between runs
    # (the sender shares the 2 cores), more than the difference being measured, so each ratio
    # compares measurements taken seconds apart, never one of Netdata against a median.
    rounds = []
    for _ in range(args.repeat):
        ours = cpu_on_fresh(Metricsd, args.metricsd, args, shape)
        null = cpu_on_fresh(Sink, args.load, args, shape)
        netdata = cpu_on_fresh(Netdata, args.netdata, args, shape) if args.netdata else None
        rounds.append((ours, null, netdata))
        if args.rounds:
            print(f"  round {len(rounds)} of {per_packet}:{kind}{':tags' if tags else ''}: metricsd {ours:.3f} "
                  f"null {null:.3f} Netdata {netdata if netdata is None else round(netdata, 3)} s/M",
                  file=sys.stderr, flush=True)
    result["metricsd_cpu_s_per_M"] = statistics.median(r[0] for r in rounds)
    result["null_cpu_s_per_M"] = statistics.median(r[1] for r in rounds)
    null_ratios = [r[0] / max(r[1], 1e-9) for r in rounds]
    result["null_ratio"] = statistics.median(null_ratios)
    # The ratio of the medians too: a round where one side alone fell into the VM's cheap mode
    # (a third less CPU for either process, now and then) moves that round's ratio, not a median.
    result["null_ratio_of_medians"] = result["metricsd_cpu_s_per_M"] / max(result["null_cpu_s_per_M"], 1e-9)
    result["null_ratio_range"] = (min(null_ratios), max(null_ratios))
    if args.netdata:
        netdata_ratios = [r[0] / max(r[2], 1e-9) for r in rounds]
        result["netdata_cpu_s_per_M"] = statistics.median(r[2] for r in rounds)
        result["cpu_ratio"] = statistics.median(netdata_ratios)
        result["cpu_ratio_range"] = (min(netdata_ratios), max(netdata_ratios))
    return result


def rss_after_distinct_names(args, names=100000):
    out = {}
    shape = ["--per-packet", 20, "--type", "c", "--names", names, "--lines", names, "--rate", 200000]
    for label, extra in (("no_history", "history: {enabled: false}\n"), ("default", "")):
        port = free_udp_port()
        m = Metricsd(args.metricsd, port, extra)
        try:
            load(args.load, "send", "--port", port, "--seconds", 30, *shape)
            wait_settled(m.lines_counted)
            time.sleep(11)  # a history.interval (10s): the sampler has met every series
            m.samples()  # a scrape's buffers count too
            out["metricsd_series"] = m.samples().get('metricsd_statsd_series{type="counter"}')
            out[f"metricsd_rss_mib_{label}"] = rss_bytes(m.pid) / 2**20
        finally:
            m.stop()
    if args.netdata:
        port = free_udp_port()
        n = Netdata(args.netdata, port)
        try:
            load(args.load, "send", "--port", port, "--seconds", 30, *shape)
            time.sleep(3)
            out["netdata_rss_mib"] = rss_bytes(n.pid) / 2**20
        finally:
            n.stop()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--load", required=True)
    parser.add_argument("--netdata", default=shutil.which("netdata") or "")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="only mixed types, with tags")
    parser.add_argument("--shapes", default="",
                        help="only these shapes, PER_PACKET:TYPE[:tags] comma-separated, e.g. 20:c,1:c")
    parser.add_argument("--repeat", type=int, default=3,
                        help="alternating metricsd/null/Netdata CPU rounds per shape (medians reported)")
    parser.add_argument("--no-rss", action="store_true", help="skip the 100,000-name RSS run")
    parser.add_argument("--no-pin", action="store_true",
                        help="let the scheduler place the sender and the receivers (see PIN)")
    parser.add_argument("--rounds", action="store_true", help="print every round's CPU figures")
    args = parser.parse_args()
    allowed = sorted(os.sched_getaffinity(0))
    if not args.no_pin and len(allowed) >= 2:  # the first two CPUs this process may use
        PIN.update(sender={allowed[0]}, receiver={allowed[1]})
    Sink.seconds = args.seconds
    if not args.netdata:
        print("netdata not found (apt-get install netdata-core): metricsd only", file=sys.stderr)

    shapes = [(p, k, t) for p in (1, 20) for k in ("c", "g", "ms") for t in (False, True)]
    if args.quick:
        shapes = [(1, "mix", True), (20, "mix", True)]
    if args.shapes:
        shapes = []
        for spec in args.shapes.split(","):
            fields = spec.split(":")
            shapes.append((int(fields[0]), fields[1], len(fields) > 2 and fields[2] == "tags"))
    print("| packet | type | tags | null rx lines/s | metricsd loss @90% | metricsd CPU s/M | "
          "null rx CPU s/M | vs null: of medians; rounds' median (range) | Netdata CPU s/M | "
          "vs Netdata (median, range) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for per_packet, kind, tags in shapes:
        r = scenario(args, per_packet, kind, tags)
        netdata = f"{r['netdata_cpu_s_per_M']:.3f}" if "netdata_cpu_s_per_M" in r else "-"
        ratio = (f"{r['cpu_ratio']:.2f} ({r['cpu_ratio_range'][0]:.2f}-{r['cpu_ratio_range'][1]:.2f})"
                 if "cpu_ratio" in r else "-")
        print(f"| {per_packet} | {kind} | {'yes' if tags else 'no'} | {r['null_lines_per_s']:,.0f} | "
              f"{100 * r['metricsd_loss']:.3f}% (kernel drops {r['metricsd_kernel_drops']:.0f}) | "
              f"{r['metricsd_cpu_s_per_M']:.3f} | {r['null_cpu_s_per_M']:.3f} | "
              f"{r['null_ratio_of_medians']:.2f}; {r['null_ratio']:.2f} "
              f"({r['null_ratio_range'][0]:.2f}-{r['null_ratio_range'][1]:.2f}) | "
              f"{netdata} | {ratio} |", flush=True)
    if args.no_rss:
        return
    rss = rss_after_distinct_names(args)
    print(f"\nRSS after 100,000 distinct names: metricsd {rss['metricsd_rss_mib_no_history']:.1f} MiB "
          f"without history, {rss['metricsd_rss_mib_default']:.1f} MiB with the default config "
          f"({rss['metricsd_series']:.0f} series)" +
          (f", Netdata {rss['netdata_rss_mib']:.1f} MiB" if "netdata_rss_mib" in rss else ""))


if __name__ == "__main__":
    main()
