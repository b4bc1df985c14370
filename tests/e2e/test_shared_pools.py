"""Runs share pooled connections and nothing else, over real sockets.

A stdlib HTTP/1.1 server on 127.0.0.1 hands out a new session cookie per login and echoes the
``Cookie`` header it receives, and records the client port of every request (one port is one
TCP connection): later runs reuse the connection of earlier ones, while a cookie set in one run
is never sent by another, one after the other, in threads or in concurrent asyncio tasks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_engine import arun_workflow, run_workflow
from arazzo_engine.transport import (
    TransportOptions,
    close_shared_clients,
    shared_async_client,
    shared_client,
)


class _Server:
    def __init__(self) -> None:
        self.seen: list[tuple[int, str, str | None]] = []  # (client port, path, cookie)
        self.lock = threading.Lock()
        counter = itertools.count(1)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                cookie = self.headers.get("Cookie")
                with outer.lock:
                    outer.seen.append((self.client_address[1], self.path, cookie))
                headers = {"Content-Type": "application/json"}
                if self.path == "/login":
                    session = f"s{next(counter)}"
                    body = json.dumps({"session": session}).encode()
                    headers["Set-Cookie"] = f"session={session}; Path=/"
                else:
                    body = json.dumps({"cookie": cookie}).encode()
                self.send_response(200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "sessions", "version": "1"},
    "servers": [{"url": "http://placeholder"}],
    "paths": {
        "/login": {"get": {"operationId": "login", "responses": {"200": {"description": "ok"}}}},
        "/whoami": {"get": {"operationId": "whoami", "responses": {"200": {"description": "ok"}}}},
    },
}

ARAZZO = {
    "arazzo": "1.0.1",
    "info": {"title": "sessions", "version": "1"},
    "sourceDescriptions": [{"name": "api", "url": "./api.json", "type": "openapi"}],
    "workflows": [
        {
            "workflowId": "login-then-whoami",
            "steps": [
                {
                    "stepId": "login",
                    "operationId": "login",
                    "successCriteria": [{"condition": "$statusCode == 200"}],
                    "outputs": {"session": "$response.body#/session"},
                },
                {
                    "stepId": "whoami",
                    "operationId": "whoami",
                    "successCriteria": [{"condition": "$statusCode == 200"}],
                    "outputs": {"cookie": "$response.body#/cookie"},
                },
            ],
            "outputs": {
                "session": "$steps.login.outputs.session",
                "cookie": "$steps.whoami.outputs.cookie",
            },
        },
        {
            "workflowId": "whoami",
            "steps": [
                {
                    "stepId": "whoami",
                    "operationId": "whoami",
                    "successCriteria": [{"condition": "$statusCode == 200"}],
                    "outputs": {"cookie": "$response.body#/cookie"},
                }
            ],
            "outputs": {"cookie": "$steps.whoami.outputs.cookie"},
        },
    ],
}


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    (tmp_path / "api.json").write_text(json.dumps(OPENAPI))
    path = tmp_path / "sessions.arazzo.json"
    path.write_text(json.dumps(ARAZZO))
    return path


def _cookie_of(result: Any) -> str | None:
    """The session value the server received (the run's outputs mask the cookie itself)."""
    return result.outputs.get("cookie")


def test_a_later_run_reuses_the_connection_but_not_the_cookie(server: _Server, doc: Path) -> None:
    servers = {"api": server.url}
    first = run_workflow(doc, "login-then-whoami", servers=servers, redact=False)
    assert first.success, first.error
    session = first.outputs["session"]
    # within the run, the Set-Cookie of the login is sent by the next step
    assert _cookie_of(first) == f"session={session}"

    second = run_workflow(doc, "whoami", servers=servers, redact=False)
    assert second.success, second.error
    assert _cookie_of(second) is None  # run 2 does not send run 1's cookie
    ports = [port for port, _, _ in server.seen]
    assert len(set(ports)) == 1, ports  # one TCP connection served both runs
    assert server.seen[-1] == (ports[0], "/whoami", None)
    # the shared client stored nothing
    pooled = shared_client(TransportOptions())
    assert pooled is not None
    assert len(pooled.cookies.jar) == 0


def test_concurrent_threads_each_keep_their_own_cookie(server: _Server, doc: Path) -> None:
    servers = {"api": server.url}

    def one(_: int) -> Any:
        return run_workflow(doc, "login-then-whoami", servers=servers, redact=False)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(32)))
    sessions = set()
    for result in results:
        assert result.success, result.error
        assert _cookie_of(result) == f"session={result.outputs['session']}"
        sessions.add(result.outputs["session"])
    assert len(sessions) == 32


