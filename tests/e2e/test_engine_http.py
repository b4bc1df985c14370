"""The engine end to end over real sockets, against a scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

import pytest

from arazzo_engine import InputError, arun_workflow, load, run_workflow
from tests.conftest import DATA
from tests.support.http_server import Reply, ScriptedServer

PETS = DATA / "pets.arazzo.yaml"


def _script(server: ScriptedServer) -> None:
    server.route("POST", "/v1/login", Reply(200, {"token": "tok-123"}))
    server.route(
        "POST", "/v1/pets", Reply(201, {"id": 7, "name": "REX"}, {"Location": "/v1/pets/7"})
    )
    server.route("GET", "/v1/pets/a%20b%2F7", Reply(200, {"id": 7, "tags": ["x", "y z"]}))


def test_adopt_workflow_over_http(server: ScriptedServer) -> None:
    _script(server)
    result = run_workflow(
        PETS, "adopt", {"name": "Rex", "age": 3}, servers={"pets": server.url + "/v1"}
    )
    assert result.success, result.error
    # the token went out as a credential (Authorization: Bearer ...): the result masks it
    assert result.outputs == {"id": 7, "pet": {"id": 7, "tags": ["x", "y z"]}, "token": "***"}
    raw = run_workflow(
        PETS, "adopt", {"name": "Rex", "age": 3}, servers={"pets": server.url + "/v1"}, redact=False
    )
    assert raw.outputs["token"] == "tok-123"
    login, create, fetch = server.received[:3]
    # form body from a template
    assert login.headers["content-type"] == "application/x-www-form-urlencoded"
    assert login.body == b"user=Rex&scope=pets"
    # JSON body: types kept, the optional input not given is left out, a '$...' literal stays
    assert create.headers["authorization"] == "Bearer tok-123"
    assert create.json() == {
        "name": "Rex",
        "age": 3,
        "owner": {"token": "tok-123", "literal": "$not an expression"},
    }
    # path percent-encoded, query serialised form/explode, header and cookie
    assert fetch.path == "/v1/pets/a%20b%2F7"
    assert fetch.query == [("verbose", "true"), ("tags", "x"), ("tags", "y z")]
    assert fetch.headers["x-trace"] == "trace-7"
    assert fetch.headers["cookie"] == "session=abc"
    assert [s.step_id for s in result.steps] == ["login", "create", "fetch"]
    assert result.step("create").outputs == {"id": 7, "location": "/v1/pets/7"}
    assert all(c.passed for s in result.steps for c in s.criteria)


def test_secrets_are_masked_in_the_result(server: ScriptedServer) -> None:
    _script(server)
    result = run_workflow(PETS, "adopt", {"name": "Rex"}, servers={"pets": server.url + "/v1"})
    dumped = json.dumps(result.to_dict())
    assert "Bearer ***" in dumped
    assert "Bearer tok-123" not in dumped
    assert "session=abc" not in dumped


def test_failed_criterion_keeps_every_step(server: ScriptedServer) -> None:
    _script(server)
    server.route("POST", "/v1/pets", Reply(201, {"id": 7, "name": "Other"}))
    result = run_workflow(PETS, "adopt", {"name": "Rex"}, servers={"pets": server.url + "/v1"})
    assert not result.success
    assert [s.step_id for s in result.steps] == ["login", "create"]
    create = result.step("create")
    assert not create.success and create.status_code == 201
    assert "$statusCode == 201 && $response.body#/name == $inputs.name" in (create.error or "")
    assert "create" in (result.error or "")
    assert len(server.received) == 2


def test_http_error_without_criteria_uses_2xx_rule(server: ScriptedServer) -> None:
    server.route("POST", "/v1/login", Reply(500, {"message": "boom"}))
    doc = load(PETS)
    result = run_workflow(doc, "adopt", {"name": "Rex"}, servers={"pets": server.url + "/v1"})
    assert not result.success
    assert result.steps[0].status_code == 500
    assert "HTTP 500" in (result.steps[0].error or "") or "500" in (result.steps[0].error or "")


def test_connection_refused_is_a_step_failure() -> None:
    result = run_workflow(PETS, "adopt", {"name": "Rex"}, servers={"pets": "http://127.0.0.1:9/v1"})
    assert not result.success
    assert result.steps[0].status_code is None
    assert "no response" in (result.steps[0].error or "")


def test_timeout_is_a_step_failure(server: ScriptedServer) -> None:
    server.route("POST", "/v1/login", Reply(200, {"token": "t"}, delay=1.0))
    result = run_workflow(
        PETS, "adopt", {"name": "Rex"}, servers={"pets": server.url + "/v1"}, timeout=0.2
    )
    assert not result.success
    assert "timed out" in (result.steps[0].error or "")


def test_inputs_are_validated_before_any_request(server: ScriptedServer) -> None:
    with pytest.raises(InputError) as info:
        run_workflow(PETS, "adopt", {"age": "old"}, servers={"pets": server.url + "/v1"})
    text = str(info.value)
    assert "'name' is a required property" in text
    assert "inputs/age" in text
    assert server.received == []


def test_async_front_end_matches_sync(server: ScriptedServer) -> None:
    _script(server)
    result = asyncio.run(
        arun_workflow(PETS, "adopt", {"name": "Rex"}, servers={"pets": server.url + "/v1"})
    )
    assert result.success, result.error
    assert result.outputs["id"] == 7
    assert len(server.received) == 3


def test_a_document_is_reused_without_reparsing(server: ScriptedServer) -> None:
    _script(server)
    doc = load(PETS)
    first = run_workflow(doc, "adopt", {"name": "Rex"}, servers={"pets": server.url + "/v1"})
    plan = doc.plan("adopt")
    second = run_workflow(doc, "adopt", {"name": "Rex"}, servers={"pets": server.url + "/v1"})
    assert first.success and second.success
    assert doc.plan("adopt") is plan
    assert second.steps[0] is not first.steps[0]
