"""Probes against a fake AO unit / HTTP server (tests/support/fake_ao_server.cpp) on 127.0.0.1:
the dry-run request metricsd sends, every outcome, AO unit health, HTTP and HTTPS targets,
TCP, concurrency, reload and /api/v1/targets."""
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, require_tool, self_signed_cert, wait_until  # noqa: E402

FAKE = os.environ.get("FAKE_AO_SERVER", "")
PID = "Q9x-process_IDxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"


class FakeAo:
    def __init__(self, tls=None):
        command = [FAKE] + (["--tls", *tls] if tls else [])
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])
        self.scheme = "https" if tls else "http"
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"

    def control(self, path):
        # The control API is plain HTTP only when the fake is; with TLS tests do not need it.
        return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", data=b"",
                                                 timeout=5).read())

    def mode(self, mode, **params):
        query = "&".join([f"mode={mode}"] + [f"{k}={v}" for k, v in params.items()])
        self.control(f"/__mode?{query}")

    def unit(self, unit):
        self.control(f"/__unit?unit={unit}")

    def requests(self):
        return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__requests",
                                                 timeout=5).read())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def config(targets, extra=""):
    return ("host: {enabled: false}\nstatsd: {enabled: false}\nprobes:\n"
            "  defaults: {interval: 500ms, timeout: 300ms}\n" + extra + "  targets:\n" + targets)


def count(samples, family, **labels):
    """Sum of the samples of `family` whose labels include `labels`."""
    total = 0
    for key, value in samples.items():
        if key.split("{")[0] != family:
            continue
        if all(f'{k}="{v}"' in key for k, v in labels.items()):
            total += value
    return total


def wait_for(d, family, minimum=1, **labels):
    wait_until(lambda: count(d.samples(), family, **labels) >= minimum, timeout=15,
               what=f"{family}{labels} >= {minimum}")
    return d.samples()


class DryrunTest(unittest.TestCase):
    def test_request_shape_and_ok_metrics(self):
        with FakeAo() as cu:
            targets = (f"    - {{type: ao_dryrun, name: cu-transfer, url: '{cu.url}', process_id: '{PID}',\n"
                       f"       action: Transfer, tags: {{Recipient: abc}}, owner: me,\n"
                       f"       expect: {{min_messages: 1, json: {{/Messages/0/Data: pong}},\n"
                       f"                first_message_tag: {{name: Action, value: Pong}}}}}}\n")
            with Daemon(config(targets)) as d:
                s = wait_for(d, "metricsd_probes_total", 2, target="cu-transfer", outcome="ok")
                sent = [r for r in cu.requests() if r["target"].startswith("/dry-run")]
                self.assertGreaterEqual(len(sent), 2)
                first, second = json.loads(sent[0]["body"]), json.loads(sent[1]["body"])
                self.assertEqual(sent[0]["method"], "POST")
                self.assertEqual(sent[0]["target"], f"/dry-run?process-id={PID}")
                self.assertEqual(sent[0]["content_type"], "application/json")
                self.assertEqual(first["Target"], PID)
                self.assertEqual(first["Owner"], "me")
                self.assertEqual(first["Tags"][0], {"name": "Action", "value": "Transfer"})
                self.assertIn({"name": "Recipient", "value": "abc"}, first["Tags"])
                self.assertNotEqual(first["Id"], second["Id"])  # cache_bust: fresh each time
                self.assertNotEqual(first["Anchor"], second["Anchor"])
                self.assertEqual(len(first["Id"]), 43)
                labels = dict(target="cu-transfer", process=PID, action="Transfer")
                self.assertEqual(count(s, "ao_dryrun_gas_used", **labels), 1234)
                self.assertEqual(count(s, "ao_dryrun_messages", **labels), 1)
                self.assertGreaterEqual(count(s, "ao_dryrun_duration_seconds_count", outcome="ok", **labels), 2)
                self.assertGreaterEqual(count(s, "ao_dryrun_gas_used_total", **labels), 2468)
                self.assertEqual(count(s, "probe_success", target="cu-transfer", type="ao_dryrun"), 1)

    def test_cache_bust_off_sends_the_same_body(self):
        with FakeAo() as cu:
            targets = (f"    - {{type: ao_dryrun, url: '{cu.url}', process_id: '{PID}', action: Info,"
                       f" cache_bust: false}}\n")
            with Daemon(config(targets)) as d:
                wait_for(d, "metricsd_probes_total", 2, outcome="ok")
                bodies = [r["body"] for r in cu.requests() if r["target"].startswith("/dry-run")]
                self.assertEqual(bodies[0], bodies[1])

    def test_every_failure_is_its_own_outcome_and_affects_only_its_target(self):
        with FakeAo() as bad, FakeAo() as good:
            targets = (f"    - {{type: ao_dryrun, name: bad, url: '{bad.url}', process_id: '{PID}', action: A,"
                       f" body_size_limit: 100000}}\n"
                       f"    - {{type: ao_dryrun, name: good, url: '{good.url}', process_id: '{PID}', action: A}}\n"
                       f"    - {{type: ao_dryrun, name: expect, url: '{good.url}', process_id: '{PID}', action: A,"
                       f" expect: {{json: {{/Messages/0/Data: nope}}}}}}\n")
            with Daemon(config(targets)) as d:
                wait_for(d, "metricsd_probes_total", 1, target="expect", outcome="expectation_failed")
                cases = [("error", {}, "error"), ("busy", {}, "busy"), ("rate_limited", {}, "rate_limited"),
                         ("denied", {}, "denied"), ("server_error", {}, "http_error"),
                         ("invalid_json", {}, "bad_response"), ("huge", {"bytes": 5000000}, "bad_response"),
                         ("close", {}, "bad_response"), ("hang", {}, "timeout")]
                for mode, params, outcome in cases:
                    bad.mode(mode, **params)
                    wait_for(d, "metricsd_probes_total", 1, target="bad", outcome=outcome)
                s = d.samples()
                ok_before = count(s, "metricsd_probes_total", target="good", outcome="ok")
                self.assertEqual(count(s, "metricsd_probes_total", target="good") , ok_before)
                targets_json = json.loads(d.get("/api/v1/targets")[2])["data"]
                bad_entry = next(t for t in targets_json if t["name"] == "bad")
                self.assertIn(bad_entry["last_outcome"], ("timeout", "bad_response"))
                self.assertIn("next_run", bad_entry)
                self.assertTrue(bad_entry["last_error"])


