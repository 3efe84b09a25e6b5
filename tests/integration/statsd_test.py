"""StatsD over real sockets against the built binary: UDP, TCP, unixgram and HTTP lines, the
exact exposition they produce, drops counted by reason, conflicts, ttl, the series cap,
CORS, reload of the mapping, and --check-config on mapping files."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import BIN, Daemon, require_tool, wait_until  # noqa: E402

MAPPING = """
mappings:
  - match: battle.*.duration
    name: battle_phase_seconds
    observer_type: histogram
    histogram_options: {buckets: [0.05, 0.1, 0.5]}
    labels: {phase: "$1"}
  - match: 'db\\.(\\w+)\\.(\\w+)'
    match_type: regex
    name: db_query_seconds
    observer_type: histogram
    histogram_options: {buckets: [0.001, 0.01]}
    labels: {table: "$1", op: "$2"}
  - match: noisy.*
    action: drop
  - match: short.*
    name: short_lived_$1
    ttl: 1s
"""

CONFIG = """
host: {enabled: false}
statsd:
  max_series: 50
  mapping_file: mapping.yaml
  http:
    allowed_origins: ["http://game.example"]
    max_body_bytes: 2048
"""


def address(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class StatsdDaemon(Daemon):
    def __init__(self, config=CONFIG, mapping=MAPPING, args=()):
        self._mapping = mapping
        super().__init__(config, args=args)

    def write_config(self, text):
        with open(os.path.join(os.path.dirname(self.config_path), "mapping.yaml"), "w") as f:
            f.write(self._mapping)
        super().write_config(text)

    def udp(self, payload):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(payload.encode(), address(self.statsd["udp"]))

    def tcp(self, payload):
        with socket.create_connection(address(self.statsd["tcp"]), timeout=5) as s:
            s.sendall(payload.encode())

    def wait_for(self, key, value):
        wait_until(lambda: self.samples().get(key) == value, timeout=10, what=f"{key} == {value}")
        return self.samples()


class IngestionTest(unittest.TestCase):
    def test_every_transport_and_the_exact_exposition(self):
        sock_dir = tempfile.TemporaryDirectory(prefix="metricsd-sock-")
        self.addCleanup(sock_dir.cleanup)
        sock = os.path.join(sock_dir.name, "statsd.sock")
        with StatsdDaemon(args=["--statsd.listen-udp=127.0.0.1:0", "--statsd.listen-tcp=127.0.0.1:0",
                                f"--statsd.listen-unixgram={sock}"]) as d:
            self.assertEqual(oct(os.stat(sock).st_mode & 0o777), "0o660")
            d.udp("battle.attack.duration:75|ms\nbattle.attack.duration:250|ms|@0.5\nhits:1|c")
            d.tcp("db.users.select:5|ms|#shard:1\nhits:2|c\n")
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                s.sendto(b"hits:3|c\nfps:59.5|g", sock)
            status, _, body = d.request("POST", "/api/v1/statsd", body=b"hits:4|c\nui.rtt:42|ms|#region:eu\nbad")
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body), {"accepted": 2, "rejected": 1})
            s = d.wait_for("hits", 10.0)
            text = d.metrics()
            self.assertIn("# TYPE battle_phase_seconds histogram\n"
                          "battle_phase_seconds_count{phase=\"attack\"} 3\n"
                          "battle_phase_seconds_sum{phase=\"attack\"} 0.575\n"
                          "battle_phase_seconds_bucket{phase=\"attack\",le=\"0.05\"} 0\n"
                          "battle_phase_seconds_bucket{phase=\"attack\",le=\"0.1\"} 1\n"
                          "battle_phase_seconds_bucket{phase=\"attack\",le=\"0.5\"} 3\n"
                          "battle_phase_seconds_bucket{phase=\"attack\",le=\"+Inf\"} 3\n", text)
            self.assertIn("# TYPE hits counter\nhits 10\n", text)
            self.assertIn("# TYPE fps gauge\nfps 59.5\n", text)
            self.assertEqual(s['db_query_seconds_bucket{op="select",shard="1",table="users",le="0.01"}'], 1)
            self.assertEqual(s['ui_rtt{region="eu",quantile="0.5"}'], 0.042)  # default observer: summary
            self.assertEqual(s["metricsd_statsd_tcp_connections_total"], 1)
            self.assertEqual(s["metricsd_statsd_unixgram_packets_total"], 1)
            self.assertEqual(s["metricsd_statsd_http_requests_total"], 1)
            self.assertGreaterEqual(s["metricsd_statsd_udp_packets_total"], 1)
            self.assertEqual(s['metricsd_statsd_sample_errors_total{reason="malformed_line"}'], 1)
            self.assertEqual(s["metricsd_statsd_udp_kernel_drops_total"], 0)

            promtool = require_tool("promtool")
            check = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                                   capture_output=True, timeout=60)
            self.assertIn(check.returncode, (0, 3), check.stdout + check.stderr)
            findings = [f for f in (check.stdout + check.stderr).decode().splitlines()
                        if f.startswith("metricsd_statsd")]
            self.assertEqual(findings, [])
            self.assertEqual(d.stop(), 0)
        self.assertFalse(os.path.exists(sock), "a graceful stop removes the socket file")

    def test_datagrams_past_the_receive_slot_arrive_whole(self):
        # The receiver packs datagrams into 2 KiB slots and spills a bigger one into its own
        # 64 KiB region: exactly a slot, one byte over, and 32 KiB must all arrive whole.
        with StatsdDaemon() as d:
            at_slot = "big:1|c\n" * 255 + "big:11|c"      # 2048 bytes
            over_slot = "big:1|c\n" * 255 + "big:111|c"   # 2049 bytes
            large = "big:1|c\n" * 4095 + "big:1|c"       # 32767 bytes
            self.assertEqual((len(at_slot), len(over_slot), len(large)), (2048, 2049, 32767))
            for payload in (at_slot, over_slot, large, "small:1|c"):
                d.udp(payload)
            s = d.wait_for("big", 255 + 11 + 255 + 111 + 4096.0)
            self.assertEqual(s["small"], 1)
            self.assertEqual(s["metricsd_statsd_lines_total"], 256 + 256 + 4096 + 1)
            self.assertEqual(s["metricsd_statsd_sample_errors_total{reason=\"malformed_line\"}"], 0)

    def test_bad_lines_among_good_ones_keep_the_good_and_count_the_bad(self):
        with StatsdDaemon() as d:
            d.udp("good:1|c\nnocolon\ngood:x|c\nset:1|s\nnoisy.x:1|c\n_e{2,2}:ab|cd\ngood:2|c|@bar\n"
                  "good:1|c:1|g\ngood:1|c|#a:b,broken")
            s = d.wait_for('metricsd_statsd_lines_total', 9.0)
            self.assertEqual(s["good"], 4.0)  # @bar: counted as an error, kept at rate 1
            self.assertEqual(s['metricsd_statsd_sample_errors_total{reason="malformed_line"}'], 1)
            self.assertEqual(s['metricsd_statsd_sample_errors_total{reason="malformed_value"}'], 1)
            self.assertEqual(s['metricsd_statsd_sample_errors_total{reason="illegal_event"}'], 1)
            self.assertEqual(s['metricsd_statsd_sample_errors_total{reason="invalid_sample_factor"}'], 1)
            self.assertEqual(s['metricsd_statsd_events_error_total{reason="dropped_by_mapping"}'], 1)
            self.assertEqual(s['metricsd_statsd_dogstatsd_events_total{kind="event"}'], 1)
            # good:1|c:1|g is one counter and one conflicting gauge; the tagged line conflicts
            # on label names (and its malformed tag is counted, the sample kept until then).
            self.assertEqual(s['metricsd_statsd_events_conflict_total{type="gauge"}'], 1)
            self.assertEqual(s['metricsd_statsd_events_conflict_total{type="counter"}'], 1)
            self.assertEqual(s["metricsd_statsd_tag_errors_total"], 1)

    def test_tcp_line_over_the_limit_is_dropped_and_the_connection_stays(self):
        with StatsdDaemon(CONFIG.replace("max_series: 50", "max_series: 50\n  max_line_length: 64")) as d:
            with socket.create_connection(address(d.statsd["tcp"]), timeout=5) as s:
                s.sendall(("x" * 200 + ":1|c\n").encode())
                s.sendall(b"after:1|c\npartial")
                time.sleep(0.2)
                s.sendall(b":5|c\n")
            s = d.wait_for("partial", 5.0)
            self.assertEqual(s["after"], 1.0)
            self.assertEqual(s['metricsd_statsd_sample_errors_total{reason="line_too_long"}'], 1)

    def test_ttl_expires_series_not_updated(self):
        with StatsdDaemon() as d:
            d.udp("short.a:1|c\nshort.b:1|c")
            d.wait_for("short_lived_b", 1.0)
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                d.udp("short.b:1|c")  # b stays fresh, a goes stale
                s = d.samples()
                if "short_lived_a" not in s:
                    break
                time.sleep(0.3)
            self.assertNotIn("short_lived_a", s)
            self.assertIn("short_lived_b", s)

    def test_series_cap_drops_new_series_and_keeps_old_ones_updating(self):
        with StatsdDaemon(CONFIG.replace("max_series: 50", "max_series: 3")) as d:
            d.udp("a:1|c\nb:1|c\nc:1|c")
            d.wait_for("c", 1.0)
            d.udp("d:1|c\ne:1|c\na:5|c")
            s = d.wait_for("a", 6.0)
            self.assertNotIn("d", s)
            self.assertEqual(s['metricsd_statsd_series_dropped_total{reason="max_series"}'], 2)
            self.assertEqual(s['metricsd_statsd_series{type="counter"}'], 3)


class HttpIngestionTest(unittest.TestCase):
    def test_cors_allows_only_configured_origins(self):
        with StatsdDaemon() as d:
            status, headers, _ = d.request("OPTIONS", "/api/v1/statsd", headers={
                "Origin": "http://game.example", "Access-Control-Request-Method": "POST"})
            self.assertEqual(status, 204)
            self.assertEqual(headers["access-control-allow-origin"], "http://game.example")
            self.assertEqual(headers["access-control-allow-methods"], "POST")
            status, headers, _ = d.request("POST", "/api/v1/statsd", body=b"ui.frame:16|ms",
                                           headers={"Origin": "http://game.example"})
            self.assertEqual(status, 200)
            self.assertEqual(headers["access-control-allow-origin"], "http://game.example")
            status, _, _ = d.request("POST", "/api/v1/statsd", body=b"evil:1|c",
                                     headers={"Origin": "http://evil.example"})
            self.assertEqual(status, 403)
            status, _, _ = d.request("OPTIONS", "/api/v1/statsd", headers={"Origin": "http://evil.example"})
            self.assertEqual(status, 403)
            self.assertNotIn("evil", d.samples())

    def test_body_over_the_limit_is_413_and_all_bad_is_400(self):
        with StatsdDaemon() as d:
            status, _, _ = d.request("POST", "/api/v1/statsd", body=b"x:1|c\n" * 1000)
            self.assertEqual(status, 413)
            status, _, body = d.request("POST", "/api/v1/statsd", body=b"nonsense\nmore")
            self.assertEqual(status, 400)
            self.assertEqual(json.loads(body), {"accepted": 0, "rejected": 2})


class MappingConfigTest(unittest.TestCase):
    def test_reload_applies_a_new_mapping_and_a_broken_one_keeps_the_old(self):
        with StatsdDaemon(args=["--web.enable-lifecycle"]) as d:
            d.udp("game.level:1|c")
            d.wait_for("game_level", 1.0)
            d._mapping = MAPPING + "  - match: game.*\n    name: renamed_$1\n"
            d.write_config(CONFIG)
            status, _, _ = d.request("POST", "/-/reload")
            self.assertEqual(status, 200)
            d.udp("game.level:1|c")
            s = d.wait_for("renamed_level", 1.0)
            self.assertEqual(s["game_level"], 1.0)  # series already there stay
            d._mapping = "mappings:\n  - match: a..b\n    name: x\n"
            d.write_config(CONFIG)
            status, _, body = d.request("POST", "/-/reload")
            self.assertEqual(status, 500)
            self.assertIn(b"mapping.yaml:2:12: mappings[0].match: invalid glob", body)
            d.udp("game.level:1|c")
            d.wait_for("renamed_level", 2.0)

    def test_check_config_names_the_mapping_files_position(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "mapping.yaml"), "w") as f:
                f.write("mappings:\n  - match: x.*\n    name: ok\n    labels: {1bad: v}\n")
            config = os.path.join(tmp, "metricsd.yaml")
            with open(config, "w") as f:
                f.write("statsd:\n  mapping_file: mapping.yaml\n")
            run = subprocess.run([BIN, "--check-config", f"--config.file={config}"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(run.returncode, 1)
            self.assertIn(os.path.join(tmp, "mapping.yaml") + ":4:20: mappings[0].labels.1bad: "
                          "invalid label name \"1bad\"", run.stdout + run.stderr)

    def test_listener_in_use_is_a_clear_start_up_error(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            run = subprocess.run([BIN, "--web.listen-address=127.0.0.1:0",
                                  "--statsd.listen-udp=", f"--statsd.listen-tcp=127.0.0.1:{port}"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(run.returncode, 1)
            self.assertIn("cannot listen for StatsD", run.stderr)


class ShippedExampleTest(unittest.TestCase):
    def test_game_mapping_example_names_what_clients_send(self):
        mapping = os.path.join(os.environ["METRICSD_SOURCE_DIR"], "config", "examples",
                               "statsd-mapping", "game.yaml")
        config = f"host: {{enabled: false}}\nstatsd:\n  mapping_file: {mapping}\n"
        with Daemon(config) as d:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"battle.resolve.duration:42|ms\nbattle.result.win:1|c\n"
                         b"db.players.select:1.5|ms\nao.handler.Q9xyz-proc_1.Transfer:120|ms\n"
                         b"ui.ao_rtt.Eval:250|ms\nui.frame_time:16|ms\nsession.eu.players:120|g\n"
                         b"debug.noise:1|c", address(d.statsd["udp"]))
            wait_until(lambda: d.samples().get("metricsd_statsd_lines_total") == 8, timeout=10,
                       what="all 8 lines")
            s = d.samples()
            self.assertEqual(s['game_battle_phase_duration_seconds_count{phase="resolve"}'], 1)
            self.assertEqual(s['game_battles_total{outcome="win"}'], 1)
            self.assertEqual(s['game_db_query_duration_seconds_bucket{op="select",table="players",le="0.0025"}'], 1)
            self.assertEqual(s['game_ao_handler_duration_seconds_sum{action="Transfer",process="Q9xyz-proc_1"}'], 0.12)
            self.assertEqual(s['game_ui_ao_latency_seconds_count{action="Eval"}'], 1)
            self.assertEqual(s['game_ui_frame_seconds_bucket{le="0.0167"}'], 1)
            self.assertEqual(s['game_players{region="eu"}'], 120)
            self.assertEqual(s['metricsd_statsd_events_error_total{reason="dropped_by_mapping"}'], 1)
            self.assertEqual(s["metricsd_statsd_events_unmapped_total"], 0)

    def test_a_second_instance_cannot_share_the_udp_port(self):
        with StatsdDaemon() as d:
            run = subprocess.run([BIN, "--web.listen-address=127.0.0.1:0", "--statsd.listen-tcp=",
                                  f"--statsd.listen-udp={d.statsd['udp']}"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(run.returncode, 1)
            self.assertIn("Address already in use", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
