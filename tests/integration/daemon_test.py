"""Integration tests: the built metricsd binary over real sockets on 127.0.0.1."""
import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import BIN, Daemon, parse_exposition, require_tool, wait_until  # noqa: E402

# statsd_exporter's gauge of series held keeps its name (the issue asks for it), though the
# lint wants no _total on a gauge.
GOOD_CONFIG = "web:\n  max_connections: 16\n"
BROKEN_CONFIG = "web:\n  max_connections: 16\n  listen_adress: 127.0.0.1:1\n"


class ExpositionTest(unittest.TestCase):
    def test_metrics_pass_promtool_with_no_lint_findings(self):
        promtool = require_tool("promtool")
        with Daemon(GOOD_CONFIG) as d:
            d.get("/-/healthy")  # so request counters and histograms have samples
            status, headers, body = d.get("/metrics")
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
            check = subprocess.run([promtool, "check", "metrics"], input=body,
                                   capture_output=True, timeout=60)
            # promtool exits 1 on errors and 3 on lint findings only. Our own families have no
            # finding; families copied from node_exporter keep its names even where the lint
            # dislikes them (the camelCase node_memory_MemTotal_bytes, node_netstat_Tcp_InSegs).
            self.assertIn(check.returncode, (0, 3), check.stdout + check.stderr)
            findings = (check.stdout + check.stderr).decode().splitlines()
            ours = [f for f in findings if not f.startswith("node_")]
            self.assertEqual(ours, [])

    def test_self_metrics_are_served_through_sources(self):
        with Daemon(GOOD_CONFIG) as d:
            d.get("/-/healthy")
            samples = d.samples()
            build = [k for k in samples if k.startswith("metricsd_build_info{")]
            self.assertEqual(len(build), 1, build)
            self.assertIn('version="', build[0])
            self.assertIn('compiler="', build[0])
            self.assertEqual(samples['metricsd_collector_success{collector="process"}'], 1)
            self.assertIn('metricsd_collector_duration_seconds{collector="process"}', samples)
            self.assertEqual(samples["metricsd_config_last_reload_successful"], 1)
            self.assertGreater(samples["metricsd_config_last_reload_success_timestamp_seconds"],
                               time.time() - 60)
            self.assertGreaterEqual(
                samples['metricsd_http_requests_total{code="200",handler="/-/healthy"}'], 1)
            self.assertGreaterEqual(
                samples['metricsd_http_request_duration_seconds_count{handler="/-/healthy"}'], 1)
            self.assertGreater(samples["process_resident_memory_bytes"], 1e5)
            self.assertGreater(samples["process_open_fds"], 2)
            self.assertGreater(samples["process_start_time_seconds"], time.time() - 600)

    def test_gzip_when_asked_and_plain_otherwise(self):
        with Daemon(GOOD_CONFIG) as d:
            status, headers, zipped = d.get("/metrics", {"Accept-Encoding": "gzip"})
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-encoding"), "gzip")
            text = gzip.decompress(zipped).decode()
            self.assertIn("# TYPE metricsd_build_info gauge", text)
            status, headers, plain = d.get("/metrics", {"Accept-Encoding": "identity"})
            self.assertNotIn("content-encoding", headers)
            self.assertIn(b"# TYPE metricsd_build_info gauge", plain)


