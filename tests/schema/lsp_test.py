"""The shipped JSON Schemas, as a user in an editor meets them.

Drives the real yaml-language-server (npm, installed into tests/schema/node_modules by
`.ci/install-deps --with-tests`) over the language-server protocol (JSON-RPC on stdio with
Content-Length framing), the way VS Code, Neovim or Helix do:
- every shipped example (config/metricsd.yaml, config/examples/**) starts with a
  `# yaml-language-server: $schema=...` modeline naming its schema, and opening it gives no
  diagnostics (a schema that fails to load would give one, so this also checks the paths);
- broken copies (an unknown key, a wrong type, a bad enum value), with the modeline rewritten to
  the schema's absolute file:// URI, each give a diagnostic on the broken line;
- completion at a key position inside `web:` offers the section's keys with their docs.
Every wait is bounded; a server that cannot start fails the test (it never skips).
"""
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("METRICSD_SOURCE_DIR", HERE.parent.parent)).resolve()
SCHEMA_DIR = ROOT / "config" / "schema"
SERVER_JS = HERE / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n")

START_TIMEOUT = 20.0      # initialize answered
REQUEST_TIMEOUT = 15.0    # any other request answered
DIAGNOSTICS_TIMEOUT = 15.0  # first publishDiagnostics after didOpen/didChange
SETTLE = 0.5              # later publishDiagnostics for the same version replace the first


def shipped_examples():
    files = [ROOT / "config" / "metricsd.yaml"]
    files += sorted(p for p in (ROOT / "config" / "examples").rglob("*")
                    if p.suffix in (".yaml", ".yml"))
    return files


def schema_for(path):
    """The schema a file's kind calls for (independent of its modeline, which is checked)."""
    text = path.read_text()
    if path.parent.name == "statsd-mapping":
        return "statsd-mapping.schema.json"
    if re.search(r"^groups:", text, re.M):
        return "rules.schema.json"
    if re.search(r"^(tls_server_config|http_server_config|basic_auth_users):", text, re.M):
        return "web-config.schema.json"
    return "metricsd.schema.json"


