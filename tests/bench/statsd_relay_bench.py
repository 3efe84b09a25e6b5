#!/usr/bin/env python3
"""StatsD relay mode throughput and cost: one relay metricsd in front of three aggregator
metricsd instances on 127.0.0.1 (the set-up of tests/e2e/statsd_relay_test.py), fed by
`metricsd loadgen` (the game profile) over UDP at each --rates value for --seconds.

For each rate it prints the rate loadgen achieved, the lines the relay received, relayed and
dropped, the lines the three aggregators received (the chain's loss), and the relay's CPU
(utime + stime from /proc/PID/stat) per million lines.

  python3 tests/bench/statsd_relay_bench.py --metricsd build/daemon/metricsd \\
      [--rates 20000,100000,300000] [--seconds 8] [--json]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metricsd", required=True)
    parser.add_argument("--rates", default="20000,100000,300000")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["METRICSD_BIN"] = os.path.abspath(args.metricsd)
    import harness  # noqa: E402  (reads METRICSD_BIN at import)
    import procstat  # noqa: E402
    from statsd_relay_test import Aggregator, relay_config, relay_counters, total  # noqa: E402

    aggregators = [Aggregator() for _ in range(3)]
    results = []
    relay = None
    try:
        for a in aggregators:
            a.start()
        relay = harness.Daemon(relay_config(aggregators))
        time.sleep(1)
        for rate in (int(r) for r in args.rates.split(",")):
            def received(daemon):
                return daemon.samples()["metricsd_statsd_lines_total"]
            before = relay_counters(relay)
            relay_before = received(relay)
            aggregators_before = sum(received(a.daemon) for a in aggregators)
            cpu_before = procstat.cpu_seconds(relay.proc.pid)
            run = subprocess.run(
                [args.metricsd, "loadgen", f"--target=udp://{relay.statsd['udp']}", f"--rate={rate}",
                 f"--duration={args.seconds}s", "--ramp=1s", "--output=json"],
                capture_output=True, text=True, timeout=args.seconds + 60)
            time.sleep(1)  # the relay and the aggregators drain
            after = relay_counters(relay)
            cpu = procstat.cpu_seconds(relay.proc.pid) - cpu_before
            relay_received = received(relay) - relay_before
            try:
                achieved = json.loads(run.stdout).get("achieved_rate")
            except ValueError:
                achieved = None
            result = {
                "rate": rate,
                "achieved_rate": achieved,
                "relay_received": relay_received,
                "relayed": total(after, "metricsd_statsd_relay_lines_total")
                - total(before, "metricsd_statsd_relay_lines_total"),
                "dropped": total(after, "metricsd_statsd_relay_dropped_total")
                - total(before, "metricsd_statsd_relay_dropped_total"),
                "aggregators_received": sum(received(a.daemon) for a in aggregators) - aggregators_before,
                "relay_cpu_seconds": round(cpu, 3),
                "relay_cpu_seconds_per_million_lines": round(1e6 * cpu / max(relay_received, 1), 3),
            }
            results.append(result)
            if not args.json:
                print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    finally:
        if relay is not None:
            relay.__exit__(None, None, None)
        for a in aggregators:
            if a.daemon is not None:
                a.daemon.__exit__(None, None, None)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