class UnitTest(unittest.TestCase):
    def test_cu_mu_su_health(self):
        with FakeAo() as cu, FakeAo() as mu, FakeAo() as su:
            mu.unit("mu")
            su.unit("su")
            targets = (f"    - {{type: ao_unit, name: cu, url: '{cu.url}', unit: cu}}\n"
                       f"    - {{type: ao_unit, name: mu, url: '{mu.url}', unit: mu}}\n"
                       f"    - {{type: ao_unit, name: su, url: '{su.url}', unit: su}}\n"
                       f"    - {{type: ao_unit, name: wrong, url: '{mu.url}', unit: cu}}\n")
            with Daemon(config(targets)) as d:
                wait_for(d, "metricsd_probes_total", 1, target="su")
                s = wait_for(d, "metricsd_probes_total", 1, target="wrong")
                self.assertEqual(count(s, "ao_unit_info", target="cu", unit="cu", address="cu-wallet-address"), 1)
                self.assertEqual(count(s, "probe_success", target="mu"), 1)
                self.assertEqual(count(s, "ao_unit_block_height", target="su"), 1500123)
                self.assertLess(abs(count(s, "ao_unit_clock_skew_seconds", target="cu")), 5)
                self.assertEqual(count(s, "probe_success", target="wrong"), 0)
                self.assertEqual(count(s, "metricsd_probes_total", target="wrong", outcome="bad_response"),
                                 count(s, "metricsd_probes_total", target="wrong"))


