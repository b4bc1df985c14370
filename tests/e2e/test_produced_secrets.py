"""Issue 13, secrets: a token a step receives and a later step sends (an auth header, an API-key
parameter, a ``format: password`` input of a called workflow) is secret from the moment it is
produced. A local login server hands them out; the run fails before sending them, and none shows
in observer events, DEBUG logs, ``-v`` output or the failed run's outputs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_engine import cli, load, run_workflow
from arazzo_engine.compile.secrets import secret_outputs
from tests.support.http_server import Reply, ScriptedServer

TOKEN, KEY, PIN = "tok-LOGIN-7f3a9c", "key-SESSION-51d2", "pin-CHILD-8812"

API = """openapi: 3.1.0
info: {title: items, version: "1"}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
    session: {type: apiKey, in: header, name: X-Session}
paths:
  /login:
    post: {operationId: login, security: [], responses: {"200": {description: ok}}}
  /probe:
    get: {operationId: probe, security: [], responses: {"200": {description: ok}}}
  /items:
    post:
      operationId: createItem
      security: [{bearerAuth: []}]
      responses: {"201": {description: created}}
  /keyed:
    get:
      operationId: keyed
      security: [{session: []}]
      responses: {"200": {description: ok}}
"""

FLOW = """arazzo: 1.0.1
info: {title: login, version: "1"}
sourceDescriptions: [{name: items, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: create
    steps:
      - stepId: login
        operationId: login
        outputs:
          token: $response.body#/access_token
          key: $response.body#/api_key
          pin: $response.body#/pin
          user: $response.body#/user
      - stepId: copy
        operationId: probe
        outputs: {bearer: $steps.login.outputs.token}
      - stepId: probe
        operationId: probe
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: create
        operationId: createItem
        parameters:
          - {name: Authorization, in: header, value: "Bearer {$steps.copy.outputs.bearer}"}
      - stepId: keyed
        operationId: keyed
        parameters: [{name: X-Session, in: header, value: $steps.login.outputs.key}]
      - stepId: child
        workflowId: sub
        parameters: [{name: secret, value: $steps.login.outputs.pin}]
    outputs:
      token: $steps.login.outputs.token
      user: $steps.login.outputs.user
  - workflowId: sub
    inputs:
      type: object
      properties: {secret: {type: string, format: password}}
    steps:
      - {stepId: p, operationId: probe}
"""


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    (tmp_path / "api.yaml").write_text(API)
    path = tmp_path / "flow.arazzo.yaml"
    path.write_text(FLOW)
    return path


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        body = {"access_token": TOKEN, "api_key": KEY, "pin": PIN, "user": "alice-visible"}
        server.route("POST", "/login", Reply(200, body))
        # the first probe ('copy') succeeds, the second fails the run before any secret is sent
        server.route("GET", "/probe", Reply(200, {}), Reply(500, {"error": "down"}))
        server.route("POST", "/items", Reply(201, {}))
        server.route("GET", "/keyed", Reply(200, {}))
        yield server


def test_the_plan_says_which_outputs_are_secret(flow: Path) -> None:
    secret = secret_outputs(load(flow, cache=False).plan("create"))
    assert secret == {
        "login": frozenset({"token", "key", "pin"}),  # 'user' feeds nothing secret
        "copy": frozenset({"bearer"}),
    }


def test_a_token_received_is_masked_before_it_is_sent(
    flow: Path, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[str] = []  # each event as it was when it was emitted
    caplog.set_level(logging.DEBUG)
    result = run_workflow(
        flow, "create", servers={"items": server.url}, observer=lambda e: events.append(repr(e))
    )
    assert not result.success
    assert [(r.method, r.path) for r in server.received] == [
        ("POST", "/login"),
        ("GET", "/probe"),
        ("GET", "/probe"),
    ]  # nothing secret was ever sent
    everything = (
        json.dumps(result.to_dict(), default=str)
        + json.dumps(result.to_har(), default=str)
        + "".join(events)
        + caplog.text
    )
    for secret in (TOKEN, KEY, PIN):
        assert secret not in everything, secret
    assert result.outputs == {"token": "***", "user": "alice-visible"}
    login = result.step("login")
    assert login is not None and login.outputs["user"] == "alice-visible"
    assert login.response is not None and login.response.body["access_token"] == "***"
    assert "alice-visible" in "".join(events)  # what is not secret stays readable


def test_verbose_cli_output_masks_a_token_received(flow: Path, server: ScriptedServer) -> None:
    out = io.StringIO()
    err = io.StringIO()
    argv = ["run", "-v", str(flow), "create", "--server", f"items={server.url}"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", out)
        patch.setattr("sys.stderr", err)
        code = cli.main(argv)
    text = out.getvalue() + err.getvalue()
    assert code == 1
    assert "alice-visible" in text  # the verbose output did show the login response
    for secret in (TOKEN, KEY, PIN):
        assert secret not in text, secret


def test_the_secret_is_still_sent_as_is(flow: Path, server: ScriptedServer) -> None:
    server.route("GET", "/probe", Reply(200, {}))  # nothing fails now
    result = run_workflow(flow, "create", servers={"items": server.url})
    assert result.success, result.error
    sent = {r.path: r.headers for r in server.received}
    assert sent["/items"]["authorization"] == f"Bearer {TOKEN}"
    assert sent["/keyed"]["x-session"] == KEY
    assert TOKEN not in json.dumps(result.to_dict(), default=str)


NESTED = """arazzo: 1.0.1
info: {title: nested login, version: "1"}
sourceDescriptions: [{name: items, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: main
    steps:
      - stepId: auth
        workflowId: signIn
        outputs: {token: $outputs.token}
      - stepId: probe
        operationId: probe
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: create
        operationId: createItem
        parameters:
          - {name: Authorization, in: header, value: "Bearer {$steps.auth.outputs.token}"}
  - workflowId: signIn
    steps:
      - stepId: login
        operationId: login
        outputs: {token: $response.body#/access_token}
    outputs: {token: $steps.login.outputs.token}
"""


def test_a_token_from_a_called_login_workflow_is_masked_while_it_runs(
    tmp_path: Path, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "api.yaml").write_text(API)
    path = tmp_path / "nested.arazzo.yaml"
    path.write_text(NESTED)
    server.route("GET", "/probe", Reply(500, {}))
    events: list[str] = []  # each event as it was when it was emitted
    caplog.set_level(logging.DEBUG)
    result = run_workflow(
        path, "main", servers={"items": server.url}, observer=lambda e: events.append(repr(e))
    )
    assert not result.success
    assert [r.path for r in server.received] == ["/login", "/probe"]
    login = result.step("login")
    assert login is not None and login.outputs == {"token": "***"}
    everything = json.dumps(result.to_dict(), default=str) + "".join(events) + caplog.text
    assert TOKEN not in everything
