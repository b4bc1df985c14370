"""The compiler (issue 8): the verdicts it changed, each checked by validate() AND by a run over
a real socket, and the hostile-document items of issue 13 in its area."""

from __future__ import annotations

import time
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from arazzo_engine import ArazzoError, DocumentError, load, run_workflow, validate
from arazzo_engine.compile import compile, compile_document
from arazzo_engine.compile.plan import ParameterPlan
from arazzo_engine.expressions import Literal
from tests.support.big_documents import write_big_document
from tests.support.http_server import Reply, ScriptedServer

API = """\
openapi: 3.1.0
info: {title: items, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /x:
    get:
      operationId: getX
      responses: {"200": {description: ok}}
  /items:
    get:
      operationId: listItems
      parameters:
        - {name: limit, in: query, required: true, schema: {type: integer, default: 10}}
        - {name: region, in: query, required: true, schema: {type: string, example: eu}}
        - {name: cursor, in: query, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
  /login:
    post:
      operationId: login
      responses: {"200": {description: ok}}
"""


def _doc(tmp_path: Path, body: str, version: str = "1.1.0") -> Path:
    (tmp_path / "api.yaml").write_text(API)
    path = tmp_path / "flow.arazzo.yaml"
    head = (
        f"arazzo: {version}\ninfo: {{title: t, version: '1'}}\n"
        "sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]\n"
    )
    path.write_text(head + dedent(body).lstrip())
    return path


def _codes(path: Path) -> tuple[set[str], set[str]]:
    report = validate(path)
    return {p.code for p in report.errors}, {p.code for p in report.warnings}


def _run(path: Path, workflow: str, server: ScriptedServer, **options: Any) -> Any:
    return run_workflow(path, workflow, servers={"api": server.url}, **options)


# -- operationPath: one reading for validate and run ----------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "'{$sourceDescriptions.api}#/paths/~1x/get'",
        "'$sourceDescriptions.api#/paths/~1x/get'",
        "'{$sourceDescriptions.api.url}#/paths/~1x/get'",
    ],
)
def test_operation_path_forms_agree(tmp_path: Path, target: str) -> None:
    path = _doc(
        tmp_path,
        f"""
        workflows:
          - workflowId: w
            steps:
              - {{stepId: s, operationPath: {target}}}
        """,
    )
    errors, warnings = _codes(path)
    assert errors == set()
    standard = "url}" in target
    assert ("operation-path-style" in warnings) is not standard
    with ScriptedServer() as server:
        server.route("GET", "/x", Reply(200, {}))
        assert _run(path, "w", server).success
        assert [(r.method, r.path) for r in server.received] == [("GET", "/x")]


# -- missing-parameter: a warning; the OpenAPI default/example is sent ----------------------


def test_missing_required_parameters_warn_and_send_openapi_defaults(tmp_path: Path) -> None:
    path = _doc(
        tmp_path,
        """
        workflows:
          - workflowId: w
            steps:
              - {stepId: s, operationId: listItems}
        """,
    )
    report = validate(path)
    assert report.ok
    messages = [p.message for p in report.warnings if p.code == "missing-parameter"]
    assert len(messages) == 3
    assert any("'limit'" in m and "default/example 10" in m for m in messages)
    assert any("'cursor'" in m and "goes without it" in m for m in messages)
    plan = load(path).plan("w")
    sent = {p.name: p for p in plan.steps[0].parameters}
    assert sent["limit"] == ParameterPlan("limit", "query", Literal(10), "openapi")
    assert sent["region"].value == Literal("eu") and "cursor" not in sent
    # The run core (requests.py) still refuses a call without a required parameter that has no
    # stand-in, so the run below gives `cursor` itself.
    path.write_text(path.read_text().replace("operationId: listItems}", GIVE_CURSOR))
    with ScriptedServer() as server:
        server.route("GET", "/items", Reply(200, {}))
        assert _run(path, "w", server).success
        query = sorted(server.received[0].query)
        assert query == [("cursor", "c"), ("limit", "10"), ("region", "eu")]


GIVE_CURSOR = "operationId: listItems, parameters: [{name: cursor, in: query, value: c}]}"


