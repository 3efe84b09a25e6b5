#!/usr/bin/env python3
"""Bytes per sample on disk, one sample stream into three stores (issue 12, Performance):
metricsd's history store (through history_store_bench, which drives a Store as the sampler
does), Prometheus 2.42's TSDB (`promtool tsdb create-blocks-from openmetrics`) and, when the
Debian package is installed, VictoriaMetrics (`/api/v1/import`).

The stream: 24 h at 10 s of
  (a) this host's real series: every series of two scrapes of a running metricsd taken 10 s
      apart (host collectors, process_*, the daemon's own), counters evolving at their measured
      rates with Poisson noise and a daily swing, gauges as bounded random walks; each series
      keeps its resolution (integers stay integers, byte counts stay multiples of their
      observed granularity, cpu seconds stay centiseconds, full-precision floats stay so);
  (b) a StatsD game workload: 50 counters, 30 gauges and 20 histograms of 10 buckets (+Inf,
      _sum, _count) timing AO handlers, battle simulations and DB queries, whose buckets grow
      consistently (cumulative, monotonic) under a daily player curve.
Deterministic for a seed, given the two scrapes.

  python3 tests/bench/compare_prometheus_tsdb.py --metricsd build/daemon/metricsd \\
      --bench build/tests/bench/history_store_bench [--hours 24] [--seed 12]

Files written to a temporary directory (removed unless --keep): stream.om (OpenMetrics, `# EOF`
at the end, timestamps in seconds), stream.keys + stream.bin (what history_store_bench reads:
one series a line as name<TAB>label=value..., then a header and every series' values as
float64, series after series), stream.jsonl (VictoriaMetrics' import format).
"""
import argparse
import array
import bisect
import json
import math
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

STEP_S = 10
DAY_S = 86400
BIN_MAGIC = b"MHSB0001"
# A series that did not move between the two scrapes moves by one unit of its resolution with
# this probability per step (~17 times a day): an error counter, a slowly filling disk.
RARE_MOVE = 0.002

# ---------------------------------------------------------------------------------------------
# Two scrapes of the real daemon


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_scrape(text):
    """({(name, labels tuple): value}, {family: type})."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            types[family] = kind
            continue
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise ValueError(f"cannot parse exposition line {line!r}")
        labels = tuple(sorted((n, bytes(v, "utf-8").decode("unicode_escape"))
                              for n, v in _LABEL.findall(match.group(2) or "")))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples, types


def scrape_twice(metricsd):
    os.environ["METRICSD_BIN"] = os.path.abspath(metricsd)
    from harness import Daemon  # noqa: E402
    with Daemon() as daemon:
        time.sleep(2)  # past start-up: every collector has run
        first = parse_scrape(daemon.metrics())
        time.sleep(STEP_S)
        second = parse_scrape(daemon.metrics())
    return first, second


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count", "_total", "_created", ""):
        if name.endswith(suffix):
            base = name[: len(name) - len(suffix)] if suffix else name
            if base in types:
                return base, types[base]
    return name, "untyped"


# ---------------------------------------------------------------------------------------------
# Value models


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam >= 15:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def diurnal(t, phase, depth):
    """The daily swing of a load: 1 ± depth over 24 h."""
    return 1.0 + depth * math.sin(2 * math.pi * t / DAY_S + phase)


def resolution(values):
    """(decimals, granule): the coarsest decimal resolution every value has (decimals > 6:
    a full-precision float, granule None), and for integers the largest power of two up to
    4096 dividing them all (4096-byte pages, 1024-byte kB, 512-byte sectors)."""
    for d in range(0, 7):
        if all(abs(v - round(v, d)) <= 1e-9 * max(1.0, abs(v)) for v in values):
            break
    else:
        return None, None
    if d > 0:
        return d, 1
    ints = [int(round(v)) for v in values if v != 0]
    granule = 4096
    while granule > 1 and any(i % granule for i in ints):
        granule //= 2
    if not ints:
        granule = 1
    return 0, granule


class Quantizer:
    """Rounds to a series' resolution and prints values as the exposition would."""

    def __init__(self, decimals, granule):
        self.decimals, self.granule = decimals, granule

    def __call__(self, v):
        if self.decimals is None:
            return v
        if self.decimals == 0:
            return float(round(v / self.granule) * self.granule)
        scale = 10 ** self.decimals
        return round(v * scale) / scale


