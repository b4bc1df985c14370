"""The sync driver's plain path (the shared pool spoken to in plain data, no httpx Request or
Response) sends and records exactly what the httpx path does, over real sockets."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_engine import run_workflow

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "items", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:1"}],
    "paths": {
        "/items": {
            "post": {
                "operationId": "createItem",
                "parameters": [{"name": "X-Note", "in": "header", "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "created"}},
            },
            "put": {"operationId": "touchItems", "responses": {"200": {"description": "ok"}}},
        },
        "/items/{id}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "the item"}},
            }
        },
    },
}


def _workflow(note: str) -> dict[str, Any]:
    return {
        "arazzo": "1.0.1",
        "info": {"title": "items", "version": "1"},
        "sourceDescriptions": [{"name": "items", "url": "items.openapi.json", "type": "openapi"}],
        "workflows": [
            {
                "workflowId": "flow",
                "steps": [
                    {
                        "stepId": "create",
                        "operationId": "createItem",
                        "parameters": [{"name": "X-Note", "in": "header", "value": note}],
                        "requestBody": {
                            "contentType": "application/json",
                            "payload": {"name": "widget", "price": 3},
                        },
                        "successCriteria": [{"condition": "$statusCode == 201"}],
                        "outputs": {"id": "$response.body#/id"},
                    },
                    {"stepId": "touch", "operationId": "touchItems"},
                    {
                        "stepId": "read",
                        "operationId": "getItem",
                        "parameters": [
                            {"name": "id", "in": "path", "value": "$steps.create.outputs.id"}
                        ],
                        "outputs": {"name": "$response.body#/name"},
                    },
                ],
                "outputs": {"name": "$steps.read.outputs.name"},
            }
        ],
    }


class _RawServer:
    """Records each request head exactly as it arrived; answers JSON, gzip-compressed for
    GET, with a header value that is not ASCII."""

    def __init__(self) -> None:
        self.heads: list[list[str]] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                self.heads.append(lines)
                length = next(
                    (
                        int(v)
                        for k, _, v in (x.partition(": ") for x in lines[1:])
                        if k.lower() == "content-length"
                    ),
                    0,
                )
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                method = lines[0].split(" ")[0]
                extra = b""
                if method == "GET":
                    body = gzip.compress(json.dumps({"id": "42", "name": "widget"}).encode())
                    extra = b"Content-Encoding: gzip\r\nX-Greeting: cr\xc3\xa8me\r\n"
                    status = b"200 OK"
                elif method == "PUT":
                    body, status = b"", b"200 OK"
                else:
                    body, status = json.dumps({"id": "42"}).encode(), b"201 Created"
                conn.sendall(
                    b"HTTP/1.1 "
                    + status
                    + b"\r\nContent-Type: application/json\r\n"
                    + extra
                    + b"Content-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[_RawServer, Path]]:
    (tmp_path / "items.openapi.json").write_text(json.dumps(OPENAPI))
    server = _RawServer()
    try:
        yield server, tmp_path
    finally:
        server.close()


def _run(folder: Path, server: _RawServer, note: str, client: httpx.Client | None = None) -> Any:
    path = folder / f"flow-{abs(hash(note))}.arazzo.json"
    path.write_text(json.dumps(_workflow(note)))
    result = run_workflow(str(path), "flow", servers={"items": server.url}, client=client)
    assert result.success, result.error
    return result


def test_the_plain_path_sends_and_records_what_httpx_sends(
    served: tuple[_RawServer, Path],
) -> None:
    server, folder = served
    plain = _run(folder, server, "hello")  # the shared client: the plain path
    plain_heads = list(server.heads)
    server.heads.clear()
    with httpx.Client() as client:  # a caller's client: always client.send
        through_httpx = _run(folder, server, "hello", client)
    assert plain_heads == server.heads  # the same bytes on the wire, header order included
    assert [h[0] for h in plain_heads] == [
        "POST /items HTTP/1.1",
        "PUT /items HTTP/1.1",
        "GET /items/42 HTTP/1.1",
    ]
    assert "Content-Length: 0" in plain_heads[1]  # an empty PUT says so, as httpx does
    for a, b in zip(plain.steps, through_httpx.steps, strict=True):
        assert (a.request.headers, a.request.url, a.request.body) == (
            b.request.headers,
            b.request.url,
            b.request.body,
        )
        assert (a.response.headers, a.response.body) == (b.response.headers, b.response.body)
    read = plain.step("read").response
    assert ("x-greeting", "crème") in read.headers  # not ASCII: UTF-8, as httpx decodes it
    assert ("content-encoding", "gzip") in read.headers and plain.outputs["name"] == "widget"


def test_a_refused_header_and_a_dead_server_read_the_same_on_both_paths(
    served: tuple[_RawServer, Path],
) -> None:
    server, folder = served
    (folder / "f.arazzo.json").write_text(json.dumps(_workflow("crème")))
    with httpx.Client() as client:
        for given in (None, client):
            refused = run_workflow(
                str(folder / "f.arazzo.json"),
                "flow",
                servers={"items": server.url},
                client=given,
            )
            assert not refused.success
            assert "the value must be ASCII" in (refused.steps[0].error or "")
    probe = socket.create_server(("127.0.0.1", 0))  # a port nobody listens on once closed
    dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()
    errors = []
    with httpx.Client() as client:
        for given in (None, client):
            (folder / "g.arazzo.json").write_text(json.dumps(_workflow("hello")))
            failed = run_workflow(
                str(folder / "g.arazzo.json"),
                "flow",
                servers={"items": dead},
                client=given,
                timeout=5,
            )
            assert not failed.success and failed.steps[0].request is not None
            errors.append(failed.steps[0].error)
    assert errors[0] == errors[1] and "ConnectError" in (errors[0] or ""), errors