class EndpointTest(unittest.TestCase):
    def test_endpoints_methods_and_unknown_paths(self):
        with Daemon(GOOD_CONFIG) as d:
            self.assertEqual(d.get("/-/healthy")[0], 200)
            self.assertEqual(d.get("/-/ready")[0], 200)
            # `/` is the dashboard: its page loads only the daemon's own scripts.
            status, headers, body = d.get("/")
            self.assertEqual(status, 200)
            self.assertIn(b'src="/assets/app.js"', body)
            self.assertIn("default-src 'self'", headers["content-security-policy"])
            status, _, body = d.get("/api/v1/dashboard")
            dashboard = json.loads(body)["data"]
            self.assertEqual(dashboard["config_file"], d.config_path)
            self.assertIn("/metrics", [e["path"] for e in dashboard["endpoints"]])
            status, _, body = d.get("/api/v1/status/config")
            self.assertEqual(status, 200)
            answer = json.loads(body)
            self.assertEqual(answer["status"], "success")
            self.assertEqual(answer["data"]["file"], d.config_path)
            # The effective config as YAML (never the file's text, which may hold secrets).
            self.assertIn("max_connections: 16\n", answer["data"]["yaml"])
            self.assertEqual(answer["data"]["config"]["web"]["max_connections"], 16)
            self.assertEqual(d.get("/nope")[0], 404)
            self.assertEqual(d.get("/assets/nope.js")[0], 404)
            status, headers, _ = d.request("POST", "/metrics")
            self.assertEqual(status, 405)
            self.assertEqual(headers["allow"], "GET")
            self.assertEqual(d.get("/-/reload")[0], 405)
            self.assertEqual(d.request("HEAD", "/metrics")[0], 200)
            samples = d.samples()
            self.assertGreaterEqual(samples['metricsd_http_requests_total{code="404",handler="other"}'], 1)
            self.assertGreaterEqual(samples['metricsd_http_requests_total{code="405",handler="/metrics"}'], 1)

    def test_dashboard_off_serves_the_plain_endpoint_list(self):
        with Daemon("dashboard: {enabled: false}\n") as d:
            status, _, body = d.get("/")
            self.assertEqual(status, 200)
            self.assertIn(b'href="/metrics"', body)
            self.assertIn(d.config_path.encode(), body)
            self.assertEqual(d.get("/assets/app.js")[0], 404)


class ReloadTest(unittest.TestCase):
    def test_sighup_with_broken_file_keeps_serving_then_recovers(self):
        with Daemon(GOOD_CONFIG) as d:
            first_success = d.samples()["metricsd_config_last_reload_success_timestamp_seconds"]
            d.write_config(BROKEN_CONFIG)
            mark = len(d.lines)
            d.send_signal(signal.SIGHUP)
            error = d.wait_for_log(r"config reload failed.*", start=mark, what="reload error")
            self.assertIn(f"{d.config_path}:3:3: web.listen_adress: unknown key "
                          "(did you mean listen_address?)".replace('"', '\\"'), error.group(0))
            samples = d.samples()  # still serving
            self.assertEqual(samples["metricsd_config_last_reload_successful"], 0)
            self.assertEqual(samples["metricsd_config_last_reload_success_timestamp_seconds"],
                             first_success)
            running = json.loads(d.get("/api/v1/status/config")[2])
            self.assertIn("max_connections: 16\n", running["data"]["yaml"])  # the old config runs on

            fixed = "web:\n  max_connections: 12\n"
            d.write_config(fixed)
            time.sleep(0.01)  # a visibly later success timestamp
            d.send_signal(signal.SIGHUP)
            wait_until(lambda: d.samples()["metricsd_config_last_reload_successful"] == 1,
                       what="reload success")
            samples = d.samples()
            self.assertGreater(samples["metricsd_config_last_reload_success_timestamp_seconds"],
                               first_success)
            running = json.loads(d.get("/api/v1/status/config")[2])
            self.assertEqual(running["data"]["config"]["web"]["max_connections"], 12)

    def test_reload_applies_new_web_limits_to_the_running_server(self):
        # read_timeout defaults to 10s
        with Daemon(GOOD_CONFIG, args=["--web.enable-lifecycle"]) as d:
            d.write_config("web:\n  read_timeout: 500ms\n")
            self.assertEqual(d.request("POST", "/-/reload")[0], 200)
            idle = socket.create_connection(("127.0.0.1", d.port))
            idle.settimeout(5)
            start = time.monotonic()
            self.assertEqual(idle.recv(100), b"")  # closed by the new read_timeout
            self.assertLess(time.monotonic() - start, 4)
            idle.close()

    def test_post_reload_reports_the_error_and_the_success(self):
        with Daemon(GOOD_CONFIG, args=["--web.enable-lifecycle"]) as d:
            d.write_config("web:\n  read_timeout: soon\n")
            status, _, body = d.request("POST", "/-/reload")
            self.assertEqual(status, 500)
            self.assertIn(f"{d.config_path}:2:17: web.read_timeout: invalid duration".encode(), body)
            self.assertEqual(d.samples()["metricsd_config_last_reload_successful"], 0)
            d.write_config(GOOD_CONFIG)
            status, _, body = d.request("POST", "/-/reload")
            self.assertEqual((status, body), (200, b"config reloaded\n"))
            self.assertEqual(d.samples()["metricsd_config_last_reload_successful"], 1)


