"""Starts the built metricsd binary on an ephemeral loopback port and talks to it.

Shared by the integration and e2e tests. Standard library only. Every process a test starts
is stopped by it (context managers), and every wait is bounded.
"""
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

BIN = os.environ.get("METRICSD_BIN", "")
SOURCE_DIR = os.environ.get("METRICSD_SOURCE_DIR", "")

_LISTENING = re.compile(r'listening.*?address\W+([\d.]+):(\d+)')


def require_tool(name):
    """Path of a tool the test needs; a missing tool fails the test, never skips it."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed: run .ci/install-deps --with-tests")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url_request(method, url, body=None, headers=None, timeout=120):
    """(status, body bytes) of one request to any loopback server (Prometheus,
    VictoriaMetrics, metricsd); status None when the server cannot be reached."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def self_signed_cert(directory, days=30):
    """(certificate, key) files for 127.0.0.1 and localhost, made by the openssl tool."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run([require_tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", str(days), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def stop_process(proc, timeout=20.0):
    """SIGTERM, then SIGKILL if `proc` is still running after `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def parse_exposition(text):
    """{'name{labels}': value} for every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        samples[key] = float(value)
    return samples


class Daemon:
    """One metricsd process. Use as a context manager."""

    def __init__(self, config_text=None, args=(), env=None, listen=True):
        assert BIN, "METRICSD_BIN is not set (run through ctest)"
        self.dir = tempfile.TemporaryDirectory(prefix="metricsd-test-")
        self.config_path = os.path.join(self.dir.name, "metricsd.yaml")
        if config_text is not None:
            self.write_config(config_text)
        command = [BIN]
        if config_text is not None:
            command.append(f"--config.file={self.config_path}")
        if listen:
            command.append("--web.listen-address=127.0.0.1:0")
        # StatsD too listens on ports the kernel picks, never the shared 8125.
        if not any(str(a).startswith("--statsd.listen-") for a in args):
            command += ["--statsd.listen-udp=127.0.0.1:0", "--statsd.listen-tcp=127.0.0.1:0"]
        # History goes to the test's own directory, never a shared data/.
        if not any(str(a).startswith("--storage.path") for a in args):
            command.append(f"--storage.path={os.path.join(self.dir.name, 'data')}")
        command += list(args)
        self.lines = []
        self._lines_changed = threading.Condition()
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=full_env)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self.port = None
        if listen:
            match = self.wait_for_log(_LISTENING, what="the daemon to listen")
            self.port = int(match.group(2))
            self.statsd = {}
            for line in self.lines:
                found = re.search(r'msg="statsd listening" listeners=(\S+)', line)
                if found:
                    for listener in found.group(1).split(","):
                        kind, _, address = listener.partition("://")
                        self.statsd[kind] = address

    def _read_stderr(self):
        for line in self.proc.stderr:
            with self._lines_changed:
                self.lines.append(line.rstrip("\n"))
                self._lines_changed.notify_all()
        with self._lines_changed:
            self._lines_changed.notify_all()

    def wait_for_log(self, pattern, timeout=10.0, what=None, start=0):
        """The first match of `pattern` in a stderr line from index `start` on."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._lines_changed:
            while True:
                for line in self.lines[start:]:
                    match = regex.search(line)
                    if match:
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(
                        f"no log line matching {regex.pattern!r} ({what}); log:\n" +
                        "\n".join(self.lines))
                self._lines_changed.wait(min(left, 0.2))

    def write_config(self, text):
        # Write then rename, as config management tools do, so a reload never reads half a file.
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    def request(self, method, path, body=None, headers=None, timeout=10.0):
        """(status, headers dict with lower-case names, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def metrics(self):
        status, headers, body = self.get("/metrics", {"Accept-Encoding": "gzip"})
        assert status == 200, status
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode()

    def samples(self):
        return parse_exposition(self.metrics())

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Sends `sig` and returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"metricsd did not exit within {timeout}s of signal {sig}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.dir.cleanup()
        return False


def assert_promtool_clean(test, body, prefixes):
    """`promtool check metrics` parses `body` (bytes or str) and finds nothing to say about the
    families starting with any of `prefixes` (other families, e.g. StatsD-made names, may have
    lint findings: exit 3; exit 1 would be a parse error)."""
    if isinstance(body, str):
        body = body.encode()
    check = subprocess.run([require_tool("promtool"), "check", "metrics"], input=body,
                           capture_output=True, timeout=60)
    findings = (check.stdout + check.stderr).decode()
    test.assertIn(check.returncode, (0, 3), findings)
    for prefix in prefixes:
        test.assertIn(prefix, body.decode(), f"no {prefix}* family to check")
        test.assertNotIn(prefix, findings)
