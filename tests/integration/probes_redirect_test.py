"""HTTP probes across redirects, as Go's net/http client (blackbox_exporter's) follows them:
credentials and cookies stay with the first host, 301/302/303 turn POST into GET without the
body, 307/308 keep both, https -> http is refused unless `allow_insecure_redirect`, and at most
10 hops. Also: no probe error, log line or /api/v1/targets answer shows a header value, a body
or a URL password. Two fake servers (tests/support/fake_ao_server.cpp) record what each hop
received."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Daemon, self_signed_cert  # noqa: E402
from probes_test import FakeAo, config, count, wait_for  # noqa: E402

TOKEN = "tok-7f3a9c"        # Authorization
COOKIE = "cookie-2b81e4"    # Cookie
API_KEY = "key-c4d2e8"      # X-Api-Key: not a credential to Go, so it follows
BODY = '{"secret": "body-9e5f1a"}'
SECRET_HEADERS = (f"{{Authorization: 'Bearer {TOKEN}', Cookie: 'session={COOKIE}', "
                  f"X-Api-Key: '{API_KEY}', Content-Type: application/json}}")


def redirect(server, location, code=302):
    """A URL on `server` that answers `code` with Location: `location`."""
    quoted = urllib.parse.quote(location, safe="")
    return f"{server.url}/redirect-to?code={code}&url={quoted}"


def hops(server, hop):
    """What `server` received at /ok?hop=`hop` (each probe run adds one)."""
    return [r for r in server.requests() if r["target"] == f"/ok?hop={hop}"]


def targets_api(d):
    return {t["name"]: t for t in json.loads(d.get("/api/v1/targets")[2])["data"]}


class RedirectTest(unittest.TestCase):
    def test_cross_host_drops_credentials_and_post_becomes_get_on_302(self):
        with FakeAo() as first, FakeAo() as other:
            elsewhere = f"http://127.0.0.1:{other.port}/ok"
            localhost = f"http://localhost:{first.port}"  # same port, another host name
            targets = (
                f"    - {{type: http, name: post302, method: POST, headers: {SECRET_HEADERS},\n"
                f"       body: '{BODY}', url: '{redirect(first, elsewhere + '?hop=post302', 302)}'}}\n"
                f"    - {{type: http, name: post303, method: POST, headers: {SECRET_HEADERS},\n"
                f"       body: '{BODY}', url: '{redirect(first, elsewhere + '?hop=post303', 303)}'}}\n"
                f"    - {{type: http, name: post307, method: POST, headers: {SECRET_HEADERS},\n"
                f"       body: '{BODY}', url: '{redirect(first, elsewhere + '?hop=post307', 307)}'}}\n"
                f"    - {{type: http, name: same, method: POST, headers: {SECRET_HEADERS},\n"
                f"       body: '{BODY}', url: '{redirect(first, '/ok?hop=same', 308)}'}}\n"
                f"    - {{type: http, name: by-name, headers: {SECRET_HEADERS},\n"
                f"       url: '{localhost}/redirect-to?url=" +
                urllib.parse.quote(f"http://127.0.0.1:{first.port}/ok?hop=by-name", safe="") + "'}\n"
                # Back to the first host after leaving it: credentials stay dropped (Go 1.22+).
                f"    - {{type: http, name: back, headers: {SECRET_HEADERS},\n"
                f"       url: '{redirect(first, redirect(other, first.url + '/ok?hop=back'))}'}}\n")
            with Daemon(config(targets)) as d:
                for name in ("post302", "post303", "post307", "same", "by-name", "back"):
                    wait_for(d, "metricsd_probes_total", 1, target=name, outcome="ok")

                # The first hop carried everything (else the assertions below prove nothing).
                # ("back" also starts with a 302 on this server: pick post302's by its hop.)
                sent = [r for r in first.requests() if r["target"].startswith("/redirect-to?code=302")
                        and "hop%3Dpost302" in r["target"]][0]
                self.assertEqual(sent["method"], "POST")
                self.assertEqual(sent["headers"]["authorization"], f"Bearer {TOKEN}")
                self.assertEqual(sent["headers"]["cookie"], f"session={COOKIE}")
                self.assertEqual(sent["body"], BODY)

                for hop in ("post302", "post303"):
                    second = hops(other, hop)[0]
                    self.assertEqual(second["method"], "GET", hop)
                    self.assertEqual(second["body"], "", hop)
                    self.assertNotIn("authorization", second["headers"], hop)
                    self.assertNotIn("cookie", second["headers"], hop)
                    self.assertNotIn("content-type", second["headers"], hop)
                    self.assertNotIn("content-length", second["headers"], hop)
                    self.assertEqual(second["headers"]["x-api-key"], API_KEY, hop)  # as Go does
                    self.assertEqual(second["headers"]["host"], f"127.0.0.1:{other.port}", hop)

                second = hops(other, "post307")[0]
                self.assertEqual(second["method"], "POST")
                self.assertEqual(second["body"], BODY)
                self.assertEqual(second["headers"]["content-type"], "application/json")
                self.assertNotIn("authorization", second["headers"])
                self.assertNotIn("cookie", second["headers"])

                same = hops(first, "same")[0]  # same host and port: nothing dropped
                self.assertEqual(same["method"], "POST")
                self.assertEqual(same["body"], BODY)
                self.assertEqual(same["headers"]["authorization"], f"Bearer {TOKEN}")
                self.assertEqual(same["headers"]["cookie"], f"session={COOKIE}")

                by_name = hops(first, "by-name")[0]  # localhost -> 127.0.0.1 is another host
                self.assertNotIn("authorization", by_name["headers"])
                self.assertNotIn("cookie", by_name["headers"])

                back = hops(first, "back")[0]
                self.assertNotIn("authorization", back["headers"])
                self.assertNotIn("cookie", back["headers"])

                s = d.samples()
                self.assertEqual(count(s, "probe_http_status_code", target="post302"), 200)
                self.assertEqual(count(s, "probe_success", target="back"), 1)

    def test_https_to_http_is_refused_unless_allowed(self):
        with tempfile.TemporaryDirectory() as tmp:
            ca, key = self_signed_cert(tmp)
            with FakeAo(tls=(ca, key)) as secure, FakeAo() as plain:
                def down(hop):
                    return redirect(secure, f"http://127.0.0.1:{plain.port}/ok?hop={hop}")
                targets = (
                    f"    - {{type: http, name: refused, headers: {SECRET_HEADERS}, url: '{down('refused')}',\n"
                    f"       tls: {{ca_file: '{ca}'}}}}\n"
                    f"    - {{type: http, name: allowed, headers: {SECRET_HEADERS}, url: '{down('allowed')}',\n"
                    f"       tls: {{ca_file: '{ca}'}}, allow_insecure_redirect: true}}\n"
                    f"    - {{type: http, name: up, url: '{redirect(plain, secure.url + '/ok')}',\n"
                    f"       tls: {{ca_file: '{ca}'}}}}\n")
                with Daemon(config(targets)) as d:
                    wait_for(d, "metricsd_probes_total", 1, target="refused")
                    wait_for(d, "metricsd_probes_total", 1, target="allowed", outcome="ok")
                    wait_for(d, "metricsd_probes_total", 1, target="up", outcome="ok")
                    s = d.samples()
                    self.assertEqual(count(s, "probe_success", target="refused"), 0)
                    self.assertGreaterEqual(count(s, "metricsd_probes_total", target="refused",
                                                  outcome="http_error"), 1)
                    refused = targets_api(d)["refused"]
                    self.assertIn("refused redirect from https to http://127.0.0.1:", refused["last_error"])
                    self.assertIn("allow_insecure_redirect", refused["last_error"])
                    self.assertEqual(hops(plain, "refused"), [])  # never asked

                    allowed = hops(plain, "allowed")[0]
                    # Followed, but credentials do not cross the network in clear text.
                    self.assertNotIn("authorization", allowed["headers"])
                    self.assertNotIn("cookie", allowed["headers"])
                    self.assertEqual(count(s, "probe_success", target="up"), 1)

            # The key is also a default for every target.
            with FakeAo(tls=(ca, key)) as secure, FakeAo() as plain:
                targets = (f"    - {{type: http, name: by-default, tls: {{ca_file: '{ca}'}},\n"
                           f"       url: '{redirect(secure, f'http://127.0.0.1:{plain.port}/ok?hop=default')}'}}\n")
                text = config(targets).replace("timeout: 300ms}", "timeout: 300ms, allow_insecure_redirect: true}")
                with Daemon(text) as d:
                    wait_for(d, "metricsd_probes_total", 1, target="by-default", outcome="ok")
                    self.assertGreaterEqual(len(hops(plain, "default")), 1)

    def test_at_most_ten_redirects(self):
        with FakeAo() as web:
            # Eleven nested redirects: the eleventh hop is not followed.
            def chain(n, final):
                url = final
                for _ in range(n):
                    url = redirect(web, url)
                return url
            targets = (f"    - {{type: http, name: ten, url: '{chain(10, web.url + '/ok?hop=ten')}'}}\n"
                       f"    - {{type: http, name: eleven, url: '{chain(11, web.url + '/ok?hop=eleven')}'}}\n")
            with Daemon(config(targets, "").replace("interval: 500ms, timeout: 300ms",
                                                    "interval: 2s, timeout: 1s")) as d:
                wait_for(d, "metricsd_probes_total", 1, target="ten", outcome="ok")
                wait_for(d, "metricsd_probes_total", 1, target="eleven", outcome="http_error")
                self.assertEqual(targets_api(d)["eleven"]["last_error"], "stopped after 10 redirects")
                self.assertEqual(hops(web, "eleven"), [])
                self.assertGreaterEqual(len(hops(web, "ten")), 1)


class SecretsTest(unittest.TestCase):
    PASSWORD = "pw-51d0c7"

    def markers(self):
        return (TOKEN, COOKIE, API_KEY, "body-9e5f1a", self.PASSWORD)

    def assertNoSecret(self, text, where):
        for marker in self.markers():
            self.assertNotIn(marker, text, f"{marker} in {where}")

    def test_errors_logs_and_targets_never_show_secrets(self):
        with FakeAo() as web:
            userinfo = f"http://user:{self.PASSWORD}@127.0.0.1:{web.port}/ok?token={TOKEN}"
            # Every character percent-encoded: the configured URL (shown as the target) must not
            # hold the markers; the server decodes them into its Location.
            hidden = "".join(f"%{ord(c):02X}" for c in userinfo)
            targets = (
                f"    - {{type: http, name: closed, method: POST, headers: {SECRET_HEADERS}, body: '{BODY}',\n"
                f"       url: 'http://127.0.0.1:1/'}}\n"
                f"    - {{type: http, name: userinfo, headers: {SECRET_HEADERS},\n"
                f"       url: '{web.url}/redirect-to?url={hidden}'}}\n"
                f"    - {{type: http, name: status, headers: {SECRET_HEADERS}, body: '{BODY}', method: POST,\n"
                f"       url: '{web.url}/status/500'}}\n")
            with Daemon(config(targets), args=["--log.level=debug"]) as d:
                for name in ("closed", "userinfo", "status"):
                    wait_for(d, "metricsd_probes_total", 1, target=name)
                api = targets_api(d)
                self.assertIn("user:<secret>@", api["userinfo"]["last_error"])
                self.assertIn("?<secret>", api["userinfo"]["last_error"])
                for name in ("closed", "userinfo", "status"):
                    self.assertTrue(api[name]["last_error"], name)
                self.assertNoSecret(d.get("/api/v1/targets")[2].decode(), "/api/v1/targets")
                self.assertNoSecret(d.metrics(), "/metrics")
                # A reload that fails on a URL with a password says where, not what.
                d.write_config(config(targets + f"    - {{type: http, url: 'http://u:{self.PASSWORD}@x/'}}\n"))
                d.send_signal(signal.SIGHUP)
                failed = d.wait_for_log("config reload failed", what="the reload to fail").string
                self.assertIn('invalid URL \\"http://u:<secret>@x/\\"', failed)
                self.assertNoSecret(failed, "the reload error")
                self.assertEqual(d.stop(), 0)
                d._reader.join(timeout=5)  # every line read
                self.assertNoSecret("\n".join(d.lines), "the log")

    def test_check_config_does_not_echo_a_url_password(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "metricsd.yaml")
            with open(path, "w") as f:
                f.write(config(f"    - {{type: http, url: 'https://admin:{self.PASSWORD}@cu.example/x?k={TOKEN}'}}\n"))
            result = subprocess.run([BIN, "--check-config", f"--config.file={path}"],
                                    capture_output=True, text=True, timeout=60)
            self.assertNotEqual(result.returncode, 0)
            output = result.stdout + result.stderr
            self.assertIn("https://admin:<secret>@cu.example/x?<secret>", output)
            self.assertNoSecret(output, "--check-config")


if __name__ == "__main__":
    unittest.main(verbosity=2)