def test_a_workflow_parameter_wins_over_an_openapi_default(tmp_path: Path) -> None:
    path = _doc(
        tmp_path,
        """
        workflows:
          - workflowId: w
            parameters: [{name: limit, in: query, value: 3}]
            steps:
              - {stepId: s, operationId: listItems}
        """.replace("operationId: listItems}", GIVE_CURSOR),
    )
    with ScriptedServer() as server:
        server.route("GET", "/items", Reply(200, {}))
        assert _run(path, "w", server).success
        assert ("limit", "3") in server.received[0].query
        assert ("limit", "10") not in server.received[0].query


# -- requestBody on a workflow step: ignored, with a warning --------------------------------


def test_request_body_on_a_workflow_step_is_ignored(tmp_path: Path) -> None:
    path = _doc(
        tmp_path,
        """
        workflows:
          - workflowId: inner
            steps: [{stepId: s, operationId: getX}]
          - workflowId: outer
            steps:
              - stepId: call
                workflowId: inner
                requestBody: {payload: {a: 1}}
        """,
    )
    errors, warnings = _codes(path)
    assert errors == set() and "request-body-on-workflow-step" in warnings
    assert load(path).plan("outer").steps[0].body is None
    with ScriptedServer() as server:
        server.route("GET", "/x", Reply(200, {}))
        assert _run(path, "outer", server).success


# -- the 1.0 grammar and the body-dot form ----------------------------------------------------

LENIENT = """
workflows:
  - workflowId: w
    steps:
      - stepId: log in
        operationId: login
        successCriteria: [{condition: $response.body.ok == true}]
        outputs: {token: $response.body.auth.token, first: "$response.body.list[0]"}
      - stepId: use
        operationId: getX
        parameters:
          - {name: Authorization, in: header, value: "Bearer {$steps.log in.token}"}
    outputs:
      token: $steps.log in.outputs.token
      first: $steps.log in.first
"""


def test_the_1_0_grammar_is_read_leniently_and_runs(tmp_path: Path) -> None:
    path = _doc(tmp_path, LENIENT, "1.0.1")
    report = validate(path)
    assert report.ok, [str(p) for p in report.errors]
    warned = {p.code for p in report.warnings}
    assert {"body-dot-path", "deprecated-step-reference", "step-id-pattern"} <= warned
    body = next(p for p in report.warnings if p.code == "body-dot-path")
    assert "$response.body#/" in body.message  # names the standard form
    with ScriptedServer() as server:
        server.route(
            "POST", "/login", Reply(200, {"ok": True, "auth": {"token": "t1"}, "list": [7]})
        )
        server.route("GET", "/x", Reply(200, {}))
        result = _run(path, "w", server)
        assert result.success, result.error
        assert result.outputs == {"token": "t1", "first": 7}
        assert server.received[1].headers["authorization"] == "Bearer t1"


def test_the_1_0_leniencies_are_errors_in_1_1(tmp_path: Path) -> None:
    path = _doc(tmp_path, LENIENT, "1.1.0")
    report = validate(path)
    errors = [p for p in report.errors if p.code == "bad-expression"]
    assert errors and all(p.workflow_id == "w" for p in errors)
    assert "body-dot-path" in {p.code for p in report.warnings}  # accepted in every version
    with pytest.raises(DocumentError, match="bad-expression"):
        load(path).plan("w")


def test_bad_output_name_is_an_error(tmp_path: Path) -> None:
    path = _doc(
        tmp_path,
        """
        workflows:
          - workflowId: w
            steps:
              - {stepId: s, operationId: getX, outputs: {"not ok": $statusCode}}
        """,
    )
    assert "bad-output-name" in _codes(path)[0]
    with pytest.raises(DocumentError, match="bad-output-name"):
        load(path).plan("w")


# -- issue 13 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["{a: 1}", "[query]"])
def test_a_parameter_in_that_is_a_mapping_or_list_is_a_located_problem(
    tmp_path: Path, where: str
) -> None:
    path = _doc(
        tmp_path,
        f"""
        workflows:
          - workflowId: w
            steps:
              - stepId: s
                operationId: getX
                parameters: [{{name: p, in: {where}, value: 1}}, {{name: p, in: {where}, value: 2}}]
        """,
    )
    report = validate(path)
    problem = next(p for p in report.errors if p.code == "schema")
    assert problem.pointer.endswith("/in") and problem.location.line is not None
    with pytest.raises(DocumentError):
        load(path).plan("w")


