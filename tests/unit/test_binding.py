"""Binding steps to operations: operationId (bare and qualified), operationPath, servers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from arazzo_engine import BindingError, load, run_workflow
from arazzo_engine.errors import DocumentError
from arazzo_engine.openapi.servers import server_url

API = """\
openapi: 3.1.0
info: {title: A, version: "1"}
servers:
  - url: https://{region}.example.com/{base}
    variables:
      region: {default: eu, enum: [eu, us]}
      base: {default: v1}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  "/#Action=Ping":
    post:
      operationId: ping
      servers: [{url: "https://ping.example.com"}]
      responses: {"200": {description: ok}}
"""

FLOW = """\
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: a, url: ./a.yaml, type: openapi}
  - {name: b, url: ./b.yaml, type: openapi}
workflows:
  - workflowId: w
    steps:
      - stepId: s
        {target}
        parameters: [{name: id, in: path, value: "x y"}]
"""


def _write(tmp: Path, target: str, second_api: str = API) -> Path:
    (tmp / "a.yaml").write_text(API)
    (tmp / "b.yaml").write_text(second_api.replace("getItem", "getOther").replace("ping", "pong"))
    path = tmp / "flow.arazzo.yaml"
    path.write_text(FLOW.replace("{target}", target))
    return path


def _sent(path: Path, workflow: str = "w") -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    result = run_workflow(path, workflow, transport=httpx.MockTransport(handler))
    assert result.success, result.error
    return seen[0]


@pytest.mark.parametrize(
    "target",
    [
        "operationId: getItem",
        "operationId: $sourceDescriptions.a.getItem",
        "operationPath: '{$sourceDescriptions.a.url}#/paths/~1items~1{id}/get'",
        "operationPath: '{$sourceDescriptions.a.url}#/paths/~1items~1%7Bid%7D/get'",
    ],
)
def test_step_binds_to_the_operation(tmp_path: Path, target: str) -> None:
    request = _sent(_write(tmp_path, target))
    assert request.method == "GET"
    assert str(request.url) == "https://eu.example.com/v1/items/x%20y"


def test_operation_servers_win_and_fragment_is_not_sent(tmp_path: Path) -> None:
    path = _write(tmp_path, "operationId: ping")
    request = _sent(path)
    assert request.method == "POST"
    assert str(request.url) == "https://ping.example.com/"


def test_unknown_operation_id_points_at_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "operationId: nope")
    with pytest.raises(BindingError) as info:
        load(path).plan("w")
    error = info.value
    assert error.location is not None
    assert error.location.pointer == "/workflows/0/steps/0/operationId"
    assert (error.location.line, error.location.column) == (10, 22)
    assert "operationId 'nope' not found" in str(error)
    assert str(error).startswith(f"{path}:10:22")


def test_bare_operation_id_in_several_sources_must_be_qualified(tmp_path: Path) -> None:
    path = _write(tmp_path, "operationId: getItem", second_api=API.replace("getItem", "x"))
    (tmp_path / "b.yaml").write_text(API)
    with pytest.raises(BindingError, match=r"several API source descriptions \(a, b\)"):
        load(path).plan("w")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("operationId: $sourceDescriptions.zz.getItem", "no OpenAPI source description named 'zz'"),
        (
            "operationPath: '{$sourceDescriptions.a.url}#/paths/~1nope/get'",
            "does not name an operation",
        ),
        ("operationPath: '#/paths/~1items/get'", "operationPath must look like"),
    ],
)
def test_bad_targets(tmp_path: Path, target: str, message: str) -> None:
    with pytest.raises(BindingError, match=message):
        load(_write(tmp_path, target)).plan("w")


def test_missing_source_only_breaks_workflows_that_use_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "operationId: $sourceDescriptions.a.getItem")
    (tmp_path / "b.yaml").unlink()
    document = load(path)
    assert document.sources["b"].error is not None
    document.plan("w")  # source a is fine
    assert "file not found" in str(document.sources["b"].error)


def test_server_variables_defaults_overrides_and_enum() -> None:
    servers = [
        {
            "url": "https://{region}.example.com/{base}",
            "variables": {
                "region": {"default": "eu", "enum": ["eu", "us"]},
                "base": {"default": "v1"},
            },
        }
    ]
    assert server_url(servers, "a.yaml") == "https://eu.example.com/v1"
    assert server_url(servers, "a.yaml", {"region": "us"}) == "https://us.example.com/v1"
    with pytest.raises(DocumentError, match="not one of"):
        server_url(servers, "a.yaml", {"region": "mars"})


def test_relative_servers_resolve_against_a_remote_description() -> None:
    servers = [{"url": "/api/v3"}]
    assert server_url(servers, "https://x.test/specs/openapi.yaml") == "https://x.test/api/v3"
    with pytest.raises(DocumentError, match="relative"):
        server_url(servers, "specs/openapi.yaml")


def test_cookie_values_cannot_start_another_cookie(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        API.replace(
            "parameters: [{name: id, in: path, required: true, schema: {type: string}}]",
            "parameters: [{name: id, in: path, required: true, schema: {type: string}},"
            " {name: session, in: cookie, schema: {type: string}}]",
        )
    )
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        FLOW.replace("{target}", "operationId: getItem")
        .replace("  - {name: b, url: ./b.yaml, type: openapi}\n", "")
        .replace(
            'parameters: [{name: id, in: path, value: "x y"}]',
            'parameters: [{name: id, in: path, value: "1"},'
            ' {name: session, in: cookie, value: "a;admin=1, b"}]',
        )
    )
    request = _sent(flow)
    assert request.headers["cookie"] == "session=a%3Badmin=1%2C%20b"
