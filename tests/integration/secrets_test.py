"""Secrets are never served, logged or echoed.

A config holds every kind of secret metricsd knows (probe header values, probe bodies, a dry-run's
data, Alertmanager basic auth, webhook bearer tokens, the contents of a password file), each a
distinct random marker. The daemon runs at debug level through probes that fail against closed
ports, webhooks that fail, a good and a bad reload; then no marker may appear in the body of any
endpoint, in the daemon's stderr, or in `--check-config` output for good and broken files.
"""
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import BIN, Daemon, free_port, wait_until  # noqa: E402


def marker(kind):
    return f"MARK{kind.upper()}{secrets.token_hex(8)}"


KINDS = ["auth", "apikey", "cookie", "body", "data", "ampass", "amtoken", "hooktoken", "filepass",
         "urlpass"]


class Secrets:
    """The markers, and the config that holds each of them once."""

    def __init__(self, directory):
        self.values = {kind: marker(kind) for kind in KINDS}
        self.dir = directory
        self.password_file = os.path.join(directory, "hook_password")
        with open(self.password_file, "w") as f:
            f.write(self.values["filepass"] + "\n")
        self.rules = os.path.join(directory, "rules.yaml")
        with open(self.rules, "w") as f:
            # Fires at once and for ever: every receiver gets notifications to fail on.
            f.write("groups:\n  - name: always\n    interval: 1s\n    rules:\n"
                    "      - alert: NothingThere\n        metric: secrets_test_never_sent\n"
                    "        absent: true\n")
        # Closed ports: every probe and every delivery fails (and is logged at debug level).
        self.ports = {name: free_port() for name in ("probe", "dryrun", "am1", "am2", "hook1",
                                                     "hook2")}

    def config(self, extra_target=""):
        v, p = self.values, self.ports
        return f"""\
probes:
  defaults: {{interval: 1s, timeout: 500ms}}
  targets:
    - name: api
      type: http
      url: http://127.0.0.1:{p['probe']}/health
      method: POST
      headers:
        Authorization: Bearer {v['auth']}
        X-Api-Key: {v['apikey']}
        Cookie: "session={v['cookie']}"
      body: '{{"token": "{v['body']}"}}'
    - name: dry
      type: ao_dryrun
      url: http://127.0.0.1:{p['dryrun']}/
      process_id: pid
      action: Info
      data: {v['data']}
{extra_target}alerting:
  evaluation_interval: 1s
  resend_delay: 1s
  rule_files: [{self.rules}]
  alertmanagers:
    - url: http://127.0.0.1:{p['am1']}/
      timeout: 500ms
      basic_auth: {{username: ops, password: {v['ampass']}}}
    - url: http://127.0.0.1:{p['am2']}/
      timeout: 500ms
      bearer_token: {v['amtoken']}
  webhooks:
    - url: http://127.0.0.1:{p['hook1']}/hook
      timeout: 500ms
      bearer_token: {v['hooktoken']}
    - url: http://127.0.0.1:{p['hook2']}/hook
      timeout: 500ms
      basic_auth: {{username: hook, password_file: {self.password_file}}}
"""

    def leaks(self, text):
        """The kinds whose marker appears in `text`."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return [kind for kind, value in self.values.items() if value in text]


ENDPOINTS = ["/", "/api/v1/dashboard", "/assets/app.js", "/metrics", "/api/v1/status/config", "/api/v1/targets", "/api/v1/rules",
             "/api/v1/alerts", "/-/healthy", "/-/ready", "/nope"]


class SecretsNeverServedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="metricsd-secrets-")
        self.secrets = Secrets(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def assertNoLeak(self, text, where):
        self.assertEqual(self.secrets.leaks(text), [], f"secret leaked in {where}")

    def test_status_config_is_the_effective_config_with_every_secret_masked(self):
        with Daemon(self.secrets.config(), args=["--log.level=debug"]) as d:
            status, _, body = d.get("/api/v1/status/config")
            self.assertEqual(status, 200)
            self.assertNoLeak(body, "/api/v1/status/config")
            data = json.loads(body)["data"]
            self.assertEqual(data["file"], d.config_path)
            api = data["config"]["probes"]["targets"][0]
            self.assertEqual(api["headers"], {"Authorization": "<secret>", "X-Api-Key": "<secret>",
                                              "Cookie": "<secret>"})
            self.assertEqual(api["body"], "<secret>")
            self.assertEqual(api["method"], "POST")
            self.assertEqual(data["config"]["probes"]["targets"][1]["data"], "<secret>")
            alerting = data["config"]["alerting"]
            destinations = alerting["alertmanagers"] + alerting["webhooks"]
            self.assertEqual(destinations[0]["basic_auth"]["password"], "<secret>")
            self.assertEqual(destinations[1]["bearer_token"], "<secret>")
            self.assertEqual(destinations[2]["bearer_token"], "<secret>")
            self.assertEqual(destinations[3]["basic_auth"]["password_file"],
                             self.secrets.password_file)  # the path may show
            # data.yaml is that effective config as YAML (defaults filled in), not the file.
            yaml = data["yaml"]
            self.assertIn("Authorization: <secret>\n", yaml)
            self.assertIn("read_timeout: 10s\n", yaml)  # a default the file does not set
            self.assertNotIn("Bearer", yaml)

    def test_no_endpoint_log_line_or_reload_reveals_a_secret(self):
        s = self.secrets
        with Daemon(s.config(), args=["--log.level=debug", "--web.enable-lifecycle"]) as d:
            # Every probe has failed at least once, and every receiver has refused a delivery.
            def failed(samples, target):
                return any(key.startswith(f'probe_success{{target="{target}"') and value == 0
                           for key, value in samples.items())
            wait_until(lambda: (lambda s: failed(s, "api") and failed(s, "dry"))(d.samples()),
                       what="both probes to fail")
            for name in ("am1", "am2", "hook1", "hook2"):
                d.wait_for_log(rf"sending alerts failed.*127\.0\.0\.1:{s.ports[name]}", timeout=20,
                               what=f"a failed delivery to {name}")
            targets = json.loads(d.get("/api/v1/targets")[2])
            self.assertIn("api", json.dumps(targets))

            # A good reload each way, then a bad one with a misspelled password key and a bad
            # URL holding a password: the errors are logged and answered, never with the value.
            d.send_signal(signal.SIGHUP)
            d.wait_for_log("config reloaded", what="the SIGHUP reload")
            status, _, body = d.request("POST", "/-/reload")
            self.assertEqual(status, 200, body)
            mark = len(d.lines)
            d.write_config(s.config().replace("password:", "pasword:", 1))
            status, _, body = d.request("POST", "/-/reload")
            self.assertEqual(status, 500)
            self.assertIn(b"did you mean password?", body)
            self.assertNoLeak(body, "the failed reload's answer")
            d.wait_for_log("config reload failed", start=mark, what="the reload error")
            d.write_config(s.config(
                f"    - name: userinfo\n      type: http\n"
                f"      url: http://user:{s.values['urlpass']}@127.0.0.1:1/\n"))
            d.send_signal(signal.SIGHUP)
            d.wait_for_log(r"config reload failed.*invalid URL", start=mark,
                           what="the URL reload error")

            for path in ENDPOINTS:
                status, headers, body = d.get(path, {"Accept-Encoding": "identity"})
                self.assertNoLeak(body, path)
                self.assertNoLeak(json.dumps(headers), f"{path} headers")
            for method, path, body in (("POST", "/api/v1/statsd", b"secrets_test:1|c\n"),
                                       ("OPTIONS", "/api/v1/statsd", None),
                                       ("POST", "/metrics", None)):  # a 405
                status, headers, answer = d.request(method, path, body=body)
                self.assertNoLeak(answer + json.dumps(headers).encode(), f"{method} {path}")
            self.assertEqual(d.stop(), 0)
        log = "\n".join(d.lines)
        self.assertIn("sending alerts failed", log)
        self.assertIn("level=debug", log)
        self.assertNoLeak(log, "the daemon's log")

    def run_check(self, text):
        path = os.path.join(self.tmp.name, "check.yaml")
        with open(path, "w") as f:
            f.write(text)
        result = subprocess.run([BIN, f"--config.file={path}", "--check-config"],
                                capture_output=True, text=True, timeout=30)
        self.assertNoLeak(result.stdout + result.stderr, f"--check-config of:\n{text}")
        return result

    def test_check_config_never_echoes_a_secret(self):
        s = self.secrets
        good = self.run_check(s.config())
        self.assertEqual(good.returncode, 0, good.stdout)
        self.assertIn("SUCCESS", good.stdout)
        config = s.config()
        broken = {
            # A did-you-mean on a misspelled secret key names the key, not its value.
            "misspelled password": (config.replace("password:", "pasword:", 1),
                                    "unknown key (did you mean password?)"),
            "misspelled token": (config.replace("bearer_token:", "bearer_tokn:", 1),
                                 "unknown key (did you mean bearer_token?)"),
            # A bad value right next to the secrets.
            "bad method next to headers": (config.replace("method: POST", "method: ''"),
                                           "probes.targets[0].method: must not be empty"),
            "bad duration next to a token": (
                config.replace("timeout: 500ms\n      bearer_token:", "timeout: soon\n      bearer_token:", 1),
                'invalid duration "soon"'),
            # A secret of the wrong shape says so without printing it.
            "header as a list": (config.replace(f"X-Api-Key: {s.values['apikey']}",
                                                f"X-Api-Key: [{s.values['apikey']}]"),
                                 "expected a string, got a sequence"),
            "duplicate header": (config.replace("        Cookie:", f"        X-Api-Key: {s.values['cookie']}\n        Cookie:"),
                                 'duplicate key "X-Api-Key"'),
            "password in a URL": (s.config(f"    - name: userinfo\n      type: http\n"
                                           f"      url: http://user:{s.values['urlpass']}@127.0.0.1:1/\n"),
                                  "invalid URL"),
            # An unclosed quote right after a secret: refused (not silently swallowed), unechoed.
            "unclosed quote": (config.replace(f"bearer_token: {s.values['hooktoken']}",
                                              f"bearer_token: \"{s.values['hooktoken']}"),
                               "quoted string is not closed"),
        }
        for name, (text, expected) in broken.items():
            with self.subTest(name):
                result = self.run_check(text)
                self.assertEqual(result.returncode, 1, result.stdout)
                self.assertIn("FAILED", result.stdout)
                self.assertIn(expected, result.stdout)


class UnclosedQuoteTest(unittest.TestCase):
    def test_check_config_refuses_a_file_an_unclosed_quote_would_cut_short(self):
        # yaml-cpp 0.7 alone read this as valid, with every receiver after the quote gone.
        with tempfile.TemporaryDirectory(prefix="metricsd-quote-") as tmp:
            path = os.path.join(tmp, "metricsd.yaml")
            with open(path, "w") as f:
                f.write("alerting:\n  external_url: \"http://example.com/\n  webhooks:\n"
                        "    - url: http://127.0.0.1:9/hook\n")
            result = subprocess.run([BIN, f"--config.file={path}", "--check-config"],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn(f"FAILED: {path}:2:17: invalid YAML: quoted string is not closed before "
                          "line 3", result.stdout)


if __name__ == "__main__":
    unittest.main()
