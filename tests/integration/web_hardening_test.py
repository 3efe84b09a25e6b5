"""The web server as an attacker and an SRE see it, against the built binary over real sockets:
request framing (Transfer-Encoding, Expect), the lifecycle flag, idle and slowloris floods at
the connection cap, accept() out of file descriptors, and heavy scrapes that must neither stall
/-/healthy nor pin unbounded memory. Figures measured are printed to stderr ("FIGURE ...")."""
import gzip
import http.client
import os
import resource
import signal
import socket
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, parse_exposition, self_signed_cert, wait_until  # noqa: E402
from procstat import cpu_seconds, rss_kib  # noqa: E402

QUIET = "host: {enabled: false}\n"
# Time and memory bars are for release builds: under ASan/TSan (ctest --preset asan/tsan) the
# daemon is several times slower and its allocator keeps freed memory in quarantine, so those
# bars are relaxed (time) or only reported (memory), and the FIGURE lines say so.
SANITIZED = any(name in os.environ for name in ("ASAN_OPTIONS", "TSAN_OPTIONS"))
SLOWDOWN = 10 if SANITIZED else 1
LIFECYCLE = ["--web.enable-lifecycle"]


def figure(name, value):
    note = " (sanitizer build)" if SANITIZED else ""
    print(f"FIGURE {name} {value}{note}", file=sys.stderr, flush=True)