class LanguageServer:
    """A yaml-language-server child process and the client half of the protocol.

    Thread-safety: one test thread calls the methods; a reader thread only fills the queues.
    """

    def __init__(self):
        node = shutil.which("node")
        if node is None:
            raise AssertionError("node not on PATH: run .ci/install-deps --with-tests")
        if not SERVER_JS.exists():
            raise AssertionError(f"{SERVER_JS} missing: run .ci/install-deps --with-tests "
                                 "(npm ci --prefix tests/schema)")
        self.proc = subprocess.Popen([node, str(SERVER_JS), "--stdio"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.next_id = 1
        self.responses = {}
        self.responses_cv = threading.Condition()
        self.diagnostics = queue.Queue()
        self.log = []
        self.settings = {"yaml": {
            "validate": True, "completion": True, "hover": True,
            "schemaStore": {"enable": False},  # no network: only the modelines' schemas
            "schemas": {},
        }}
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # --- framing -------------------------------------------------------------------------
    def _send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    with self.responses_cv:
                        self.responses_cv.notify_all()
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(out.read(length))
            self._dispatch(message)

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.log.append(line.decode(errors="replace").rstrip())

    def _dispatch(self, message):
        if "method" in message and "id" in message:  # a request from the server
            self._send({"jsonrpc": "2.0", "id": message["id"],
                        "result": self._answer(message["method"], message.get("params"))})
        elif "method" in message:
            if message["method"] == "textDocument/publishDiagnostics":
                self.diagnostics.put(message["params"])
            elif message["method"] == "window/logMessage":
                self.log.append(message["params"].get("message", ""))
        else:
            with self.responses_cv:
                self.responses[message["id"]] = message
                self.responses_cv.notify_all()

    def _answer(self, method, params):
        if method == "workspace/configuration":
            return [self.settings.get(item.get("section"), None) if item.get("section")
                    else self.settings for item in params["items"]]
        return None  # client/registerCapability, window/workDoneProgress/create, ...

    # --- client API ----------------------------------------------------------------------
    def request(self, method, params, timeout=REQUEST_TIMEOUT):
        rid = self.next_id
        self.next_id += 1
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self.responses_cv:
            while rid not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"{method}: no answer within {timeout}s "
                                         f"(server exit code {self.proc.poll()}); log:\n"
                                         + "\n".join(self.log[-30:]))
                self.responses_cv.wait(left)
            response = self.responses.pop(rid)
        if "error" in response:
            raise AssertionError(f"{method}: {response['error']}")
        return response["result"]

    def notify(self, method, params):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def start(self):
        result = self.request("initialize", {
            "processId": os.getpid(), "rootUri": ROOT.as_uri(),
            "workspaceFolders": [{"uri": ROOT.as_uri(), "name": "metricsd"}],
            "capabilities": {
                "workspace": {"configuration": True,
                              "didChangeConfiguration": {"dynamicRegistration": False}},
                "textDocument": {
                    "publishDiagnostics": {"relatedInformation": True},
                    "completion": {"completionItem": {
                        "snippetSupport": True,
                        "documentationFormat": ["markdown", "plaintext"]}},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                },
            },
        }, timeout=START_TIMEOUT)
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})
        return result

    def open(self, uri, text):
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text}})

    def close(self, uri):
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def wait_diagnostics(self, uri, timeout=DIAGNOSTICS_TIMEOUT):
        """The diagnostics for uri: the first publication, or a later one within SETTLE."""
        deadline = time.monotonic() + timeout
        found = None
        while True:
            left = deadline - time.monotonic()
            if found is not None:
                left = min(left, SETTLE)
            try:
                params = self.diagnostics.get(timeout=max(left, 0.01))
            except queue.Empty:
                if found is not None:
                    return found
                raise AssertionError(f"no diagnostics published for {uri} within {timeout}s; "
                                     "log:\n" + "\n".join(self.log[-30:]))
            if params["uri"] == uri:
                found = params["diagnostics"]

    def stop(self):
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None, timeout=5)
                self.notify("exit", None)
                self.proc.wait(timeout=5)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)


def describe(diagnostics):
    return "\n".join(f"  line {d['range']['start']['line'] + 1}: {d['message']}"
                     for d in diagnostics) or "  (none)"


