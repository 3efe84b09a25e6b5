#!/usr/bin/env python3
"""Where metricsd's resident memory goes at N distinct StatsD names (issue 17's RSS target).

Starts metricsd with the history store off (StatsD's own cost, as compare_statsd.py's RSS run),
prints /proc/PID/status's RSS lines idle and after N distinct counter names and two scrapes,
and the resident KiB per mapping (the binary, each shared library, anonymous memory), so a
change in the series table or the start-up shows where it landed.

    python3 tests/bench/statsd_rss_breakdown.py --metricsd build/daemon/metricsd \\
        --load build/tests/bench/statsd_load [--names 100000] [--config-extra 'history: {}']
"""
import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_statsd as cs  # noqa: E402


def resident_by_mapping(pid):
    """Resident KiB per mapped file's base name ("[anon]" for anonymous memory)."""
    by = collections.Counter()
    current = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            parts = line.split()
            if "-" in parts[0] and not parts[0].endswith(":"):  # a mapping's header line
                current = os.path.basename(parts[5]) if len(parts) > 5 else "[anon]"
            elif parts[0] == "Rss:":
                by[current] += int(parts[1])
    return by


def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return {line.split(":")[0]: line.split(":")[1].strip() for line in f
                if line.startswith(("VmRSS", "RssAnon", "RssFile"))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--load", required=True)
    parser.add_argument("--names", type=int, default=100000)
    parser.add_argument("--config-extra", default="history: {enabled: false}\n",
                        help="YAML appended to the config (default: the history store off)")
    args = parser.parse_args()
    port = cs.free_udp_port()
    m = cs.Metricsd(args.metricsd, port, args.config_extra)
    try:
        time.sleep(1)
        idle_status, idle = status(m.pid), resident_by_mapping(m.pid)
        cs.load(args.load, "send", "--port", port, "--seconds", 30, "--per-packet", 20,
                "--type", "c", "--names", args.names, "--lines", args.names, "--rate", 200000)
        cs.wait_settled(m.lines_counted)
        m.samples()
        series = m.samples().get('metricsd_statsd_series{type="counter"}')
        after_status, after = status(m.pid), resident_by_mapping(m.pid)
    finally:
        m.stop()
    print(f"idle:  {idle_status}")
    print(f"after: {after_status} ({series:.0f} counter series)")
    for name, kib in sorted(after.items(), key=lambda kv: -kv[1])[:20]:
        print(f"  {name:32s} idle {idle.get(name, 0) / 1024:6.2f} MiB   after {kib / 1024:6.2f} MiB")


if __name__ == "__main__":
    main()