def counter_series(rng, steps, t0, start, rate, quantize, unit):
    """A counter at `rate` per second, with Poisson noise in units of its resolution and a daily
    swing; a counter that did not move between the scrapes moves rarely (RARE_MOVE)."""
    out = []
    value = start
    phase, depth = rng.uniform(0, 2 * math.pi), rng.uniform(0.1, 0.5)
    for i in range(steps):
        if rate > 0:
            expected = rate * STEP_S * diurnal(t0 + i * STEP_S, phase, depth) / unit
            value += poisson(rng, expected) * unit
        elif rng.random() < RARE_MOVE:
            value += unit
        out.append(quantize(value))
    return out


def gauge_series(rng, steps, start, step_size, quantize, unit, integer):
    """A bounded random walk around `start` (±max(20 steps, 10%)); an unchanged gauge moves
    by its resolution now and then (RARE_MOVE)."""
    out = []
    value = start
    moving = step_size > 0
    size = step_size if moving else unit
    bound = max(20 * size, 0.1 * abs(start))
    low, high = start - bound, start + bound
    if start >= 0:
        low = max(0.0, low)
    for _ in range(steps):
        if moving:
            delta = rng.gauss(0, size)
            if integer:
                delta = round(delta / unit) * unit
            value = min(high, max(low, value + delta))
        elif rng.random() < RARE_MOVE:
            value = min(high, max(low, value + rng.choice((-1, 1)) * unit))
        out.append(quantize(value))
    return out


def histogram_group(rng, steps, t0, bounds, start_counts, start_sum, lam, probs, means):
    """Cumulative buckets (bounds ascending, +Inf last), _sum and _count: each step draws new
    observations per bucket (Poisson, mean lam(t) * p_i) and adds their latencies to the sum,
    so buckets stay cumulative and monotonic and count equals +Inf."""
    per_bucket = [start_counts[0]] + [start_counts[i] - start_counts[i - 1]
                                      for i in range(1, len(start_counts))]
    total_sum = start_sum
    columns = [[] for _ in range(len(bounds) + 2)]
    for i in range(steps):
        expected = lam(t0 + i * STEP_S)
        for b, p in enumerate(probs):
            new = poisson(rng, expected * p)
            if new:
                per_bucket[b] += new
                total_sum += new * means[b] * rng.uniform(0.8, 1.2)
        running = 0
        for b in range(len(bounds)):
            running += per_bucket[b]
            columns[b].append(float(running))
        columns[len(bounds)].append(total_sum)
        columns[len(bounds) + 1].append(float(running))
    return columns


# ---------------------------------------------------------------------------------------------
# The stream


def host_groups(first, second, types, seed):
    """Yields [(name, labels, values)] groups for this host's series."""
    samples1, samples2 = first, second
    histograms = {}
    for (name, labels), v2 in sorted(samples2.items()):
        if (name, labels) not in samples1:
            continue
        family, kind = family_of(name, types)
        if kind == "histogram":
            base_labels = tuple(kv for kv in labels if kv[0] != "le")
            histograms.setdefault((family, base_labels), []).append((name, labels, v2))
            continue
        yield name, labels, kind, samples1[(name, labels)], v2
    for (family, base_labels), members in sorted(histograms.items()):
        yield family, base_labels, "histogram_group", members, None