def test_a_1_0_value_shaped_like_a_selector_is_a_plain_mapping(tmp_path: Path) -> None:
    path = _doc(
        tmp_path,
        """
        workflows:
          - workflowId: w
            steps:
              - stepId: s
                operationId: login
                requestBody:
                  contentType: application/json
                  payload: {context: $inputs.c, selector: /a, type: jsonpointer}
        """,
        "1.0.1",
    )
    assert validate(path).ok
    with ScriptedServer() as server:
        server.route("POST", "/login", Reply(200, {}))
        assert _run(path, "w", server, inputs={"c": "ctx"}).success
        assert server.received[0].json() == {
            "context": "ctx",
            "selector": "/a",
            "type": "jsonpointer",
        }


def test_near_miss_input_names_and_unbraced_expressions_warn(tmp_path: Path) -> None:
    path = _doc(
        tmp_path,
        """
        workflows:
          - workflowId: w
            inputs:
              type: object
              properties: {itemName: {type: string}}
            steps:
              - stepId: s
                operationId: getX
                parameters:
                  - {name: q, in: query, value: $inputs.itemname}
                  - {name: Authorization, in: header, value: Bearer $steps.login.outputs.token}
                  - {name: ok, in: query, value: "Bearer {$inputs.itemName}"}
        """,
    )
    report = validate(path)
    near = [p for p in report.warnings if p.code == "undeclared-input"]
    assert len(near) == 1 and "did you mean 'itemName'" in near[0].message
    assert near[0].pointer == "/workflows/0/steps/0/parameters/0/value"
    bare = [p for p in report.warnings if p.code == "unbraced-expression"]
    assert len(bare) == 1 and "sent literally" in bare[0].message
    assert bare[0].pointer == "/workflows/0/steps/0/parameters/1/value"


def test_compile_returns_plans_and_problems(tmp_path: Path) -> None:
    path = _doc(
        tmp_path,
        """
        workflows:
          - workflowId: good
            steps: [{stepId: s, operationId: getX}]
          - workflowId: bad
            steps: [{stepId: s, operationId: nope}]
        """,
    )
    plans, problems = compile(path)
    assert set(plans) == {"good"}
    assert [(p.code, p.workflow_id) for p in problems if p.severity == "error"] == [
        ("unknown-operation-id", "bad")
    ]
    assert plans["good"].steps[0].operation is not None
    assert plans["good"].steps[0].operation.path == "/x"


def test_validation_scales_with_document_size(tmp_path: Path) -> None:
    """Figures only (no timing assertion): a 1.6 MB document of many workflows validates and
    every workflow compiles; the time per MB is printed."""
    path = write_big_document(tmp_path, 1_600_000)
    started = time.perf_counter()
    compilation = compile_document(path)
    elapsed = time.perf_counter() - started
    size = path.stat().st_size / 1e6
    print(f"validate: {size:.1f} MB in {elapsed:.2f} s ({elapsed / size:.2f} s/MB)")
    assert compilation.report.ok, [str(p) for p in compilation.report.errors[:3]]
    assert len(compilation.plans) > 500


def test_an_unreadable_source_refuses_only_the_workflows_that_need_it(tmp_path: Path) -> None:
    path = _doc(
        tmp_path,
        """
        workflows:
          - workflowId: w
            steps: [{stepId: s, operationId: $sourceDescriptions.gone.op}]
          - workflowId: fine
            steps: [{stepId: s, operationId: $sourceDescriptions.api.getX}]
        """,
    )
    text = path.read_text().replace(
        "sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]",
        "sourceDescriptions:\n  - {name: api, url: ./api.yaml}\n  - {name: gone, url: ./no.yaml}",
    )
    path.write_text(text)
    report = validate(path)
    assert report.ok and "source-unreadable" in {p.code for p in report.warnings}
    document = load(path)
    with pytest.raises(ArazzoError, match="could not be loaded"):
        document.plan("w")
    assert document.plan("fine").steps[0].operation is not None
