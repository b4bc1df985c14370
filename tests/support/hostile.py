"""Hostile HTTP servers over raw sockets on 127.0.0.1: an endless body, a gzip bomb, headers
that trickle one byte at a time. Each is bounded in time (it gives up after ``limit`` seconds)
and stops when its ``with`` block ends."""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

Behaviour = Callable[[socket.socket, threading.Event], str]


class HostileServer:
    """Accepts connections and runs ``behaviour(connection, stop)`` for each, in a thread."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        #: how each connection ended: what the behaviour returned, or "client left"
        self.outcomes: list[str] = []
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                _read_request(conn)
                self.outcomes.append(self.behaviour(conn, self.stop))
            except OSError:
                self.outcomes.append("client left")  # what a bounded client does

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def endless_body(limit: float = 20.0) -> Behaviour:
    """A chunked body that never ends (until ``limit`` seconds pass)."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n" % 65536 + b"a" * 65536 + b"\r\n"
        until = time.monotonic() + limit
        while not stop.is_set() and time.monotonic() < until:
            conn.sendall(chunk)
        conn.sendall(b"0\r\n\r\n")
        return "completed"

    return behaviour


def gzip_bomb(inflated: int = 512 * 1024 * 1024) -> Behaviour:
    """A small gzip body that inflates to ``inflated`` bytes of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(inflated // len(block))]
    parts.append(compressor.flush())
    body = b"".join(parts)

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        conn.sendall(body)
        return "completed"

    return behaviour


def header_trickle(limit: float = 15.0, pause: float = 0.2) -> Behaviour:
    """The status line, then one header byte every ``pause`` seconds; after ``limit``
    seconds it completes a valid response (so a client without a total deadline succeeds)."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        until = time.monotonic() + limit
        while not stop.is_set() and time.monotonic() < until:
            conn.sendall(b"a")
            time.sleep(pause)
        conn.sendall(b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        return "completed"

    return behaviour
