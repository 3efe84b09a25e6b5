"""The exporter-toolkit web-config file against the built binary, with real TLS clients (curl):
HTTPS with the test CA, basic auth accepted and refused, mTLS, minimum TLS versions, the
configured headers, web.config_file in metricsd.yaml, --check-config, and reloads (a broken file
keeps the running one). Secrets (passwords, hashes) must not show up in logs or APIs."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import BIN, Daemon, require_tool, self_signed_cert  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402  (libcrypt's bcrypt, the same library metricsd verifies with)

QUIET = "host: {enabled: false}\n"
PASSWORD = "correct horse battery staple"


def bcrypt(password, cost=10):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))
    assert hashed.startswith("$2b$"), hashed
    return "$2y$" + hashed[4:]  # htpasswd's prefix, as users' files have it


def openssl(*args):
    subprocess.run([require_tool("openssl"), *args], check=True, capture_output=True, timeout=60)


def make_ca(directory, name):
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}")
    return cert, key


def make_client(directory, name, ca, san):
    key, csr = os.path.join(directory, f"{name}.key"), os.path.join(directory, f"{name}.csr")
    cert = os.path.join(directory, f"{name}.crt")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", f"/CN={name}", "-addext",
            f"subjectAltName={san}")
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
            "-out", cert, "-days", "2", "-copy_extensions", "copy")
    return cert, key


class Curl:
    """(exit code, HTTP status, headers with lower-case names, body) of one curl request."""

    def __init__(self, directory):
        self.dir = directory

    def __call__(self, url, *args):
        headers_file = os.path.join(self.dir, "curl-headers")
        command = [require_tool("curl"), "-sS", "--max-time", "10", "-o", "-", "-D",
                   headers_file, "-w", "\n%{http_code}", *args, url]
        run = subprocess.run(command, capture_output=True, text=True, timeout=30)
        body, _, status = run.stdout.rpartition("\n")
        headers = {}
        if os.path.exists(headers_file):
            with open(headers_file) as f:
                for line in f:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
            os.remove(headers_file)
        return run.returncode, int(status or 0), headers, body


class WebTlsAuthTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="metricsd-webcfg-")
        self.dir = self.tmp.name
        self.cert, self.key = self_signed_cert(self.dir)
        self.curl = Curl(self.dir)
        self.hash = bcrypt(PASSWORD)
        self.web_config = os.path.join(self.dir, "web.yml")

    def tearDown(self):
        self.tmp.cleanup()

    def write_web_config(self, text):
        tmp = self.web_config + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.web_config)

    def tls_and_auth(self, users=None, extra_tls=""):
        users = users or {"prometheus": self.hash}
        return ("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n" + extra_tls +
                "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n"
                "    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n"
                "basic_auth_users:\n" +
                "".join(f"  {user}: {hashed}\n" for user, hashed in users.items()))

    def https(self, daemon, path="/metrics", *args):
        return self.curl(f"https://127.0.0.1:{daemon.port}{path}", "--cacert", self.cert, *args)

    def reload(self, daemon, outcome):
        start = len(daemon.lines)
        daemon.send_signal(signal.SIGHUP)
        return daemon.wait_for_log(outcome, start=start, what=outcome)

    def test_https_with_basic_auth_and_headers(self):
        self.write_web_config(self.tls_and_auth())
        with Daemon(QUIET, args=[f"--web.config.file={self.web_config}"]) as d:
            code, status, headers, body = self.https(d, "/metrics", "-u", f"prometheus:{PASSWORD}")
            self.assertEqual((code, status), (0, 200), body)
            self.assertIn("metricsd_build_info", body)
            self.assertEqual(headers.get("x-content-type-options"), "nosniff")
            self.assertEqual(headers.get("x-frame-options"), "deny")
            self.assertEqual(headers.get("strict-transport-security"), "max-age=31536000")

            # Refused: no credentials, a wrong password, an unknown user, another scheme.
            for args in ([], ["-u", "prometheus:wrong"], ["-u", f"nobody:{PASSWORD}"],
                         ["-H", "Authorization: Bearer x"]):
                code, status, headers, body = self.https(d, "/metrics", *args)
                self.assertEqual((code, status), (0, 401), args)
                self.assertEqual(headers.get("www-authenticate"), "Basic", args)
                self.assertNotIn("metricsd_build_info", body)
                # exporter-toolkit sets its headers on every response, refusals included.
                self.assertEqual(headers.get("x-frame-options"), "deny", args)
            # Every path is behind auth, not only /metrics.
            for path in ("/", "/assets/app.js", "/api/v1/dashboard", "/-/healthy",
                         "/api/v1/status/config", "/api/v1/targets"):
                self.assertEqual(self.https(d, path)[1], 401, path)

            # The certificate is the configured one: without the CA, curl refuses it.
            code, status, _, _ = self.curl(f"https://127.0.0.1:{d.port}/metrics")
            self.assertEqual(code, 60)  # CURLE_PEER_FAILED_VERIFICATION
            # Plain HTTP on the TLS port gets no answer.
            code, status, _, _ = self.curl(f"http://127.0.0.1:{d.port}/metrics",
                                           "-u", f"prometheus:{PASSWORD}")
            self.assertNotEqual(status, 200)

            # The default minimum is TLS 1.2, as exporter-toolkit's.
            code, _, _, _ = self.https(d, "/metrics", "--tls-max", "1.1",
                                       "-u", f"prometheus:{PASSWORD}")
            self.assertEqual(code, 35)  # CURLE_SSL_CONNECT_ERROR
            code, status, _, _ = self.https(d, "/metrics", "--tlsv1.2", "--tls-max", "1.2",
                                            "-u", f"prometheus:{PASSWORD}")
            self.assertEqual((code, status), (0, 200))

            # Secrets: the password and the hash are in no log line and no API answer.
            _, status, _, config = self.https(d, "/api/v1/status/config", "-u",
                                              f"prometheus:{PASSWORD}")
            self.assertEqual(status, 200)
            for secret in (PASSWORD, self.hash, self.hash[7:]):
                self.assertNotIn(secret, config)
                self.assertNotIn(secret, "\n".join(d.lines))

    def test_min_version_tls13_refuses_tls12(self):
        self.write_web_config("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
                              "  min_version: TLS13\n")
        with Daemon(QUIET, args=[f"--web.config.file={self.web_config}"]) as d:
            code, _, _, _ = self.https(d, "/metrics", "--tls-max", "1.2")
            self.assertEqual(code, 35)
            code, status, _, _ = self.https(d, "/metrics", "--tlsv1.3")
            self.assertEqual((code, status), (0, 200))

    def test_mtls_require_and_verify_client_cert(self):
        ca = make_ca(self.dir, "clients-ca")
        client = make_client(self.dir, "client", ca, "DNS:client.example")
        rogue_ca = make_ca(self.dir, "rogue-ca")
        rogue = make_client(self.dir, "rogue", rogue_ca, "DNS:client.example")
        tls = ("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
               "  client_auth_type: RequireAndVerifyClientCert\n"
               "  client_ca_file: clients-ca.crt\n")
        self.write_web_config(tls)
        with Daemon(QUIET, args=[f"--web.config.file={self.web_config}"]) as d:
            with_cert = ["--cert", client[0], "--key", client[1]]
            code, status, _, body = self.https(d, "/metrics", *with_cert)
            self.assertEqual((code, status), (0, 200), body)
            # No certificate, or one from another CA: the handshake fails, nothing is served.
            code, status, _, _ = self.https(d, "/metrics")
            self.assertNotEqual(code, 0)
            self.assertEqual(status, 0)
            code, status, _, _ = self.https(d, "/metrics", "--cert", rogue[0], "--key", rogue[1])
            self.assertNotEqual(code, 0)
            self.assertEqual(status, 0)

            # client_allowed_sans, applied by a reload: a SAN not in the list is refused...
            self.write_web_config(tls + "  client_allowed_sans: [other.example]\n")
            self.reload(d, r'msg="config reloaded"')
            code, status, _, _ = self.https(d, "/metrics", *with_cert)
            self.assertNotEqual(code, 0)
            self.assertEqual(status, 0)
            # ... and one in it passes.
            self.write_web_config(tls + "  client_allowed_sans: [other.example, client.example]\n")
            self.reload(d, r'msg="config reloaded"')
            code, status, _, _ = self.https(d, "/metrics", *with_cert)
            self.assertEqual((code, status), (0, 200))

    def test_reload_rereads_the_file_and_a_broken_one_keeps_the_running_one(self):
        self.write_web_config(self.tls_and_auth())
        with Daemon(QUIET, args=[f"--web.config.file={self.web_config}"]) as d:
            auth = ["-u", f"prometheus:{PASSWORD}"]
            self.assertEqual(self.https(d, "/metrics", *auth)[1], 200)

            # A typo: the reload fails with the position, the running TLS and users stay.
            self.write_web_config(self.tls_and_auth().replace("key_file:", "key_flie:"))
            match = self.reload(d, r'msg="config reload failed.*')
            self.assertIn("web.yml:3:3: tls_server_config.key_flie: unknown key (did you mean "
                          "key_file?)", match.group(0))
            code, status, _, body = self.https(d, "/metrics", *auth)
            self.assertEqual((code, status), (0, 200))
            self.assertRegex(body, r"(?m)^metricsd_config_last_reload_successful 0$")
            # A hash that is not bcrypt: refused, and the error does not echo it.
            self.write_web_config(self.tls_and_auth({"prometheus": "plaintext-secret"}))
            match = self.reload(d, r'msg="config reload failed.*')
            self.assertIn("basic_auth_users.prometheus: not a bcrypt hash", match.group(0))
            self.assertNotIn("plaintext-secret", "\n".join(d.lines))
            self.assertEqual(self.https(d, "/metrics", *auth)[1], 200)

            # A good file with another password: the old one is refused from then on (its
            # cached success went with the old config), the new one accepted.
            self.write_web_config(self.tls_and_auth({"prometheus": bcrypt("new password")}))
            self.reload(d, r'msg="config reloaded"')
            self.assertEqual(self.https(d, "/metrics", *auth)[1], 401)
            code, status, _, body = self.https(d, "/metrics", "-u", "prometheus:new password")
            self.assertEqual((code, status), (0, 200))
            self.assertRegex(body, r"(?m)^metricsd_config_last_reload_successful 1$")

            # Removing TLS on reload applies to new connections: plain HTTP from then on.
            self.write_web_config("")
            self.reload(d, r'msg="config reloaded"')
            status, _, _ = d.get("/-/healthy")
            self.assertEqual(status, 200)

    def test_web_config_file_key_is_relative_to_the_config(self):
        self.write_web_config(self.tls_and_auth())
        with open(os.path.join(self.dir, "metricsd.yaml"), "w") as f:
            f.write(QUIET + "web:\n  config_file: web.yml\n")
        with Daemon(None, args=[f"--config.file={os.path.join(self.dir, 'metricsd.yaml')}"]) as d:
            code, status, _, _ = self.https(d, "/metrics", "-u", f"prometheus:{PASSWORD}")
            self.assertEqual((code, status), (0, 200))
        # The flag wins over the key: an empty one means plain HTTP.
        with Daemon(None, args=[f"--config.file={os.path.join(self.dir, 'metricsd.yaml')}",
                                "--web.config.file="]) as d:
            status, _, _ = d.get("/-/healthy")
            self.assertEqual(status, 200)

    def test_check_config_validates_the_web_config(self):
        config = os.path.join(self.dir, "metricsd.yaml")
        with open(config, "w") as f:
            f.write(QUIET)
        self.write_web_config(self.tls_and_auth())
        run = subprocess.run([BIN, f"--config.file={config}", f"--web.config.file={self.web_config}",
                              "--check-config"], capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn(f"SUCCESS: {self.web_config} is valid web config", run.stdout)

        self.write_web_config(self.tls_and_auth().replace("X-Frame-Options: deny",
                                                          "X-Frame-Options: allow"))
        run = subprocess.run([BIN, f"--config.file={config}", f"--web.config.file={self.web_config}",
                              "--check-config"], capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 1)
        self.assertIn(f"FAILED: {self.web_config}:7:22: http_server_config.headers.X-Frame-Options: "
                      "invalid value \"allow\"", run.stdout)

        # At start-up a bad file is fatal, with its position.
        os.remove(self.cert)
        self.write_web_config(self.tls_and_auth())
        run = subprocess.run([BIN, f"--config.file={config}", f"--web.config.file={self.web_config}",
                              "--web.listen-address=127.0.0.1:0"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 1)
        self.assertRegex(run.stderr, r"web\.yml:2:14: tls_server_config\.cert_file: cannot read "
                                     r"cert_file \S+/cert\.pem: No such file or directory")


if __name__ == "__main__":
    unittest.main(verbosity=2)
