"""A small items API on 127.0.0.1 for batch and Temporal tests (tests/data/batch).

``POST /items`` with ``{"name", "n", "delay"?}`` answers 201 ``{"id": "<name>-<n>"}`` after
``delay`` seconds, or 400 when ``n`` is negative; ``GET /items/<name>-<n>`` answers 200
``{"id", "double": 2n}``. Every request is counted by method and path (``counts``), so a test
can check that each call crossed the wire exactly once. ``python -m tests.support.items_server``
serves until killed, printing its URL on the first line.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # bursts of many clients connecting at once


class ItemsServer:
    """The items API, threaded, on a free port of 127.0.0.1 (a context manager)."""

    def __init__(self, port: int = 0) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                with server._lock:
                    server.counts[("POST", self.path)] += 1
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._answer(400, {"error": "not JSON"})
                    return
                if body.get("delay"):
                    time.sleep(float(body["delay"]))
                n = body.get("n")
                if not isinstance(n, int) or n < 0:
                    self._answer(400, {"error": "n must be a whole number of 0 or more"})
                    return
                self._answer(201, {"id": f"{body.get('name')}-{n}"})

            def do_GET(self) -> None:
                with server._lock:
                    server.counts[("GET", self.path)] += 1
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                _, _, number = self.path.rpartition("-")
                if not self.path.startswith("/items/") or not number.isdigit():
                    self._answer(404, {"error": "no such item"})
                    return
                self._answer(200, {"id": self.path[len("/items/") :], "double": 2 * int(number)})

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ItemsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":  # pragma: no cover - used by tests in another process
    with ItemsServer() as running:
        print(running.url, flush=True)
        limit = float(sys.argv[1]) if len(sys.argv) > 1 else 600.0
        time.sleep(limit)