def generate(first, second, hours, seed, out_dir, t0):
    """Writes the stream files; returns (series, samples)."""
    (samples1, _), (samples2, types) = first, second
    steps = hours * 3600 // STEP_S
    rng = random.Random(seed)
    series = []  # (name, labels, values)

    def emit(name, labels, values):
        series.append((name, tuple(sorted(labels)), values))

    # (a) this host
    for item in host_groups(samples1, samples2, types, seed):
        name, labels, kind = item[0], item[1], item[2]
        r = random.Random(f"{seed}/{name}/{labels}")
        if kind == "histogram_group":
            members = item[3]
            buckets = sorted(((float(dict(l)["le"]), n, l, v) for n, l, v in members
                              if n.endswith("_bucket")), key=lambda b: b[0])
            others = {n: v for n, l, v in members if not n.endswith("_bucket")}
            if not buckets:
                continue
            bounds = [b[0] for b in buckets]
            counts = [b[3] for b in buckets]
            c1 = [samples1.get((b[1], b[2]), b[3]) for b in buckets]
            count, total = counts[-1], others.get(name + "_sum", 0.0)
            rate = max(0.0, (counts[-1] - c1[-1]) / STEP_S)
            diffs = [max(0.0, counts[i] - c1[i] - (counts[i - 1] - c1[i - 1] if i else 0))
                     for i in range(len(counts))]
            shape = diffs if sum(diffs) > 0 else [counts[i] - (counts[i - 1] if i else 0)
                                                   for i in range(len(counts))]
            norm = sum(shape) or 1.0
            probs = [s / norm for s in shape]
            mean = total / count if count else 0.01
            means = [min(mean, bounds[i]) if math.isfinite(bounds[i]) else mean
                     for i in range(len(bounds))]
            cols = histogram_group(r, steps, t0, bounds, counts, total,
                                   lambda t, rate=rate: rate * STEP_S, probs, means)
            for i, (_, n, l, _) in enumerate(buckets):
                emit(n, l, cols[i])
            emit(name + "_sum", labels, cols[len(bounds)])
            emit(name + "_count", labels, cols[len(bounds) + 1])
            continue
        v1, v2 = item[3], item[4]
        decimals, granule = resolution([v1, v2])
        quantize = Quantizer(decimals, granule)
        unit = granule if decimals == 0 else (10.0 ** -decimals if decimals else 1e-9)
        if not (math.isfinite(v1) and math.isfinite(v2)):
            continue  # NaN/Inf exposition values: none seen on this host; kept out of the stream
        if kind in ("counter", "summary") and not name.endswith("_created") and v2 >= v1:
            if decimals is None:
                unit = max(abs(v2 - v1) / 20, 1e-6)
            emit(name, labels, counter_series(r, steps, t0, v2, (v2 - v1) / STEP_S, quantize, unit))
        else:
            integer = decimals is not None
            emit(name, labels, gauge_series(r, steps, v2, abs(v2 - v1), quantize,
                                            unit if decimals is not None else abs(v2) * 1e-3 or 1e-6,
                                            integer))
    host_count = len(series)

    # (b) the StatsD game workload
    players = lambda t: diurnal(t, -math.pi / 2, 0.6)  # noqa: E731  low at night, high at evening
    handlers = ["login", "move", "attack", "trade", "chat", "craft", "equip", "quest_accept",
                "quest_complete", "inventory", "shop_buy", "shop_sell", "party_join", "guild_chat",
                "heal", "respawn", "loot", "teleport", "emote", "logout"]
    counters = [("game_ao_handler_calls_total", {"handler": h}) for h in handlers]
    counters += [("game_ao_handler_errors_total", {"handler": h}) for h in handlers[:10]]
    counters += [("game_battles_total", {"mode": m, "outcome": o})
                 for m in ("pve", "pvp", "raid") for o in ("win", "loss")]
    counters += [("game_db_queries_total", {"query": q}) for q in
                 ("load_player", "save_player", "load_inventory", "save_inventory", "leaderboard",
                  "guild", "market_list", "market_buy", "mail", "audit")]
    counters += [("game_items_dropped_total", {"rarity": r}) for r in ("common", "rare", "epic", "legendary")]
    for i, (name, labels) in enumerate(counters[:50]):
        r = random.Random(f"{seed}/game/c/{i}")
        base = r.choice((0.05, 0.3, 2, 8, 40, 150))
        value, out = float(r.randrange(0, 100000)), []
        for s in range(steps):
            value += poisson(r, base * STEP_S * players(t0 + s * STEP_S))
            out.append(value)
        emit(name, labels.items(), out)
    gauges = [("game_players_online", {"zone": z}) for z in
              ("eu1", "eu2", "us1", "us2", "ap1", "ap2", "sa1", "oc1")]
    gauges += [("game_matchmaking_queue_length", {"mode": m}) for m in ("pve", "pvp", "raid")]
    gauges += [("game_db_pool_connections", {"state": s}) for s in ("idle", "busy")]
    gauges += [("game_ao_process_memory_bytes", {"process": f"ao-{i}"}) for i in range(4)]
    gauges += [("game_world_entities", {"zone": z}) for z in ("eu1", "us1", "ap1")]
    int_gauges = len(gauges)
    gauges += [("game_economy_gold_price", {"item": i}) for i in ("ore", "wood", "cloth", "gem", "potion")]
    gauges += [("game_tick_duration_ms", {"zone": z}) for z in ("eu1", "eu2", "us1", "us2", "ap1")]
    for i, (name, labels) in enumerate(gauges):
        r = random.Random(f"{seed}/game/g/{i}")
        if i < int_gauges:
            scale = r.choice((20, 300, 5000))
            unit = 4096 if name.endswith("_bytes") else 1
            base = scale * (100000 if unit == 4096 else 1)
            out = []
            for s in range(steps):
                target = base * players(t0 + s * STEP_S)
                noise = r.gauss(0, max(1.0, math.sqrt(target)))
                out.append(float(max(0, round((target + noise) / unit) * unit)))
        elif i < int_gauges + 5:
            out = gauge_series(r, steps, r.uniform(5, 200), 0.05, Quantizer(2, 1), 0.01, True)
        else:
            out = [r.uniform(3, 40) * players(t0 + s * STEP_S) for s in range(steps)]
        emit(name, labels.items(), out)
    bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, math.inf]
    histos = [("game_ao_handler_duration_seconds", {"handler": h}, 0.02, 1.0) for h in handlers[:12]]
    histos += [("game_battle_simulation_duration_seconds", {"mode": m}, 0.4, 0.8) for m in ("pve", "pvp", "raid")]
    histos += [("game_db_query_duration_seconds", {"query": q}, 0.008, 1.2) for q in
               ("load_player", "save_player", "leaderboard", "market_list", "mail")]
    for i, (name, labels, median, sigma) in enumerate(histos):
        r = random.Random(f"{seed}/game/h/{i}")
        cdf = [0.5 * (1 + math.erf(math.log(b / median) / (sigma * math.sqrt(2)))) if math.isfinite(b) else 1.0
               for b in bounds]
        probs = [cdf[0]] + [cdf[j] - cdf[j - 1] for j in range(1, len(cdf))]
        means = [b * 0.7 if math.isfinite(b) else 8.0 for b in bounds]
        rate = r.choice((0.5, 3, 15, 60))
        cols = histogram_group(r, steps, t0, bounds, [0] * len(bounds), 0.0,
                               lambda t, rate=rate: rate * STEP_S * players(t), probs, means)
        for j, b in enumerate(bounds):
            le = "+Inf" if not math.isfinite(b) else repr(b)
            emit(name + "_bucket", list(labels.items()) + [("le", le)], cols[j])
        emit(name + "_sum", labels.items(), cols[len(bounds)])
        emit(name + "_count", labels.items(), cols[len(bounds) + 1])

    series.sort(key=lambda s: (s[0], s[1]))
    write_files(series, steps, t0, out_dir)
    return len(series), host_count, len(series) * steps