def exchange(port, data, timeout=10.0):
    """Sends raw bytes; returns everything received until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return received
            received += chunk


def timed_get(port, path, headers=None, timeout=10.0):
    """(status, seconds, body) of one request on a new connection."""
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, time.monotonic() - start, body
    finally:
        conn.close()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class FramingTest(unittest.TestCase):
    def test_transfer_encoding_other_than_chunked_is_400_and_the_body_never_runs(self):
        with Daemon(QUIET) as d:
            smuggled = b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
            for coding in (b"chunked, identity", b"identity", b"gzip, chunked"):
                answer = exchange(d.port, b"POST /api/v1/statsd HTTP/1.1\r\nHost: x\r\n"
                                  b"Transfer-Encoding: " + coding + b"\r\n\r\n" + smuggled)
                self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer)
                self.assertEqual(answer.count(b"HTTP/1.1 "), 1, answer)  # and then closed
            both = exchange(d.port, b"POST /api/v1/statsd HTTP/1.1\r\nHost: x\r\n"
                            b"Transfer-Encoding: chunked\r\nContent-Length: 18\r\n\r\n"
                            b"e\r\nframing_test:1|c\r\n0\r\n\r\n")
            self.assertTrue(both.startswith(b"HTTP/1.1 400"), both)
            self.assertNotIn("framing_test", d.metrics())
            chunked = exchange(d.port, b"POST /api/v1/statsd HTTP/1.1\r\nHost: x\r\n"
                               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                               b"10\r\nframing_test:1|c\r\n0\r\n\r\n")
            self.assertTrue(chunked.startswith(b"HTTP/1.1 200"), chunked)
            wait_until(lambda: "framing_test" in d.metrics(), what="the chunked line")

    def test_expect_100_continue(self):
        with Daemon(QUIET) as d:
            body = b"expect_test:1|c\n"
            with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
                s.sendall(b"POST /api/v1/statsd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
                interim = b""
                while not interim.endswith(b"\r\n\r\n"):
                    chunk = s.recv(1)
                    self.assertTrue(chunk, interim)
                    interim += chunk
                self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
                s.sendall(body)
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))
            # Too large: 413 from the header alone, no 100 Continue.
            answer = exchange(d.port, b"POST /api/v1/statsd HTTP/1.1\r\nHost: x\r\n"
                              b"Expect: 100-continue\r\nContent-Length: 104857600\r\n\r\n")
            self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer)


class LifecycleTest(unittest.TestCase):
    def test_reload_over_http_needs_the_flag_sighup_does_not(self):
        with Daemon(QUIET) as d:
            status, _, body = d.request("POST", "/-/reload")
            self.assertEqual((status, body), (403, b"Lifecycle API is not enabled.\n"))
            mark = len(d.lines)
            d.send_signal(signal.SIGHUP)
            d.wait_for_log("config reloaded", start=mark, what="SIGHUP to reload")
        with Daemon(QUIET, args=LIFECYCLE) as d:
            self.assertEqual(d.request("POST", "/-/reload")[:3:2], (200, b"config reloaded\n"))


class ConnectionsTest(unittest.TestCase):
    def test_500_idle_and_slowloris_connections_do_not_lock_scrapes_out(self):
        with Daemon() as d:  # the default config: max_connections 64
            held = []
            try:
                for i in range(500):
                    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
                    if i % 2:  # slowloris: a header that never ends
                        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
                    held.append(s)
                durations = []
                for _ in range(100):
                    status, seconds, _ = timed_get(d.port, "/metrics")
                    self.assertEqual(status, 200)
                    durations.append(seconds)
                p99 = percentile(durations, 0.99)
                figure("scrape_p99_seconds_with_500_idle_or_slowloris", f"{p99:.4f}")
                figure("scrape_max_seconds_with_500_idle_or_slowloris", f"{max(durations):.4f}")
                self.assertLess(p99, 1.0 * SLOWDOWN)
                samples = d.samples()
                self.assertGreaterEqual(samples["metricsd_http_connections_evicted_total"], 400)
                self.assertLessEqual(samples["metricsd_http_connections_open"], 66)
            finally:
                for s in held:
                    s.close()

    def test_out_of_file_descriptors_backs_off_logs_rarely_and_recovers(self):
        # Started with a soft limit below the hard one, the daemon raises it.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.assertGreater(hard, 256, "the test needs a hard RLIMIT_NOFILE above 256")
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        try:
            d = Daemon(QUIET)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        with d:
            self.assertEqual(resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE), (hard, hard))
            # Then leave it a few descriptors only, and take them all.
            in_use = len(os.listdir(f"/proc/{d.proc.pid}/fd"))
            resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (in_use + 8, in_use + 8))
            clients = [socket.create_connection(("127.0.0.1", d.port), timeout=10)
                       for _ in range(40)]
            try:
                d.wait_for_log("accept failed", what="accept() to fail")
                time.sleep(0.5)
                lines_before, cpu_before = len(d.lines), cpu_seconds(d.proc.pid)
                time.sleep(4)
                cpu = cpu_seconds(d.proc.pid) - cpu_before
                logged = sum("accept failed" in line for line in d.lines[lines_before:])
                figure("cpu_seconds_in_4s_out_of_fds", f"{cpu:.2f}")
                figure("accept_log_lines_in_4s_out_of_fds", logged)
                self.assertLess(cpu, 0.4 * SLOWDOWN)
                self.assertLessEqual(logged, 6)
                self.assertGreaterEqual(logged, 2)  # still said, once a second, with a count
                last = [line for line in d.lines if "accept failed" in line][-1]
                self.assertRegex(last, r"failures=\"?\d+")
            finally:
                for c in clients:
                    c.close()
            # Once the connections close, it serves again.
            wait_until(lambda: _scrape_ok(d.port), timeout=15, what="scrapes to work again")
            self.assertGreater(d.samples()["metricsd_http_accept_errors_total"], 0)


class TlsTest(unittest.TestCase):
    def test_bad_handshakes_are_counted_quietly_and_never_hold_a_slot(self):
        with Daemon("host: {enabled: false}\nweb:\n  max_connections: 4\n",
                    args=["--log.level=debug"]) as d:
            cert, key = self_signed_cert(d.dir.name)
            with open(os.path.join(d.dir.name, "web.yml"), "w") as f:
                f.write(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
            d.write_config("host: {enabled: false}\nweb:\n  max_connections: 4\n"
                           "  config_file: web.yml\n")
            mark = len(d.lines)
            d.send_signal(signal.SIGHUP)
            d.wait_for_log("config reloaded", start=mark, what="TLS to be configured")
            context = ssl.create_default_context(cafile=cert)

            def https_get(path):
                conn = http.client.HTTPSConnection("127.0.0.1", d.port, timeout=10,
                                                   context=context)
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    return response.status, response.read()
                finally:
                    conn.close()

            # Plain HTTP to the TLS port: the handshake fails, the connection closes.
            answer = exchange(d.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertFalse(answer.startswith(b"HTTP/1.1 200"), answer)
            # Ten sockets that never start a handshake do not lock HTTPS scrapes out.
            silent = [socket.create_connection(("127.0.0.1", d.port)) for _ in range(10)]
            try:
                for _ in range(5):
                    status, body = https_get("/metrics")
                    self.assertEqual(status, 200)
            finally:
                for s in silent:
                    s.close()
            samples = parse_exposition(body.decode())
            self.assertGreaterEqual(samples["metricsd_http_bad_requests_total"], 1)
            self.assertGreaterEqual(samples["metricsd_http_connections_evicted_total"], 6)
            handshake_lines = [line for line in d.lines if "TLS handshake failed" in line]
            self.assertTrue(handshake_lines)
            self.assertTrue(all("level=debug" in line for line in handshake_lines),
                            handshake_lines)


def _scrape_ok(port):
    try:
        return timed_get(port, "/-/healthy", timeout=2)[0] == 200
    except OSError:
        return False


SERIES = 100_000
# Long enough for the test to see the non-readers still holding their slots (a sanitizer
# build renders and sends several times slower), short enough to see them closed.
WRITE_TIMEOUT = 10 if SANITIZED else 3
# History is off: its sampler would keep 100k series' samples resident and hide whether the
# web server returns the memory of the scrapes this class measures.
LOAD_CONFIG = f"""
host: {{enabled: false}}
history: {{enabled: false}}
web:
  max_requests: 4
  write_timeout: {WRITE_TIMEOUT}s
statsd:
  max_series: 200000
  http:
    max_body_bytes: 4194304
