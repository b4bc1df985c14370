"""The run core and its drivers over real sockets: record a run and replay it, bounded bodies,
a total timeout that holds against trickled headers, dependencies that get their inputs."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_engine import arun_workflow, load, run_workflow
from arazzo_engine.redact import Redactor
from arazzo_engine.run.commands import Result
from arazzo_engine.run.core import RunOptions, execute
from arazzo_engine.run.drivers import ReplayMismatch, drive_replay, drive_sync
from arazzo_engine.run.services import default_services
from arazzo_engine.run.setup import bind
from arazzo_engine.transport import TransportOptions, make_client
from tests.conftest import DATA
from tests.support.hostile import HostileServer, endless_body, gzip_bomb, header_trickle
from tests.support.http_server import Reply, ScriptedServer

PETS = DATA / "pets.arazzo.yaml"

OPENAPI = """
openapi: 3.1.0
info: {title: t, version: '1'}
servers: [{url: 'http://127.0.0.1:1'}]
paths:
  /thing:
    get:
      operationId: getThing
      responses: {'200': {description: ok}}
  /hello:
    post:
      operationId: hello
      requestBody:
        content:
          application/json: {schema: {type: object}}
      responses: {'200': {description: ok}}
"""

ARAZZO = """
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: fetch
    steps:
      - stepId: get
        operationId: getThing
  - workflowId: greet
    inputs:
      type: object
      required: [name]
      properties: {name: {type: string}}
    steps:
      - stepId: hello
        operationId: hello
        requestBody:
          payload: {name: $inputs.name}
  - workflowId: after
    dependsOn: [greet]
    inputs:
      type: object
      properties: {name: {type: string}, other: {type: string}}
    steps:
      - stepId: again
        operationId: getThing