def om_labels(labels):
    def escape(v):
        return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{n}="{escape(v)}"' for n, v in labels) + "}" if labels else ""


def write_files(series, steps, t0, out_dir):
    times = [t0 + i * STEP_S for i in range(steps)]
    stamps = [str(t) for t in times]
    with open(os.path.join(out_dir, "stream.om"), "w") as om, \
            open(os.path.join(out_dir, "stream.keys"), "w") as keys, \
            open(os.path.join(out_dir, "stream.bin"), "wb") as binary, \
            open(os.path.join(out_dir, "stream.jsonl"), "w") as vm:
        binary.write(BIN_MAGIC + struct.pack("<qqqq", len(series), steps, t0 * 1000, STEP_S * 1000))
        for name, labels, values in series:
            assert len(values) == steps
            for n, v in labels:
                assert "\t" not in v and "\n" not in v and "=" not in n, (name, n, v)
            keys.write("\t".join([name] + [f"{n}={v}" for n, v in labels]) + "\n")
            array.array("d", values).tofile(binary)
            prefix = name + om_labels(labels) + " "
            om.write("".join(f"{prefix}{v!r} {s}\n" for v, s in zip(values, stamps)))
            metric = {"__name__": name}
            metric.update(labels)
            vm.write(json.dumps({"metric": metric, "values": values, "timestamps":
                                 [t * 1000 for t in times]}, separators=(",", ":")) + "\n")
        om.write("# EOF\n")