class HttpTcpTest(unittest.TestCase):
    def test_http_status_regex_redirect_and_tcp(self):
        with FakeAo() as web:
            closed = socket.socket()
            closed.bind(("127.0.0.1", 0))
            refused_port = closed.getsockname()[1]
            closed.close()
            targets = (f"    - {{type: http, name: ok, url: '{web.url}/ok'}}\n"
                       f"    - {{type: http, name: five, url: '{web.url}/status/500'}}\n"
                       f"    - {{type: http, name: five-ok, url: '{web.url}/status/500', valid_status_codes: [500]}}\n"
                       f"    - {{type: http, name: regex, url: '{web.url}/ok', fail_if_body_matches_regexp: ['hello']}}\n"
                       f"    - {{type: http, name: redirect, url: '{web.url}/redirect'}}\n"
                       f"    - {{type: tcp, name: open, address: '127.0.0.1:{web.port}'}}\n"
                       f"    - {{type: tcp, name: refused, address: '127.0.0.1:{refused_port}'}}\n")
            with Daemon(config(targets)) as d:
                for name in ("ok", "five", "five-ok", "regex", "redirect", "open", "refused"):
                    wait_for(d, "metricsd_probes_total", 1, target=name)
                s = d.samples()
                self.assertEqual(count(s, "probe_success", target="ok", type="http"), 1)
                self.assertEqual(count(s, "probe_http_status_code", target="ok"), 200)
                self.assertEqual(count(s, "probe_http_content_length", target="ok"), len("hello from the game"))
                self.assertGreater(count(s, "probe_http_duration_seconds", target="ok", phase="processing"), 0)
                self.assertEqual(count(s, "probe_success", target="five"), 0)
                self.assertGreaterEqual(count(s, "metricsd_probes_total", target="five", outcome="http_error"), 1)
                self.assertEqual(count(s, "probe_success", target="five-ok"), 1)
                self.assertEqual(count(s, "probe_failed_due_to_regex", target="regex"), 1)
                self.assertEqual(count(s, "probe_http_status_code", target="redirect"), 200)
                self.assertEqual(count(s, "probe_success", target="open", type="tcp"), 1)
                self.assertGreaterEqual(count(s, "metricsd_probes_total", target="refused", outcome="connect_error"), 1)

                promtool = require_tool("promtool")
                check = subprocess.run([promtool, "check", "metrics"], input=d.metrics().encode(),
                                       capture_output=True, timeout=60)
                self.assertIn(check.returncode, (0, 3), check.stdout + check.stderr)
                findings = [f for f in (check.stdout + check.stderr).decode().splitlines()
                            if f.startswith(("probe_", "metricsd_probe", "ao_"))]
                self.assertEqual(findings, [])

    def test_max_concurrency_queues_and_overlaps_are_skipped(self):
        with FakeAo() as web:
            web.mode("hang")
            targets = (f"    - {{type: http, name: a, url: '{web.url}/ok', interval: 300ms, timeout: 250ms}}\n"
                       f"    - {{type: http, name: b, url: '{web.url}/ok', interval: 300ms, timeout: 250ms}}\n")
            with Daemon(config(targets, "  max_concurrency: 1\n")) as d:
                s = wait_for(d, "metricsd_probe_skipped_total", 1)
                self.assertGreaterEqual(count(s, "metricsd_probes_total", outcome="timeout"), 1)


class TlsTest(unittest.TestCase):
    def test_https_verification_and_certificate_expiry(self):
        openssl = require_tool("openssl")
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = self_signed_cert(tmp)
            end = subprocess.run([openssl, "x509", "-enddate", "-noout", "-in", cert],
                                 check=True, capture_output=True, text=True).stdout.strip().split("=", 1)[1]
            not_after = datetime.datetime.strptime(end, "%b %d %H:%M:%S %Y %Z").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            with FakeAo(tls=(cert, key)) as web:
                targets = (f"    - {{type: http, name: untrusted, url: '{web.url}/ok'}}\n"
                           f"    - {{type: http, name: trusted, url: '{web.url}/ok', tls: {{ca_file: '{cert}'}}}}\n"
                           f"    - {{type: tcp, name: tcp-tls, address: '127.0.0.1:{web.port}', tls: {{ca_file: '{cert}'}}}}\n")
                with Daemon(config(targets)) as d:
                    wait_for(d, "metricsd_probes_total", 1, target="untrusted")
                    s = wait_for(d, "metricsd_probes_total", 1, target="trusted")
                    wait_for(d, "metricsd_probes_total", 1, target="tcp-tls")
                    s = d.samples()
                    self.assertGreaterEqual(count(s, "metricsd_probes_total", target="untrusted", outcome="tls_error"), 1)
                    self.assertEqual(count(s, "probe_success", target="trusted"), 1)
                    self.assertEqual(count(s, "probe_ssl_earliest_cert_expiry", target="trusted"), not_after)
                    self.assertGreater(count(s, "probe_http_duration_seconds", target="trusted", phase="tls"), 0)
                    self.assertEqual(count(s, "probe_success", target="tcp-tls"), 1)


class ReloadTest(unittest.TestCase):
    def test_kept_targets_keep_histograms_removed_ones_disappear(self):
        with FakeAo() as web:
            keep = f"    - {{type: http, name: keep, url: '{web.url}/ok'}}\n"
            drop = f"    - {{type: http, name: drop, url: '{web.url}/ok'}}\n"
            with Daemon(config(keep + drop), args=["--web.enable-lifecycle"]) as d:
                s = wait_for(d, "metricsd_probe_duration_seconds_count", 2, target="keep")
                before = count(s, "metricsd_probe_duration_seconds_count", target="keep")
                d.write_config(config(keep))
                self.assertEqual(d.request("POST", "/-/reload")[0], 200)
                s = d.samples()
                self.assertGreaterEqual(count(s, "metricsd_probe_duration_seconds_count", target="keep"), before)
                self.assertEqual(count(s, "metricsd_probes_total", target="drop"), 0)
                self.assertNotIn('target="drop"', d.metrics())
                d.write_config(config(keep + "    - {type: http, url: 'http://x', timeout: 1s, interval: 1s}\n"))
                status, _, body = d.request("POST", "/-/reload")
                self.assertEqual(status, 500)
                self.assertIn(b"timeout (1s) must be less than interval (1s)", body)


