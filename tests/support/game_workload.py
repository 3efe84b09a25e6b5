"""The shipped example workload: the game's StatsD traffic, and a metricsd config receiving it.

The lines are shaped by the shipped mapping (config/examples/statsd-game.yaml, which loads
config/examples/statsd-mapping/game.yaml), so that every game family it defines has series:

    battle.<phase>.duration:<ms>|ms          game_battle_phase_duration_seconds{phase}
    battle.result.<outcome>:1|c              game_battles_total{outcome}
    db.<table>.<op>:<ms>|ms                  game_db_query_duration_seconds{table,op}
    ao.handler.<process>.<Action>:<ms>|ms    game_ao_handler_duration_seconds{process,action}
    ui.ao_rtt.<Action>:<ms>|ms               game_ui_ao_latency_seconds{action}
    ui.frame_time:<ms>|ms                    game_ui_frame_seconds
    session.<region>.players:<n>|g           game_players{region}
    debug.<name>:<n>|c                       dropped by the mapping (a small share)

Interface (used by tests/e2e/grafana_dashboards_test.py and the dashboard's browser test; keep it):

    statsd_lines(rng, count) -> list[bytes]
        `count` game lines with realistic random values (rng: a random.Random). Timings are
        log-normal around a per-kind typical value; players per region stay within 2% of a
        per-region level, so the gauge barely moves between two samplers' instants.
    send_udp(port, seconds, rate, seed=1) -> int
        Sends lines to 127.0.0.1:port at `rate` lines/s for `seconds` (bounded: it returns at
        the end of `seconds` whatever happens), in packets of up to 20 lines; returns the
        number of lines sent.
    metricsd_config(statsd_port, history_dir, probe_url=None) -> str
        A metricsd YAML config: history at history_dir (sampled every 5 s), a UDP StatsD
        listener on 127.0.0.1:statsd_port with the game mapping (absolute path), and when
        probe_url is given an HTTP probe target `game-web` on it (every 10 s: slower than the
        5 s sampling, so two samplers a few seconds apart see the same probe results) so that
        the probe_* series exist. It also loads the game's shipped alerting rules
        (config/examples/alerts.yaml, every 15 s; no Alertmanager), so metricsd_rule_* exist.
    ProbeTarget
        Context manager: a tiny HTTP server on 127.0.0.1 (kernel-chosen port) in a thread,
        answering 200 "ok" to every GET and HEAD; `.url` is its address.

Standard library only (the tests run with /usr/bin/python3 without extras).
"""
import http.server
import json
import math
import os
import random
import socket
import threading
import time