"""


class HeavyScrapeTest(unittest.TestCase):
    """One daemon holding 100k StatsD series for every test of heavy scrapes."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(LOAD_CONFIG)
        d = cls.daemon
        try:
            batch = 20_000
            for start in range(0, SERIES, batch):
                body = "".join(f"hardening_load_series_{i}:1|g\n"
                               for i in range(start, start + batch)).encode()
                status, _, answer = d.request("POST", "/api/v1/statsd", body=body, timeout=60)
                assert status == 200, (status, answer)
            wait_until(lambda: d.metrics().count("\nhardening_load_series_") >= SERIES,
                       timeout=60, interval=1, what=f"{SERIES} series")
            cls.plain_size = len(timed_get(d.port, "/metrics", timeout=60)[2])
            figure("exposition_bytes_100k_series", cls.plain_size)
        except BaseException:
            d.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.__exit__(None, None, None)

    def test_healthy_stays_fast_during_two_gzip_scrapes(self):
        d = self.daemon
        stop = threading.Event()
        scrape_seconds, errors = [], []

        def scrape():
            while not stop.is_set():
                try:
                    status, seconds, body = timed_get(d.port, "/metrics",
                                                      {"Accept-Encoding": "gzip"}, timeout=60)
                    if status != 200:
                        errors.append(status)
                    else:
                        gzip.decompress(body)
                        scrape_seconds.append(seconds)
                except OSError as e:
                    errors.append(repr(e))

        scrapers = [threading.Thread(target=scrape) for _ in range(2)]
        for t in scrapers:
            t.start()
        healthy = []
        try:
            time.sleep(0.2)  # both scrapes under way
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                status, seconds, _ = timed_get(d.port, "/-/healthy")
                self.assertEqual(status, 200)
                healthy.append(seconds)
                time.sleep(0.02)
        finally:
            stop.set()
            for t in scrapers:
                t.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertGreaterEqual(len(scrape_seconds), 2)
        figure("gzip_scrape_seconds_100k_series_max", f"{max(scrape_seconds):.3f}")
        figure("healthy_seconds_during_2_gzip_scrapes_p50", f"{percentile(healthy, 0.5):.4f}")
        figure("healthy_seconds_during_2_gzip_scrapes_p99", f"{percentile(healthy, 0.99):.4f}")
        figure("healthy_seconds_during_2_gzip_scrapes_max", f"{max(healthy):.4f}")
        self.assertLess(percentile(healthy, 0.99), 0.1 * SLOWDOWN)

    def test_non_reading_scrapers_are_capped_and_closed_and_memory_returns(self):
        d = self.daemon
        timed_get(d.port, "/metrics", timeout=60)
        # The server frees its slot after its last send, which the client may see before it:
        # give a loaded machine time to get there.
        time.sleep(0.5)
        baseline = rss_kib(d.proc.pid)
        readers = []
        try:
            for _ in range(6):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # never drained
                s.settimeout(10)
                s.connect(("127.0.0.1", d.port))
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                readers.append(s)
            peak = baseline
            statuses = []
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                peak = max(peak, rss_kib(d.proc.pid))
                time.sleep(0.05)
            for s in readers:
                statuses.append(s.recv(12, socket.MSG_PEEK))
            # web.max_requests is 4: two are refused at once rather than pinning a body each.
            self.assertEqual(sorted(statuses),
                             [b"HTTP/1.1 200"] * 4 + [b"HTTP/1.1 503"] * 2)
            growth_mib = (peak - baseline) / 1024
            figure("rss_growth_mib_6_non_reading_scrapers", f"{growth_mib:.1f}")
            figure("exposition_mib", f"{self.plain_size / 2**20:.1f}")
            # At most the 4 admitted bodies, and some slack for the allocator.
            if not SANITIZED:
                self.assertLess(growth_mib, 4 * self.plain_size / 2**20 + 64)
            # Meanwhile scrapes are refused, not queued behind the non-readers ...
            self.assertEqual(timed_get(d.port, "/metrics")[0], 503)
            self.assertEqual(timed_get(d.port, "/-/healthy")[0], 200)
            # ... until write_timeout closes the four that never read.
            wait_until(lambda: timed_get(d.port, "/metrics", timeout=60)[0] == 200,
                       timeout=12 + WRITE_TIMEOUT, interval=0.5, what="write_timeout to close the non-readers")
            samples = parse_exposition(timed_get(d.port, "/metrics", timeout=60)[2].decode())
            # The two 503s idle and this scrape; the four non-readers (which would make it 7)
            # are gone. One more may be a poll of the wait above that the client closed and the
            # server has not yet seen close (seen under load on 2 cores).
            self.assertLessEqual(samples["metricsd_http_connections_open"], 4)
            self.assertGreaterEqual(samples["metricsd_http_requests_throttled_total"], 3)
            if not SANITIZED:
                wait_until(lambda: rss_kib(d.proc.pid) < baseline + 32 * 1024, timeout=10,
                           what="RSS to return near its baseline")
            figure("rss_mib_after_non_readers_closed",
                   f"{rss_kib(d.proc.pid) / 1024:.1f} (baseline {baseline / 1024:.1f})")
        finally:
            for s in readers:
                s.close()


if __name__ == "__main__":
    unittest.main()