"""


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    (tmp_path / "api.yaml").write_text(OPENAPI)
    path = tmp_path / "flows.arazzo.yaml"
    path.write_text(ARAZZO)
    return path


def _options(**extra: Any) -> RunOptions:
    return RunOptions(services=default_services(), redactor=Redactor(), **extra)


def test_a_recorded_run_replays_to_the_same_result(server: ScriptedServer) -> None:
    server.route("POST", "/v1/login", Reply(200, {"token": "tok-123"}))
    server.route(
        "POST", "/v1/pets", Reply(201, {"id": 7, "name": "REX"}, {"Location": "/v1/pets/7"})
    )
    server.route("GET", "/v1/pets/a%20b%2F7", Reply(200, {"id": 7, "tags": ["x", "y z"]}))
    plan = load(PETS).plan("adopt")
    inputs = {"name": "Rex", "age": 3}
    options = _options(servers={"pets": server.url + "/v1"})
    prepared = bind(plan, options)
    recorded: list[Result] = []
    with make_client(TransportOptions()) as client:
        live = drive_sync(
            execute(plan, inputs, options, binding=prepared.binding),
            client,
            auth=prepared.auth,
            record=recorded,
        )
    assert live.success, live.error
    assert len(server.received) == 3
    # a fresh core (fresh redactor), no sockets: the same result, byte for byte
    fresh = _options(servers={"pets": server.url + "/v1"})
    replayed = drive_replay(execute(plan, inputs, fresh, binding=prepared.binding), recorded)
    assert json.dumps(replayed.to_dict()) == json.dumps(live.to_dict())
    assert len(server.received) == 3  # nothing was sent again
    assert live.duration > 0 and replayed.duration == live.duration
    # a recording cut short is refused, not silently answered
    with pytest.raises(ReplayMismatch):
        drive_replay(execute(plan, inputs, _options(), binding=prepared.binding), recorded[:3])


@pytest.fixture
def server() -> Any:
    with ScriptedServer() as running:
        yield running


def test_an_endless_body_fails_its_step_at_the_limit(doc: Path) -> None:
    with HostileServer(endless_body()) as hostile:
        result = run_workflow(
            doc, "fetch", servers={"api": hostile.url}, max_body=2 * 1024 * 1024, timeout=20
        )
    assert not result.success
    assert "larger than 2097152 bytes" in (result.error or "")
    assert result.steps[0].error and "max_body" in result.steps[0].error


def test_a_gzip_bomb_is_counted_decompressed(doc: Path) -> None:
    with HostileServer(gzip_bomb(256 * 1024 * 1024)) as hostile:
        sync = run_workflow(
            doc, "fetch", servers={"api": hostile.url}, step_max_body={"get": 4 * 1024 * 1024}
        )
        asynchronous = asyncio.run(
            arun_workflow(doc, "fetch", servers={"api": hostile.url}, max_body=4 * 1024 * 1024)
        )
    for result in (sync, asynchronous):
        assert not result.success
        assert "larger than 4194304 bytes (decompressed)" in (result.error or "")


def test_an_endless_body_is_bounded_in_the_async_driver(doc: Path) -> None:
    with HostileServer(endless_body()) as hostile:
        result = asyncio.run(
            arun_workflow(doc, "fetch", servers={"api": hostile.url}, max_body=1024 * 1024)
        )
    assert not result.success and "larger than 1048576 bytes" in (result.error or "")


def test_trickled_headers_are_stopped_at_the_total_timeout(doc: Path) -> None:
    # the server completes a valid response after 15 s: only a total deadline that covers the
    # headers turns this run into a timeout (a per-read timeout of 1.5 s never trips)
    with HostileServer(header_trickle(limit=15.0)) as hostile:
        sync = run_workflow(doc, "fetch", servers={"api": hostile.url}, timeout=1.5)
        asynchronous = asyncio.run(
            arun_workflow(doc, "fetch", servers={"api": hostile.url}, timeout=1.5)
        )
        with httpx.Client() as own:  # a caller's client is bounded too
            callers = run_workflow(
                doc, "fetch", servers={"api": hostile.url}, timeout=1.5, client=own
            )
        for _ in range(100):  # the server notices a hang-up at its next byte
            if len(hostile.outcomes) == 3:
                break
            time.sleep(0.05)
        outcomes = list(hostile.outcomes)
    for result in (sync, asynchronous, callers):
        assert not result.success
        assert "timed out after 1.5 s" in (result.error or ""), result.error
    # every client hung up while the headers trickled, before the server gave in
    assert outcomes == ["client left"] * 3


def test_a_dependency_gets_the_inputs_it_declares(doc: Path, server: ScriptedServer) -> None:
    server.route("POST", "/hello", Reply(200, {}))
    server.route("GET", "/thing", Reply(200, {}))
    result = run_workflow(doc, "after", {"name": "Rex", "other": "x"}, servers={"api": server.url})
    assert result.success, result.error
    assert [r.path for r in server.received] == ["/hello", "/thing"]
    assert server.received[0].json() == {"name": "Rex"}


def test_run_workflows_gives_a_dependency_its_own_inputs(doc: Path, server: ScriptedServer) -> None:
    from arazzo_engine import run_workflows

    server.route("POST", "/hello", Reply(200, {}))
    server.route("GET", "/thing", Reply(200, {}))
    results = run_workflows(
        doc,
        ["after"],
        {"after": {"name": "Rex"}, "greet": {"name": "Own"}},
        servers={"api": server.url},
    )
    assert results[0].success, results[0].error
    assert server.received[0].json() == {"name": "Own"}


def test_a_dependency_without_its_required_inputs_fails_the_run(
    doc: Path, server: ScriptedServer
) -> None:
    server.route("GET", "/thing", Reply(200, {}))
    result = run_workflow(doc, "after", {"other": "x"}, servers={"api": server.url})
    assert not result.success
    assert "depends on 'greet', which failed" in (result.error or "")
    assert any("'name' is a required property" in w for w in result.warnings)
    assert server.received == []


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "gzip-bad"])
def test_compressed_bodies_are_decoded_by_both_drivers(
    doc: Path, server: ScriptedServer, coding: str
) -> None:
    import gzip
    import zlib

    data = json.dumps({"a": 1, "pad": "x" * 5000}).encode()
    if coding == "gzip":
        body, header = gzip.compress(data), "gzip"
    elif coding == "deflate":
        body, header = zlib.compress(data), "deflate"
    elif coding == "raw-deflate":
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body, header = packer.compress(data) + packer.flush(), "deflate"
    else:
        body, header = b"not gzip at all", "gzip"
    headers = {"Content-Type": "application/json", "Content-Encoding": header}
    server.route("GET", "/thing", Reply(200, body, headers))
    sync = run_workflow(doc, "fetch", servers={"api": server.url})
    asynchronous = asyncio.run(arun_workflow(doc, "fetch", servers={"api": server.url}))
    for result in (sync, asynchronous):
        if coding == "gzip-bad":
            assert not result.success and "DecodingError" in (result.error or "")
            continue
        assert result.success, result.error
        response = result.steps[0].response
        assert response is not None and response.body == json.loads(data)