SOURCE_DIR = os.environ.get("METRICSD_SOURCE_DIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MAPPING_FILE = os.path.join(SOURCE_DIR, "config", "examples", "statsd-mapping", "game.yaml")
RULES_FILE = os.path.join(SOURCE_DIR, "config", "examples", "alerts.yaml")

# AO processes of the game and the Actions each handles, with a typical handler time (ms).
AO_HANDLERS = {
    "battle": {"Attack": 40.0, "Move": 12.0, "Info": 4.0, "Resolve": 90.0},
    "inventory": {"Transfer": 25.0, "Balance": 3.0, "Equip": 15.0},
    "matchmaker": {"Join": 30.0, "Leave": 8.0, "Info": 3.0},
}
# Actions the UI sends to AO, with a typical round trip (ms): network + MU + CU.
UI_ACTIONS = {"Attack": 450.0, "Move": 300.0, "Join": 700.0, "Transfer": 550.0, "Balance": 250.0}
# Battle phases and their typical time (ms).
BATTLE_PHASES = {"matchmaking": 800.0, "load": 300.0, "simulate": 120.0, "resolve": 40.0,
                 "reward": 15.0}
BATTLE_OUTCOMES = {"win": 0.45, "loss": 0.45, "draw": 0.10}
# DB tables and the operations each sees, with a typical query time (ms).
DB_QUERIES = {
    ("players", "select"): 1.2, ("players", "update"): 3.0, ("players", "upsert"): 4.0,
    ("inventory", "select"): 1.5, ("inventory", "insert"): 2.5, ("inventory", "delete"): 2.0,
    ("battles", "insert"): 5.0, ("battles", "select"): 8.0,
}
REGIONS = {"eu": 1200, "us": 900, "asia": 600}
FRAME_MS = 14.0

# Share of each kind of line in the traffic (the rest are AO handler timings).
_KINDS = [("ao", 0.40), ("db", 0.20), ("frame", 0.15), ("ui", 0.10), ("phase", 0.07),
          ("result", 0.04), ("players", 0.03), ("debug", 0.01)]


def _ms(rng, typical, sigma=0.5):
    """A log-normal time around `typical` ms, as text with 3 decimals."""
    return f"{typical * math.exp(rng.gauss(0.0, sigma)):.3f}"


def _line(rng, kind):
    if kind == "ao":
        process = rng.choice(sorted(AO_HANDLERS))
        action = rng.choice(sorted(AO_HANDLERS[process]))
        return f"ao.handler.{process}.{action}:{_ms(rng, AO_HANDLERS[process][action])}|ms"
    if kind == "db":
        table, op = rng.choice(sorted(DB_QUERIES))
        return f"db.{table}.{op}:{_ms(rng, DB_QUERIES[(table, op)], 0.7)}|ms"
    if kind == "frame":
        # Mostly 60 fps, sometimes a hitch.
        typical = FRAME_MS if rng.random() < 0.95 else 45.0
        return f"ui.frame_time:{_ms(rng, typical, 0.25)}|ms"
    if kind == "ui":
        action = rng.choice(sorted(UI_ACTIONS))
        return f"ui.ao_rtt.{action}:{_ms(rng, UI_ACTIONS[action], 0.4)}|ms"
    if kind == "phase":
        phase = rng.choice(sorted(BATTLE_PHASES))
        return f"battle.{phase}.duration:{_ms(rng, BATTLE_PHASES[phase], 0.4)}|ms"
    if kind == "result":
        pick, total = rng.random(), 0.0
        for outcome, share in BATTLE_OUTCOMES.items():
            total += share
            if pick < total:
                break
        return f"battle.result.{outcome}:1|c"
    if kind == "players":
        region = rng.choice(sorted(REGIONS))
        level = REGIONS[region]
        return f"session.{region}.players:{round(level * (1 + rng.uniform(-0.02, 0.02)))}|g"
    return f"debug.{rng.choice(['gc_pause', 'cache_miss'])}:1|c"


def statsd_lines(rng, count):
    """`count` StatsD lines of the game (bytes, no newline), mapped by the shipped mapping."""
    kinds = [k for k, _ in _KINDS]
    weights = [w for _, w in _KINDS]
    lines = []
    for _ in range(count):
        lines.append(_line(rng, rng.choices(kinds, weights)[0]).encode())
    return lines


def send_udp(port, seconds, rate, seed=1):
    """Sends game lines to 127.0.0.1:port at `rate` lines/s for `seconds`; returns lines sent."""
    rng = random.Random(seed)
    per_packet = 20
    # A packet every `tick` seconds keeps the rate smooth; at low rates packets get smaller.
    packets_per_second = max(1.0, min(rate / per_packet * 2, 200.0))
    tick = 1.0 / packets_per_second
    start = time.monotonic()
    end = start + seconds
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        # The first packet carries one line of each family kind, so every family exists at once.
        first = [_line(rng, kind).encode() for kind, _ in _KINDS]
        sock.sendto(b"\n".join(first), ("127.0.0.1", port))
        sent += len(first)
        while True:
            now = time.monotonic()
            if now >= end:
                break
            due = int((now - start) * rate) + len(first)
            while sent < due and time.monotonic() < end:
                batch = statsd_lines(rng, min(per_packet, due - sent))
                try:
                    sock.sendto(b"\n".join(batch), ("127.0.0.1", port))
                except OSError:
                    pass  # a full socket buffer: the line is lost as UDP would lose it
                sent += len(batch)
            time.sleep(min(tick, max(0.0, end - time.monotonic())))
    return sent


def metricsd_config(statsd_port, history_dir, probe_url=None):
    """The YAML config of a metricsd receiving the game's StatsD (and probing probe_url)."""
    text = (f"history: {{path: {json.dumps(str(history_dir))}, interval: 5s}}\n"
            "statsd:\n"
            "  listeners:\n"
            f"    - udp: 127.0.0.1:{int(statsd_port)}\n"
            f"  mapping_file: {json.dumps(MAPPING_FILE)}\n"
            # The game's shipped alerting rules, evaluated every 15 s (no Alertmanager).
            "alerting:\n"
            "  evaluation_interval: 15s\n"
            f"  rule_files: [{json.dumps(RULES_FILE)}]\n")
    if probe_url:
        text += ("probes:\n"
                 "  targets:\n"
                 "    - name: game-web\n"
                 "      type: http\n"
                 f"      url: {json.dumps(probe_url)}\n"
                 "      interval: 10s\n"
                 "      timeout: 2s\n")
    return text


class _OkHandler(http.server.BaseHTTPRequestHandler):
    def _answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def do_GET(self):  # noqa: N802 (http.server's name)
        self._answer(True)

    def do_HEAD(self):  # noqa: N802
        self._answer(False)

    def log_message(self, *args):
        pass


class ProbeTarget:
    """An HTTP server on 127.0.0.1 answering 200 "ok"; `.url`. Use as a context manager."""

    def __init__(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OkHandler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/healthz"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