# ---------------------------------------------------------------------------------------------
# The stores


def dir_bytes(path, top_filter=None):
    total = 0
    for root, _, files in os.walk(path):
        if top_filter and not top_filter(os.path.relpath(root, path)):
            continue
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def run_prometheus(stream_dir):
    blocks = os.path.join(stream_dir, "prometheus")
    started = time.monotonic()
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                    os.path.join(stream_dir, "stream.om"), blocks], check=True, timeout=600)
    seconds = time.monotonic() - started
    total = index = chunks = 0
    count = 0
    for block in sorted(os.listdir(blocks)):
        path = os.path.join(blocks, block)
        if not os.path.isdir(path) or not os.path.exists(os.path.join(path, "meta.json")):
            continue
        count += 1
        total += dir_bytes(path)
        index += os.path.getsize(os.path.join(path, "index"))
        chunks += dir_bytes(os.path.join(path, "chunks"))
    return {"total": total, "index": index, "chunks": chunks, "blocks": count, "seconds": seconds}


def run_metricsd(bench, stream_dir):
    started = time.monotonic()
    result = subprocess.run([bench, "--stream", os.path.join(stream_dir, "stream"),
                             "--store-dir", os.path.join(stream_dir, "metricsd")],
                            check=True, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    figures = {"seconds": seconds}
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            _, key, value = line.split()
            figures[key] = float(value)
    sys.stdout.write(result.stdout)
    return figures


def metricsd_breakdown(db_path):
    """Where metricsd.db's bytes go: chunk rows and blob bytes per tier, each b-tree's pages
    (dbstat, through the sqlite3 CLI when installed), and the raw tier alone: a copy with the
    tier chunks deleted and VACUUMed."""
    import sqlite3
    out = {}
    with sqlite3.connect(db_path) as db:
        for tier, count, blob in db.execute(
                "SELECT tier, count(*), sum(length(data)) FROM chunks GROUP BY tier"):
            out[f"tier{tier}"] = (count, blob)
    cli = shutil.which("sqlite3")
    if cli:
        rows = subprocess.run([cli, db_path, "SELECT name, sum(pgsize), sum(payload), sum(unused) "
                               "FROM dbstat GROUP BY name ORDER BY 2 DESC"],
                              check=True, capture_output=True, text=True, timeout=120).stdout
        out["btrees"] = [line.split("|") for line in rows.splitlines() if line]
    copy = db_path + ".rawonly"
    shutil.copyfile(db_path, copy)
    with sqlite3.connect(copy) as db:
        db.execute("DELETE FROM chunks WHERE tier > 0")
    with sqlite3.connect(copy) as db:
        db.execute("VACUUM")
    out["raw_only_vacuumed"] = os.path.getsize(copy)
    os.remove(copy)
    vacuumed = db_path + ".vacuumed"
    shutil.copyfile(db_path, vacuumed)
    with sqlite3.connect(vacuumed) as db:
        db.execute("VACUUM")
    out["vacuumed"] = os.path.getsize(vacuumed)
    os.remove(vacuumed)
    return out


def run_victoria_metrics(stream_dir):
    binary = shutil.which("victoria-metrics")
    if binary is None:
        return None
    from harness import free_port, stop_process  # noqa: E402
    data = os.path.join(stream_dir, "victoria-metrics")
    port = free_port()
    proc = subprocess.Popen([binary, f"-storageDataPath={data}", f"-httpListenAddr=127.0.0.1:{port}",
                             "-retentionPeriod=100y", "-search.disableCache"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("victoria-metrics did not start")
                time.sleep(0.2)
        started = time.monotonic()
        with open(os.path.join(stream_dir, "stream.jsonl"), "rb") as f:
            request = urllib.request.Request(base + "/api/v1/import", data=f, method="POST",
                                             headers={"Content-Length": str(os.path.getsize(f.name))})
            urllib.request.urlopen(request, timeout=600).read()
        urllib.request.urlopen(base + "/internal/force_flush", timeout=60).read()
        time.sleep(5)  # let the flushed parts merge as they would shortly after ingestion
        seconds = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGINT)  # a graceful stop writes every in-memory part
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stop_process(proc)
    total = dir_bytes(data)
    index = dir_bytes(os.path.join(data, "indexdb")) if os.path.isdir(os.path.join(data, "indexdb")) else 0
    return {"total": total, "index": index, "chunks": total - index, "seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metricsd", required=True, help="build/daemon/metricsd (scraped twice)")
    parser.add_argument("--bench", required=True, help="build/tests/bench/history_store_bench")
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--workdir", help="default: a temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the stream and the stores")
    args = parser.parse_args()
    for tool in ("promtool",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian: prometheus)")
    work = args.workdir or tempfile.mkdtemp(prefix="compare_tsdb.")
    os.makedirs(work, exist_ok=True)
    try:
        first, second = scrape_twice(args.metricsd)
        now = int(time.time()) // STEP_S * STEP_S
        t0 = now - args.hours * 3600  # the last 24 h, as a daemon up for a day holds
        started = time.monotonic()
        series, host_series, samples = generate(first, second, args.hours, args.seed, work, t0)
        print(f"stream: {series} series ({host_series} of this host, {series - host_series} StatsD), "
              f"{args.hours} h at {STEP_S} s, {samples:,} samples; generated in "
              f"{time.monotonic() - started:.1f} s; seed {args.seed}")
        print(f"stream.om {os.path.getsize(os.path.join(work, 'stream.om')) / 2**20:.0f} MiB", flush=True)

        prometheus = run_prometheus(work)
        metricsd = run_metricsd(args.bench, work)
        breakdown = metricsd_breakdown(os.path.join(work, "metricsd", "metricsd.db"))
        victoria = run_victoria_metrics(work)

        print()
        print(f"{'store':40} {'bytes':>12} {'bytes/sample':>13} {'vs Prometheus':>14}")
        base = prometheus["total"] / samples

        def row(label, total):
            print(f"{label:40} {total:>12,.0f} {total / samples:>13.3f} {total / samples / base:>14.2f}")

        row(f"Prometheus 2.42 ({prometheus['blocks']} blocks, total)", prometheus["total"])
        row("  of it chunks/", prometheus["chunks"])
        row("  of it index", prometheus["index"])
        row("metricsd: metricsd.db after checkpoint", metricsd["file_bytes"])
        row("  of it raw chunk blobs (ChunkBytes kRaw)", metricsd["raw_chunk_bytes"])
        row("  of it tier chunk blobs (1m + 1h)", metricsd["tier_chunk_bytes"])
        row("  pages in use (UsedBytes)", metricsd["used_bytes"])
        row("  the same file VACUUMed", breakdown["vacuumed"])
        row("  raw tier alone (tiers deleted, VACUUM)", breakdown["raw_only_vacuumed"])
        if victoria:
            row("VictoriaMetrics (data dir, total)", victoria["total"])
            row("  of it indexdb", victoria["index"])
        else:
            print("VictoriaMetrics: not installed (Debian: victoria-metrics), column skipped")
        print("\nmetricsd.db by tier: " + ", ".join(
            f"tier {k[4:]}: {count:,} chunks, {blob:,} blob bytes ({blob / count:.0f} per chunk)"
            for k, (count, blob) in sorted((k, v) for k, v in breakdown.items() if k.startswith("tier"))))
        for name, pages, payload, unused in breakdown.get("btrees", []):
            print(f"  b-tree {name:28} {int(pages):>12,} bytes in pages, payload {int(payload):>12,}, "
                  f"unused {int(unused):>10,}")
        goal = 0.6
        got = metricsd["file_bytes"] / samples
        print(f"\ngoal <= {goal} bytes/sample on disk: metricsd {got:.3f} -> "
              f"{'met' if got <= goal else 'NOT met'}; ratio to Prometheus {got / base:.2f}")
        print(f"times: promtool {prometheus['seconds']:.1f} s, metricsd bench {metricsd['seconds']:.1f} s"
              + (f", VictoriaMetrics import {victoria['seconds']:.1f} s" if victoria else ""))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