def test_concurrent_async_runs_each_keep_their_own_cookie(server: _Server, doc: Path) -> None:
    servers = {"api": server.url}

    pools: list[httpx.AsyncClient] = []

    async def go() -> list[Any]:
        runs = [
            arun_workflow(doc, "login-then-whoami", servers=servers, redact=False)
            for _ in range(32)
        ]
        done = await asyncio.gather(*runs)
        after = await arun_workflow(doc, "whoami", servers=servers, redact=False)
        pooled = shared_async_client(TransportOptions())
        assert pooled is not None and len(pooled.cookies.jar) == 0
        pools.append(pooled)
        return [*done, after]

    *results, after = asyncio.run(go())
    assert pools[0].is_closed  # closed with its event loop, connections and all
    for result in results:
        assert result.success, result.error
        assert _cookie_of(result) == f"session={result.outputs['session']}"
    assert len({r.outputs["session"] for r in results}) == 32
    assert after.success and _cookie_of(after) is None
    # a second event loop gets clients of its own and works the same
    again = asyncio.run(arun_workflow(doc, "whoami", servers=servers, redact=False))
    assert again.success and _cookie_of(again) is None


def test_transport_settings_choose_the_pool() -> None:
    plain = shared_client(TransportOptions())
    assert plain is shared_client(TransportOptions())
    proxied = shared_client(TransportOptions(proxy="http://127.0.0.1:9"))
    assert proxied is not None and proxied is not plain
    mocked = TransportOptions(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert shared_client(mocked) is None  # a caller's transport gets a client of its own
    context = TransportOptions(verify=ssl.create_default_context())
    assert shared_client(context) is None  # so does a caller's SSLContext
    close_shared_clients()
    assert plain.is_closed
    fresh = shared_client(TransportOptions())
    assert fresh is not None and fresh is not plain and not fresh.is_closed


def test_a_renewed_ca_bundle_makes_a_new_client(tmp_path: Path) -> None:
    import certifi

    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    first = shared_client(TransportOptions(verify=str(bundle)))
    assert first is not None and shared_client(TransportOptions(verify=str(bundle))) is first
    renewed = tmp_path / "ca.new"
    renewed.write_bytes(bundle.read_bytes() + b"\n")
    renewed.replace(bundle)  # a new file in its place, as certificate renewal tools do
    assert shared_client(TransportOptions(verify=str(bundle))) is not first


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_opens_connections_of_its_own(server: _Server, doc: Path) -> None:
    servers = {"api": server.url}
    assert run_workflow(doc, "whoami", servers=servers).success  # the parent's connection
    parent_ports = {port for port, _, _ in server.seen}
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if its run succeeds
        ok = run_workflow(doc, "whoami", servers=servers).success
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    child_port = server.seen[-1][0]
    assert child_port not in parent_ports  # not the parent's socket


def test_proxy_variables_choose_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    before = shared_client(TransportOptions())
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    after = shared_client(TransportOptions())
    assert after is not before  # the environment changed how to connect: another client
    monkeypatch.delenv("HTTPS_PROXY")
    assert shared_client(TransportOptions()) is before
