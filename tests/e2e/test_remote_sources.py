"""Remote sources are fetched within bounds: size (decompressed), total deadline, policy."""

from __future__ import annotations

import gzip
import resource
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from arazzo_engine import DocumentError, load

OPENAPI = b"openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
# About 32 KiB on the wire that inflate to 32 MiB.
ZEROS_GZ = gzip.compress(b"0" * (32 * 1024 * 1024), compresslevel=9)


class _Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _start(self, headers: dict[str, str]) -> None:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def do_GET(self) -> None:
        stop = self.server.stop  # type: ignore[attr-defined]
        try:
            if self.path == "/ok.yaml":
                self._start({"Content-Length": str(len(OPENAPI))})
                self.wfile.write(OPENAPI)
            elif self.path == "/endless":
                self._start({"Content-Type": "text/plain"})  # no length: until closed
                while not stop.is_set():
                    self.wfile.write(b"x" * 65536)
            elif self.path == "/gzip-bomb":
                self._start({"Content-Encoding": "gzip", "Content-Length": str(len(ZEROS_GZ))})
                self.wfile.write(ZEROS_GZ)
            elif self.path == "/trickle":
                self._start({"Content-Length": "100000"})
                while not stop.is_set():
                    self.wfile.write(b"#")
                    self.wfile.flush()
                    time.sleep(0.2)
            elif self.path == "/header-trickle":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                while not stop.is_set():
                    self.wfile.write(b"X")
                    self.wfile.flush()
                    time.sleep(0.2)
            elif self.path.startswith("/redirect"):
                target = self.path.partition("?to=")[2]
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
        except OSError:
            pass


@pytest.fixture
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    server.stop = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


def _document(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "flow.arazzo.yaml"
    path.write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        f"sourceDescriptions:\n  - {{name: api, url: '{url}', type: openapi}}\n"
        "workflows:\n  - workflowId: w\n    steps:\n      - {stepId: s, operationId: x}\n"
    )
    return path


def _source_error(tmp_path: Path, url: str, **options: Any) -> str:
    document = load(_document(tmp_path, url), cache=False, **options)
    error = document.sources["api"].error
    assert error is not None
    return str(error)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_good_remote_source_loads(hostile: str, tmp_path: Path) -> None:
    document = load(_document(tmp_path, hostile + "/ok.yaml"), cache=False)
    assert document.sources["api"].error is None


def test_an_endless_body_stops_at_the_size_limit(hostile: str, tmp_path: Path) -> None:
    before = _peak_rss_mb()
    message = _source_error(tmp_path, hostile + "/endless", max_bytes=2 * 1024 * 1024)
    assert "limit" in message
    assert _peak_rss_mb() - before < 100


def test_a_gzip_bomb_is_counted_decompressed(hostile: str, tmp_path: Path) -> None:
    before = _peak_rss_mb()
    message = _source_error(tmp_path, hostile + "/gzip-bomb", max_bytes=4 * 1024 * 1024)
    assert "limit" in message
    assert _peak_rss_mb() - before < 100


@pytest.mark.parametrize("path", ["/trickle", "/header-trickle"])
def test_a_trickling_server_meets_the_total_deadline(
    hostile: str, tmp_path: Path, path: str
) -> None:
    started = time.monotonic()
    message = _source_error(tmp_path, hostile + path, remote_timeout=1.0)
    assert "within 1 s" in message or "cannot fetch" in message
    assert time.monotonic() - started < 10  # a bound on the test, not a speed assertion


def test_remote_sources_can_be_turned_off(hostile: str, tmp_path: Path) -> None:
    message = _source_error(tmp_path, hostile + "/ok.yaml", allow_remote=False)
    assert "allow_remote=False" in message


def test_an_allow_list_covers_redirects(hostile: str, tmp_path: Path) -> None:
    allowed = load(
        _document(tmp_path, hostile + "/ok.yaml"), cache=False, allow_remote=["127.0.0.1"]
    )
    assert allowed.sources["api"].error is None
    port = hostile.rsplit(":", 1)[1]
    away = f"{hostile}/redirect?to=http://localhost:{port}/ok.yaml"
    message = _source_error(tmp_path, away, allow_remote=["127.0.0.1"])
    assert "'localhost' is not in the allowed hosts" in message
    elsewhere = _source_error(tmp_path, hostile + "/ok.yaml", allow_remote=["example.org"])
    assert "not in the allowed hosts" in elsewhere


def test_a_redirect_to_another_scheme_is_refused(hostile: str, tmp_path: Path) -> None:
    message = _source_error(tmp_path, f"{hostile}/redirect?to=file:///etc/passwd")
    assert "only http and https" in message


def test_a_remote_document_is_bounded_too(hostile: str) -> None:
    with pytest.raises(DocumentError, match="limit"):
        load(hostile + "/endless", max_bytes=1024 * 1024)


def test_unused_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert "cannot fetch" in _source_error(tmp_path, f"http://127.0.0.1:{port}/x.yaml")