class LifecycleTest(unittest.TestCase):
    def test_notify_socket_gets_ready_watchdog_reloading_and_stopping(self):
        with _NotifySocket() as notify:
            env = {"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"}
            with Daemon(GOOD_CONFIG, env=env) as d:
                messages = notify.collect_until(lambda m: m.count("WATCHDOG=1") >= 3)
                self.assertTrue(any(m.startswith("READY=1") for m in messages), messages)
                d.send_signal(signal.SIGHUP)
                messages = notify.collect_until(lambda m: any(x.startswith("RELOADING=1") for x in m))
                reloading = [x for x in messages if x.startswith("RELOADING=1")][0]
                self.assertRegex(reloading, r"^RELOADING=1\nMONOTONIC_USEC=\d+$")
                self.assertEqual(d.stop(), 0)
                messages = notify.collect_until(lambda m: "STOPPING=1" in m)
                self.assertIn("STOPPING=1", messages)

    def test_sigterm_exits_zero_within_five_seconds_with_an_idle_connection_open(self):
        with Daemon(GOOD_CONFIG) as d:
            idle = socket.create_connection(("127.0.0.1", d.port))
            partial = socket.create_connection(("127.0.0.1", d.port))
            partial.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never finished
            d.get("/metrics")
            start = time.monotonic()
            self.assertEqual(d.stop(signal.SIGTERM), 0)
            self.assertLess(time.monotonic() - start, 5.0)
            idle.close()
            partial.close()

    def test_sigint_exits_zero(self):
        with Daemon(GOOD_CONFIG) as d:
            self.assertEqual(d.stop(signal.SIGINT), 0)

    def test_bad_config_at_startup_is_fatal(self):
        with Daemon(BROKEN_CONFIG, listen=False) as d:
            self.assertEqual(d.proc.wait(timeout=10), 1)
            d.wait_for_log(r"level=error msg=\"cannot load config\".*:3:3: web.listen_adress")

    def test_address_in_use_is_fatal(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            with Daemon(GOOD_CONFIG, args=[f"--web.listen-address=127.0.0.1:{port}"],
                        listen=False) as d:
                self.assertEqual(d.proc.wait(timeout=10), 1)
                d.wait_for_log(r"cannot listen")

    def test_json_log_format(self):
        with Daemon(GOOD_CONFIG, args=["--log.format=json", "--log.level=debug"]) as d:
            d.stop()
            parsed = [json.loads(line) for line in d.lines if line.strip()]
            self.assertTrue(any(p["msg"] == "listening" for p in parsed))
            self.assertTrue(all({"ts", "level", "msg"} <= p.keys() for p in parsed))


class LimitsTest(unittest.TestCase):
    def test_oversized_header_and_body_are_refused(self):
        with Daemon(GOOD_CONFIG) as d:
            status, _, _ = d.get("/metrics", {"X-Big": "a" * 20000})
            self.assertEqual(status, 431)
            # Bodies are read up to the largest route limit (statsd.http.max_body_bytes, 1 MiB).
            # Announce 2 MiB and send none: the server answers from the header alone (sending
            # it all would race the server's close with a broken pipe).
            with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
                s.sendall(b"POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n")
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 413"))
            self.assertGreaterEqual(d.samples()["metricsd_http_bad_requests_total"], 2)

    def test_slow_clients_do_not_stall_scrapes_and_time_out(self):
        with Daemon("web:\n  read_timeout: 1s\n") as d:
            slow = [socket.create_connection(("127.0.0.1", d.port)) for _ in range(5)]
            for s in slow:
                s.sendall(b"GET /metrics HTTP/1.1\r\n")  # headers never finish
            start = time.monotonic()
            self.assertEqual(d.get("/metrics")[0], 200)
            self.assertLess(time.monotonic() - start, 0.5)
            for s in slow:  # read_timeout closes them
                s.settimeout(5)
                self.assertEqual(s.recv(100), b"")
                s.close()

    def test_over_the_cap_the_longest_waiting_connection_makes_room(self):
        with Daemon("web:\n  max_connections: 4\n") as d:
            # One keep-alive connection counts the others, so no short-lived scrape
            # connection lingers in the count.
            held = [socket.create_connection(("127.0.0.1", d.port)) for _ in range(3)]
            counter = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)

            wait_until(lambda: parse_exposition(_scrape(counter))[
                "metricsd_http_connections_open"] == 4, what="4 open connections")
            extra = socket.create_connection(("127.0.0.1", d.port))
            extra.settimeout(5)
            extra.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertTrue(extra.recv(100).startswith(b"HTTP/1.1 200"))
            extra.close()
            held[0].settimeout(5)
            self.assertEqual(held[0].recv(100), b"")  # the oldest idle one, closed unanswered
            samples = parse_exposition(_scrape(counter))
            self.assertGreaterEqual(samples["metricsd_http_connections_evicted_total"], 1)
            self.assertEqual(samples["metricsd_http_connections_rejected_total"], 0)
            for s in held:
                s.close()
            counter.close()
            wait_until(lambda: _try_scrape(d), what="scrapes to work again")


