"""A loopback HTTP server that answers PURGE like deploy/varnish/masthead.vcl and records it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PurgeRecorder:
    def __init__(self, status: int = 200):
        self.status = status
        self.requests: list[tuple[str, str, str]] = []  # (method, path, xkey-purge)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self):  # noqa: N802 - the HTTP method's name
                recorder.requests.append(
                    (self.command, self.path, self.headers.get("xkey-purge", "")))
                self.send_response(recorder.status)
                self.send_header("X-Purged", "3")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def keys(self) -> set[str]:
        return {k for _, _, header in self.requests for k in header.split()}

    def clear(self) -> None:
        self.requests.clear()
