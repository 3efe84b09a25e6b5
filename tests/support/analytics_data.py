"""Synthetic history whose truth is known, for the analytics integration, e2e and benchmark
tests: weeks of seasonal, noisy series with a step, a ramp toward a limit, a memory leak between
restarts, a player count and latency histograms, as VictoriaMetrics JSON lines for metricsd's
POST /api/v1/import. Seeded: the same arguments give the same bytes."""
import json
import math
import random

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY


def seasonal(t_ms, mean):
    """A daily cycle (30 % of the mean, peak at 20:00 UTC) and a weekend bump (10 %)."""
    day_phase = 2 * math.pi * ((t_ms % DAY) / DAY - 20 / 24)
    weekday = (t_ms // DAY + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    weekend = 0.1 if weekday >= 5 else 0.0
    return mean * (1 + 0.3 * math.cos(day_phase) + weekend)


def line(metric, points):
    return json.dumps({"metric": metric,
                       "values": [round(v, 9) for _, v in points],
                       "timestamps": [t for t, _ in points]}, separators=(",", ":"))


def stepped_latency(end_ms, weeks, step_ms, labels, step_at_ms=None, step=0.10, noise=0.06, seed=1):
    """A p95-like latency gauge: seasonal, multiplicative Gaussian noise, and (when
    step_at_ms is given) `step` more from then on."""
    rng = random.Random(seed)
    start = int(end_ms - weeks * WEEK)
    points = []
    for t in range(start - start % step_ms, end_ms + 1, step_ms):
        v = seasonal(t, 0.120) * (1 + rng.gauss(0, noise))
        if step_at_ms is not None and t >= step_at_ms:
            v *= 1 + step
        points.append((t, max(v, 1e-4)))
    return line({"__name__": "test_latency_p95_seconds", **labels}, points)


def filling_disk(end_ms, days, step_ms, start_ratio, per_day, seed=2):
    """A filesystem used at start_ratio growing per_day (ratio/day): node_exporter's avail
    and size, so 1 - avail/size is the usage."""
    rng = random.Random(seed)
    size = 100 * 2**30
    start = end_ms - days * DAY
    avail, total = [], []
    for t in range(start - start % step_ms, end_ms + 1, step_ms):
        used = start_ratio + per_day * (t - start) / DAY + rng.gauss(0, 0.001)
        avail.append((t, size * (1 - used)))
        total.append((t, size))
    labels = {"device": "/dev/sdz1", "fstype": "ext4", "mountpoint": "/srv/game"}
    return [line({"__name__": "node_filesystem_avail_bytes", **labels}, avail),
            line({"__name__": "node_filesystem_size_bytes", **labels}, total)]


def leaking_process(end_ms, days, step_ms, per_hour_bytes, restart_every_ms, seed=3):
    """process-exporter's families for one group whose RSS grows per_hour_bytes between
    restarts (each restart: RSS back to its base, a new oldest start time)."""
    rng = random.Random(seed)
    start = end_ms - days * DAY
    base = 200 * 2**20
    rss, starts = [], []
    started = start
    for t in range(start - start % step_ms, end_ms + 1, step_ms):
        if t - started >= restart_every_ms:
            started = t
        rss.append((t, base + per_hour_bytes * (t - started) / HOUR + rng.gauss(0, 2**20)))
        starts.append((t, started / 1000))
    return [line({"__name__": "namedprocess_namegroup_memory_bytes", "groupname": "leaky",
                  "memtype": "resident"}, rss),
            line({"__name__": "namedprocess_namegroup_oldest_start_time_seconds",
                  "groupname": "leaky"}, starts)]


BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]


def latency_histogram(end_ms, hours, step_ms, family, labels, median_s, per_step, seed=4):
    """Cumulative `_bucket`, `_sum`, `_count` counters of a log-normal latency around
    median_s, per_step observations a step."""
    rng = random.Random(seed)
    start = end_ms - hours * HOUR
    counts = [0] * (len(BUCKETS) + 1)
    total, observed = 0.0, 0
    rows = {le: [] for le in BUCKETS + ["+Inf"]}
    sums, count_points = [], []
    for t in range(start - start % step_ms, end_ms + 1, step_ms):
        for _ in range(per_step):
            x = median_s * math.exp(rng.gauss(0, 0.5))
            total += x
            observed += 1
            for i, le in enumerate(BUCKETS):
                if x <= le:
                    counts[i] += 1
        for i, le in enumerate(BUCKETS):
            rows[le].append((t, counts[i]))
        rows["+Inf"].append((t, observed))
        sums.append((t, total))
        count_points.append((t, observed))
    out = []
    for le, points in rows.items():
        le_text = "+Inf" if le == "+Inf" else repr(float(le))
        out.append(line({"__name__": family + "_bucket", **labels, "le": le_text}, points))
    out.append(line({"__name__": family + "_sum", **labels}, sums))
    out.append(line({"__name__": family + "_count", **labels}, count_points))
    return out


def players(end_ms, days, step_ms, base, per_day_growth, seed=5):
    rng = random.Random(seed)
    start = end_ms - days * DAY
    points = []
    for t in range(start - start % step_ms, end_ms + 1, step_ms):
        growth = (1 + per_day_growth) ** ((t - start) / DAY)
        points.append((t, max(0.0, seasonal(t, base) * growth * (1 + rng.gauss(0, 0.02)))))
    return line({"__name__": "game_players", "region": "eu"}, points)