class CommandLineTest(unittest.TestCase):
    def run_metricsd(self, *args):
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30)

    def test_check_config_accepts_a_valid_file(self):
        fixtures = os.path.join(os.environ["METRICSD_SOURCE_DIR"], "tests", "fixtures", "config")
        result = self.run_metricsd(f"--config.file={fixtures}/good.yaml", "--check-config")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS", result.stdout)

    def test_check_config_names_the_error_and_exits_1(self):
        fixtures = os.path.join(os.environ["METRICSD_SOURCE_DIR"], "tests", "fixtures", "config")
        path = f"{fixtures}/bad_unknown_key.yaml"
        result = self.run_metricsd(f"--config.file={path}", "--check-config")
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"FAILED: {path}:4:3: web.listen_adress: unknown key "
                      "(did you mean listen_address?)", result.stdout)

    def test_check_config_on_the_shipped_default(self):
        path = os.path.join(os.environ["METRICSD_SOURCE_DIR"], "config", "metricsd.yaml")
        self.assertEqual(self.run_metricsd(f"--config.file={path}", "--check-config").returncode, 0)

    def test_every_shipped_example_is_valid(self):
        examples = os.path.join(os.environ["METRICSD_SOURCE_DIR"], "config", "examples")
        # Subdirectories hold files the examples point to (statsd mapping files); rule files
        # (a top-level `groups:`) sit next to the configs and must be loaded by one of them.
        names = sorted(n for n in os.listdir(examples) if n.endswith(".yaml"))
        def is_rule_file(name):
            with open(os.path.join(examples, name)) as f:
                return re.search(r"^groups:", f.read(), re.M) is not None
        rule_files = {n for n in names if is_rule_file(n)}
        self.assertIn("alerts.yaml", rule_files)
        loaded = set()
        for name in names:
            if name in rule_files:
                continue
            result = self.run_metricsd(f"--config.file={examples}/{name}", "--check-config")
            self.assertEqual(result.returncode, 0, f"{name}: {result.stdout}")
            for found in re.finditer(r"SUCCESS: (\S+): (\d+) groups, (\d+) rules", result.stdout):
                self.assertGreater(int(found.group(3)), 0, found.group(0))
                loaded.add(os.path.basename(found.group(1)))
        self.assertEqual(loaded, rule_files)

    def test_version_help_and_bad_flags(self):
        result = self.run_metricsd("--version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^metricsd, version \d+\.\d+\.\d+ \(revision: \S+\)")
        result = self.run_metricsd("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--web.listen-address", result.stdout)
        result = self.run_metricsd("--no-such-flag")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown flag --no-such-flag", result.stderr)


def _scrape(conn):
    conn.request("GET", "/metrics")
    return conn.getresponse().read().decode()


def _try_scrape(d):
    try:
        return d.get("/-/healthy")[0] == 200
    except OSError:
        return False


class _NotifySocket:
    """A datagram socket standing in for systemd's notify socket."""

    def __enter__(self):
        import tempfile
        self.dir = tempfile.TemporaryDirectory(prefix="metricsd-notify-")
        self.path = os.path.join(self.dir.name, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        return self

    def collect_until(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not predicate(self.messages):
            if time.monotonic() > deadline:
                raise AssertionError(f"notify messages so far: {self.messages}")
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
        return self.messages

    def __exit__(self, *exc):
        self.sock.close()
        self.dir.cleanup()
        return False


if __name__ == "__main__":
    unittest.main(verbosity=2)
