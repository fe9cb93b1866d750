# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small artifact repository for tests: serves files over HTTPS with a certificate of its own test CA.

``PackageServer`` runs in a thread of the test process. It serves the files it is given (``publish``), optionally
behind HTTP basic authentication or a required header, counts every request per path, and can answer with a fixed
status, a body other than the file, or close the connection mid-body. Nothing here belongs to the collection: the
emulator gains nothing for downloads (the packages come from a repository, not from the cluster).
"""

import base64
import os
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.emulator.certs import ensure_ca, issue_node_cert


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (or a body cut on purpose) is part of the tests, not an error to print


class PackageServer:
    def __init__(self, state_dir, username=None, password=None):
        os.makedirs(state_dir, exist_ok=True)
        ca_cert, ca_key, self.ca_file = ensure_ca(state_dir)
        cert_file, key_file = issue_node_cert(state_dir, ca_cert, ca_key, "packages", "127.0.0.1")
        self.files = {}
        self.answers = {}
        self.requests = []
        self.username, self.password = username, password
        self.required_header = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._serve(self)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self):
        return "https://127.0.0.1:%d" % self.httpd.server_address[1]

    def publish(self, path, source):
        """Serve the file ``source`` at ``path`` (``/repo/hello-1.0.0.zip``); returns its url."""
        self.files[path] = source
        return self.base_url + path

    def answer(self, path, status=None, body=None, content_type="text/html", cut_after=None):
        """Answer ``path`` with ``status`` and ``body`` instead of the file, or stop after ``cut_after`` bytes of it."""
        self.answers[path] = dict(status=status, body=body, content_type=content_type, cut_after=cut_after)

    def count(self, path=None):
        """How many GETs reached ``path`` (every path when None)."""
        with self._lock:
            return len([r for r in self.requests if path is None or r["path"] == path])

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _serve(self, handler):
        path = handler.path.partition("?")[0]
        with self._lock:
            self.requests.append({"path": path, "authorization": handler.headers.get("Authorization"),
                                  "headers": dict(handler.headers)})
        if self.username is not None:
            expected = "Basic " + base64.b64encode(("%s:%s" % (self.username, self.password)).encode()).decode()
            if handler.headers.get("Authorization") != expected:
                return self._send(handler, 401, b"<html>login required</html>", "text/html",
                                  extra={"WWW-Authenticate": 'Basic realm="packages"'})
        if self.required_header is not None:
            name, value = self.required_header
            if handler.headers.get(name) != value:
                return self._send(handler, 403, b"forbidden", "text/plain")
        answer = self.answers.get(path)
        if answer and answer["status"] is not None:
            return self._send(handler, answer["status"], answer["body"] or b"", answer["content_type"])
        if answer and answer["body"] is not None:
            return self._send(handler, 200, answer["body"], answer["content_type"])
        source = self.files.get(path)
        if source is None:
            return self._send(handler, 404, b"not found", "text/plain")
        size = os.path.getsize(source)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/zip")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        cut = answer["cut_after"] if answer else None
        with open(source, "rb") as handle:
            sent = 0
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                if cut is not None and sent + len(chunk) > cut:
                    handler.wfile.write(chunk[:cut - sent])
                    handler.wfile.flush()
                    handler.close_connection = True
                    handler.connection.shutdown(2)
                    return
                handler.wfile.write(chunk)
                sent += len(chunk)

    @staticmethod
    def _send(handler, status, body, content_type, extra=None):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture
def package_server(tmp_path):
    """A PackageServer with its own test CA (``.ca_file``), shut down after the test."""
    made = []

    def make(**kwargs):
        made.append(PackageServer(str(tmp_path / ("packages%d" % len(made))), **kwargs))
        return made[-1]

    yield make
    for server in made:
        server.close()
