#!/usr/bin/env python3
"""What evaluating the shipped rules costs a running daemon: two metricsd processes side by
side (host.interval 1s, StatsD and probes idle), one also running config/examples/alerts.yaml
with every group at `interval: 1s`. Prints the CPU each used (schedstat) over the same
seconds, the difference per group run, and RSS.

  python3 tests/bench/alerting_overhead.py --metricsd build/daemon/metricsd [--seconds 30]
"""
import argparse
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from procstat import rss_bytes, sched_seconds  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    os.environ["METRICSD_BIN"] = os.path.abspath(args.metricsd)
    from harness import Daemon, parse_exposition  # noqa: E402

    rules_dir = tempfile.TemporaryDirectory(prefix="metricsd-bench-rules-")
    with open(os.path.join(ROOT, "config", "examples", "alerts.yaml")) as f:
        rules = re.sub(r"interval: \d+s", "interval: 1s", f.read())
    rules_path = os.path.join(rules_dir.name, "alerts.yaml")
    with open(rules_path, "w") as f:
        f.write(rules)
    with_rules = f"host:\n  interval: 1s\nalerting:\n  rule_files: [{rules_path}]\n"
    with Daemon("host:\n  interval: 1s\n") as plain, Daemon(with_rules) as alerting:
        time.sleep(3)  # past start-up, windows filling
        pids = {"without rules": plain.proc.pid, "with rules": alerting.proc.pid}
        start = {k: sched_seconds(p) for k, p in pids.items()}
        time.sleep(args.seconds)
        cpu = {k: sched_seconds(p) - start[k] for k, p in pids.items()}
        rss = {k: rss_bytes(p) for k, p in pids.items()}
        samples = parse_exposition(alerting.metrics())
    runs = sum(v for k, v in samples.items() if k.startswith("metricsd_rule_evaluations_total"))
    rules_count = sum(v for k, v in samples.items() if k.startswith("metricsd_rule_group_rules"))
    groups = sum(1 for k in samples if k.startswith("metricsd_rule_group_rules"))
    for name in pids:
        print(f"{name:15} CPU {cpu[name] * 1000 / args.seconds:7.2f} ms/s   RSS {rss[name] / 2**20:6.1f} MiB")
    extra = (cpu["with rules"] - cpu["without rules"]) * 1000 / args.seconds
    print(f"{int(rules_count)} rules in {groups} groups, each group every 1s: "
          f"+{extra:.2f} ms CPU per second, {extra / max(groups, 1) * 1000:.0f} us per group run; "
          f"{int(runs)} rule evaluations in total")
    rules_dir.cleanup()


if __name__ == "__main__":
    main()
