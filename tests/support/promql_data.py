"""Synthetic series for PromQL tests and benchmarks, as {labels tuple: [(ms, float)]}: counters
with resets, gauges (negative values too), classic histograms (_bucket with le, _sum, _count) and
a series that comes and goes. Reproducible from the seed; standard library only."""
import random

BUCKETS = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]


def _key(name, **labels):
    return tuple(sorted([("__name__", name)] + list(labels.items())))


def synthetic(start_ms, end_ms, step_ms, seed, instances=3, prefix="syn_"):
    """Series of `instances` instances sampled every `step_ms` (each instance with its own
    millisecond offset, as scrapes have) from start_ms to end_ms."""
    rng = random.Random(seed)
    out = {}
    for i in range(instances):
        instance = f"host-{i}"
        jitter = rng.randint(0, 999) if i else 0
        times = list(range(start_ms + jitter, end_ms, step_ms))
        for code in ("200", "500"):
            counter, points = 0.0, []
            for t in times:
                if rng.random() < 0.004:
                    counter = 0.0  # a restart
                counter += rng.randint(0, 20 if code == "200" else 2)
                points.append((t, counter))
            out[_key(prefix + "requests_total", instance=instance, code=code)] = points
        gauge, points = rng.uniform(-10, 30), []
        for t in times:
            gauge += rng.uniform(-1, 1)
            points.append((t, round(gauge, 3)))
        out[_key(prefix + "temperature_celsius", instance=instance)] = points
        counts = [0.0] * len(BUCKETS)
        total, buckets = 0.0, {le: [] for le in BUCKETS}
        sums, count_points = [], []
        for t in times:
            if rng.random() < 0.003:
                counts, total = [0.0] * len(BUCKETS), 0.0
            for _ in range(rng.randint(0, 5)):
                v = rng.expovariate(2.0)
                total += v
                for b, le in enumerate(BUCKETS):
                    if le == "+Inf" or v <= float(le):
                        counts[b] += 1
            for b, le in enumerate(BUCKETS):
                buckets[le].append((t, counts[b]))
            sums.append((t, round(total, 6)))
            count_points.append((t, counts[-1]))
        for le, points in buckets.items():
            out[_key(prefix + "latency_seconds_bucket", instance=instance, le=le)] = points
        out[_key(prefix + "latency_seconds_sum", instance=instance)] = sums
        out[_key(prefix + "latency_seconds_count", instance=instance)] = count_points
        # Present for 20 steps out of every 30: a series that comes and goes.
        out[_key(prefix + "flappy", instance=instance)] = [
            (t, float(n % 7)) for n, t in enumerate(times) if n % 30 < 20]
    return out


def series_list(series):
    """/api/v1/series's shape (label dicts) for {labels tuple: points}."""
    return [dict(labels) for labels in series]
