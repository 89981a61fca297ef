"""A small HTTP server standing in for a warehouse management system."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


class FakeWms:
    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self._server = HTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_port}/instructions"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _handler(self):
        wms = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                wms.received.append({"headers": self.headers, "body": body, "json": json.loads(body)})
                self.send_response(wms.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if wms.status < 300 else b'{"error": "refused"}')

            def log_message(self, *args):
                pass

        return Handler

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake_wms():
    wms = FakeWms()
    yield wms
    wms.stop()


@pytest.fixture
def closed_url():
    """A URL on which nothing listens: the WMS is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/instructions"
