"""The worker's HTTP activity on its own (no Temporal needed): credentials applied from the
worker and masked in what goes to the history, the payload limit, failures as results."""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterator, Mapping
from typing import Any

import httpx
import pytest

pytest.importorskip("temporalio", reason="pip install 'arazzo-engine[temporal]'")

from arazzo_engine.run.commands import Failure, HttpExchange, HttpReply, header_values
from arazzo_engine.temporal import programs
from arazzo_engine.temporal.activities import HttpExchanger
from arazzo_engine.temporal.devserver import free_port
from tests.support.http_server import Reply, ScriptedServer

KEY = "query-key-0c9d8e7f6a"
TOKEN = "bearer-token-1a2b3c4d5e"


class QueryAndBearer(httpx.Auth):
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params({"api_key": KEY})
        request.headers["Authorization"] = f"Bearer {TOKEN}"
        yield request


def _auth(args: Mapping[str, Any], key: str) -> httpx.Auth | None:
    return QueryAndBearer() if key == "both" else None


programs.register("test.exchange", lambda args: iter(()), _auth)  # type: ignore[arg-type,return-value]
CONTEXT = {"program": "test.exchange", "args": {}}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def _exchange(command: HttpExchange, **options: Any) -> HttpReply | Failure:
    async def go() -> HttpReply | Failure:
        exchanger = HttpExchanger(**options)
        try:
            return await exchanger.exchange(command, CONTEXT)
        finally:
            await exchanger.aclose()

    return asyncio.run(go())


def test_credentials_are_applied_and_masked(server: ScriptedServer) -> None:
    # the server echoes the token in a header and in the body
    server.route(
        "GET",
        "/echo",
        Reply(200, {"seen": TOKEN, "ok": True}, headers={"X-Echo": f"got {TOKEN}"}),
    )
    reply = _exchange(HttpExchange("s", "GET", f"{server.url}/echo?x=1", auth="both"))
    assert isinstance(reply, HttpReply)
    got = server.received[0]
    assert got.headers["authorization"] == f"Bearer {TOKEN}"
    assert ("api_key", KEY) in got.query and ("x", "1") in got.query
    assert header_values(reply.sent.headers, "authorization") == ["Bearer ***"]
    assert "api_key=***" in reply.sent.url and "x=1" in reply.sent.url and KEY not in reply.sent.url
    assert TOKEN not in reply.body.decode() and b'"ok": true' in reply.body
    assert header_values(reply.headers, "x-echo") == ["got ***"]


def test_no_credentials_on_this_worker_is_a_failure_not_a_send(server: ScriptedServer) -> None:
    result = _exchange(HttpExchange("s", "GET", f"{server.url}/x", auth="unknown"))
    assert isinstance(result, Failure) and "no credentials for auth 'unknown'" in result.reason
    assert server.received == []


def test_a_body_over_the_payload_limit_fails_the_exchange(server: ScriptedServer) -> None:
    server.route("GET", "/big", Reply(200, "x" * 5000))
    result = _exchange(HttpExchange("s", "GET", f"{server.url}/big"), max_payload=4000)
    assert isinstance(result, Failure) and "larger than 4000 bytes" in result.reason
    assert "payload limit" in result.reason
    ok = _exchange(HttpExchange("s", "GET", f"{server.url}/big"), max_payload=6000)
    assert isinstance(ok, HttpReply) and len(ok.body) == 5000


def test_no_server_is_a_failure() -> None:
    result = _exchange(HttpExchange("s", "GET", f"http://127.0.0.1:{free_port()}/", timeout=5))
    assert isinstance(result, Failure) and result.reason.startswith("no response from")


PASSWORD = 'pa ss/w"rd&1+'  # needs encoding in a URL, a form and JSON


def _secrets(args: Mapping[str, Any]) -> Mapping[str, str]:
    return {"arazzo-secret-input-password": PASSWORD}


programs.register("test.secrets", lambda args: iter(()), None, _secrets)  # type: ignore[arg-type,return-value]


def test_secret_placeholders_are_swapped_in_on_the_worker_and_masked_again(
    server: ScriptedServer,
) -> None:
    server.route("POST", "/login", Reply(200, {"echo": PASSWORD}))
    token = "arazzo-secret-input-password"
    command = HttpExchange(
        "s",
        "POST",
        f"{server.url}/login?p={token}",
        (("Content-Type", "application/json"), ("X-Pass", token)),
        b'{"password": "' + token.encode() + b'"}',
    )

    async def go() -> HttpReply | Failure:
        exchanger = HttpExchanger()
        try:
            return await exchanger.exchange(command, {"program": "test.secrets", "args": {}})
        finally:
            await exchanger.aclose()

    reply = asyncio.run(go())
    assert isinstance(reply, HttpReply)
    got = server.received[0]
    assert ("p", PASSWORD) in got.query
    assert got.headers["x-pass"] == PASSWORD
    assert got.json() == {"password": PASSWORD}
    shown = repr(reply)
    assert PASSWORD not in shown and "pa%20ss" not in shown and "pa ss" not in shown
    assert header_values(reply.sent.headers, "x-pass") == ["***"]
    assert reply.sent.body == b'{"password": "***"}'
    assert reply.body == b'{"echo": "***"}'


def test_a_compressed_body_is_inflated_in_bounded_pieces(server: ScriptedServer) -> None:
    import gzip

    bomb = gzip.compress(b"\0" * 20_000_000)  # 20 MB of zeros in about 20 kB
    server.route("GET", "/bomb", Reply(200, bomb, headers={"Content-Encoding": "gzip"}))
    result = _exchange(HttpExchange("s", "GET", f"{server.url}/bomb"), max_payload=100_000)
    assert isinstance(result, Failure) and "larger than 100000 bytes" in result.reason
    small = gzip.compress(b'{"ok": true}')
    server.route("GET", "/small", Reply(200, small, headers={"Content-Encoding": "gzip"}))
    ok = _exchange(HttpExchange("s", "GET", f"{server.url}/small"))
    assert isinstance(ok, HttpReply) and ok.body == b'{"ok": true}'