class ShutdownTest(unittest.TestCase):
    """SIGTERM with probes scheduled and in flight: a clean exit, and under the asan preset no
    AddressSanitizer report (the probe timers once outlived the io_context: a heap-use-after-free
    on every SIGTERM)."""

    def assertCleanExit(self, d):
        code = d.stop(timeout=30)
        d._reader.join(timeout=10)  # every stderr line read
        log = "\n".join(d.lines)
        for report in ("AddressSanitizer", "LeakSanitizer", "runtime error"):  # the last: UBSan
            at = log.find(report)
            self.assertEqual(at, -1, log[max(0, at - 300):at + 2500])
        self.assertEqual(code, 0, log[-3000:])
        self.assertIn("stopped", d.lines[-1])

    def test_sigterm_with_probes_in_flight(self):
        with FakeAo() as web, FakeAo() as hanging, FakeAo() as su:
            hanging.mode("hang")
            su.unit("su")
            targets = (f"    - {{type: http, name: ok, url: '{web.url}/ok', interval: 200ms, timeout: 150ms}}\n"
                       f"    - {{type: http, name: hang, url: '{hanging.url}/ok', interval: 5s, timeout: 4s}}\n"
                       f"    - {{type: ao_dryrun, name: dry, url: '{web.url}', process_id: '{PID}', action: A,"
                       f" interval: 200ms, timeout: 150ms}}\n"
                       f"    - {{type: ao_unit, name: su, url: '{su.url}', unit: su, interval: 200ms, timeout: 150ms}}\n"
                       f"    - {{type: tcp, name: tcp, address: '127.0.0.1:{web.port}', interval: 200ms, timeout: 150ms}}\n")
            for _ in range(3):  # where in its cycle each probe is differs from run to run
                with Daemon(config(targets)) as d:
                    wait_for(d, "metricsd_probes_total", 2, target="ok")
                    wait_for(d, "metricsd_probes_total", 1, target="su")
                    running = wait_until(
                        lambda: [t for t in json.loads(d.get("/api/v1/targets")[2])["data"]
                                 if t["name"] == "hang" and t["running"]],
                        timeout=15, what="the hanging probe in flight")
                    self.assertTrue(running)
                    self.assertCleanExit(d)

    def test_sigterm_after_a_reload_removed_a_target_in_flight(self):
        with FakeAo() as web, FakeAo() as hanging:
            hanging.mode("hang")
            keep = f"    - {{type: http, name: keep, url: '{web.url}/ok'}}\n"
            drop = f"    - {{type: http, name: drop, url: '{hanging.url}/ok', interval: 5s, timeout: 4s}}\n"
            with Daemon(config(keep + drop), args=["--web.enable-lifecycle"]) as d:
                wait_until(lambda: [t for t in json.loads(d.get("/api/v1/targets")[2])["data"]
                                    if t["name"] == "drop" and t["running"]],
                           timeout=15, what="the hanging probe in flight")
                d.write_config(config(keep))
                d.send_signal(signal.SIGHUP)
                d.wait_for_log("config reloaded", what="the reload")
                self.assertCleanExit(d)

    def test_sigterm_with_an_alert_notification_in_flight(self):
        from webhook_receiver import Receiver  # noqa: E402
        rules = ("groups:\n  - name: g\n    interval: 1s\n    rules:\n"
                 "      - {alert: Always, metric: metricsd_build_info, op: '>', threshold: 0}\n")
        with Receiver(hang=True) as receiver, tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "rules.yaml"), "w") as f:
                f.write(rules)
            text = ("host: {enabled: false}\nstatsd: {enabled: false}\nhistory: {interval: 1s}\n"
                    f"alerting:\n  evaluation_interval: 1s\n  rule_files: ['{tmp}/rules.yaml']\n"
                    f"  webhooks:\n    - url: {receiver.url}\n      timeout: 4s\n")
            with Daemon(text) as d:
                wait_until(lambda: json.loads(d.get("/api/v1/alerts")[2])["data"]["alerts"],
                           timeout=15, what="the alert")
                time.sleep(1.5)  # sent (the first evaluation fires: no `for`), the receiver hangs
                self.assertCleanExit(d)


if __name__ == "__main__":
    unittest.main(verbosity=2)