class SchemaInEditor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LanguageServer()
        try:
            result = cls.server.start()
        except BaseException:
            cls.server.stop()
            raise
        assert result["capabilities"].get("completionProvider"), result
        cls.tmp = tempfile.TemporaryDirectory(prefix="metricsd-lsp-")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def diagnostics_of(self, path, text):
        uri = path.as_uri()
        self.server.open(uri, text)
        try:
            return self.server.wait_diagnostics(uri)
        finally:
            self.server.close(uri)

    def broken_copy(self, example, name, old, new):
        """example with the one line matching `old` (a regex) replaced by `new`; the 0-based
        line that is broken."""
        text = (ROOT / "config" / "examples" / example).read_text()
        modeline = MODELINE.match(text)
        self.assertIsNotNone(modeline, example)
        schema = (SCHEMA_DIR / schema_for(ROOT / "config" / "examples" / example)).as_uri()
        lines = MODELINE.sub(f"# yaml-language-server: $schema={schema}\n", text).split("\n")
        hits = [i for i, line in enumerate(lines) if re.search(old, line)]
        self.assertEqual(len(hits), 1, f"{example}: {old!r} must match one line, got {hits}")
        replaced = re.sub(old, new, lines[hits[0]])
        lines[hits[0]] = replaced
        path = Path(self.tmp.name) / name
        path.write_text("\n".join(lines))
        # A replacement that inserts lines breaks the last of them.
        return path, "\n".join(lines), hits[0] + replaced.count("\n")

    def test_shipped_examples_have_a_modeline_and_no_diagnostics(self):
        files = shipped_examples()
        self.assertGreaterEqual(len(files), 10, files)
        for path in files:
            with self.subTest(file=str(path.relative_to(ROOT))):
                text = path.read_text()
                modeline = MODELINE.match(text)
                self.assertIsNotNone(modeline, "first line must be "
                                     "`# yaml-language-server: $schema=<relative path>`")
                target = (path.parent / modeline.group(1)).resolve()
                self.assertEqual(target, SCHEMA_DIR / schema_for(path),
                                 f"modeline names {modeline.group(1)}")
                diagnostics = self.diagnostics_of(path, text)
                self.assertEqual(diagnostics, [], "\n" + describe(diagnostics))

    def test_broken_copies_give_a_diagnostic_on_the_broken_line(self):
        cases = [
            # (what, example, regex of the line to break, replacement, words in the message)
            ("unknown key", "web-all-interfaces.yaml", r"max_connections:", "max_conections:",
             "not allowed"),
            ("wrong type (string for int)", "web-all-interfaces.yaml", r"max_connections: 32",
             "max_connections: lots", "incorrect type"),
            ("int out of bounds", "web-all-interfaces.yaml", r"max_connections: 32",
             "max_connections: 0", "minimum"),
            ("wrong type (mapping for bool)", "host-container.yaml", r"pressure: false",
             "pressure: {on: true}", "incorrect type"),
            ("bad duration", "host-container.yaml", r"interval: 15s", "interval: 15 seconds",
             "pattern"),
            ("bad enum value", "ao-probes.yaml", r"^(\s*-?\s*)type: http\b", r"\1type: htpp",
             "value is not accepted"),
            ("bad enum value (web-config)", "web-config.yml", r"^(\s*)min_version: TLS12",
             r"\1min_version: TLS99", "value is not accepted"),
            ("bad enum value (mapping file)", "statsd-mapping/game.yaml",
             r"^(\s*)observer_type: histogram", r"\1observer_type: histgram",
             "value is not accepted"),
            ("unknown key (rule file)", "alerts.yaml", r"^(\s*)- alert: SlowAoHandler",
             r"\1- alert: SlowAoHandler\n\1  severity: page", "not allowed"),
        ]
        for what, example, old, new, words in cases:
            with self.subTest(case=what, example=example):
                name = what.replace(" ", "_").replace("(", "").replace(")", "") + ".yaml"
                path, text, line = self.broken_copy(example, name, old, new)
                diagnostics = self.diagnostics_of(path, text)
                on_line = [d for d in diagnostics if d["range"]["start"]["line"] == line]
                self.assertTrue(on_line, f"no diagnostic on line {line + 1}; got:\n"
                                + describe(diagnostics))
                self.assertTrue(any(words.lower() in d["message"].lower() for d in on_line),
                                f"line {line + 1}: expected '{words}'; got:\n"
                                + describe(on_line))

    def test_completion_in_web_offers_its_keys_with_their_docs(self):
        schema = json.loads((SCHEMA_DIR / "metricsd.schema.json").read_text())
        web = schema["properties"]["web"]["properties"]
        path = Path(self.tmp.name) / "completion.yaml"
        text = (f"# yaml-language-server: $schema={(SCHEMA_DIR / 'metricsd.schema.json').as_uri()}"
                "\nweb:\n  max_connections: 32\n  \n")
        path.write_text(text)
        uri = path.as_uri()
        self.server.open(uri, text)
        try:
            self.server.wait_diagnostics(uri)  # the schema is loaded
            result = self.server.request("textDocument/completion", {
                "textDocument": {"uri": uri}, "position": {"line": 3, "character": 2}})
        finally:
            self.server.close(uri)
        items = result["items"] if isinstance(result, dict) else result
        labels = {item["label"]: item for item in items}
        expected = set(web) - {"max_connections"}  # already present: not offered again
        self.assertEqual(set(labels), expected, json.dumps(items, indent=1)[:3000])
        for key in expected:
            with self.subTest(key=key):
                item = labels[key]
                doc = item.get("documentation", "")
                doc = doc.get("value", "") if isinstance(doc, dict) else doc
                self.assertIn(web[key]["description"], doc, json.dumps(item, indent=1))


if __name__ == "__main__":
    unittest.main(verbosity=2)
