"""The validator: structural and semantic checks, the report, the CLI and run's refusal."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from arazzo_engine import DocumentError, Problem, Report, load, run_workflow, validate
from arazzo_engine.cli import main
from arazzo_engine.validation import cached_report
from tests.support.http_server import Reply, ScriptedServer

DATA = Path(__file__).resolve().parents[1] / "data"
PETS = DATA / "pets.arazzo.yaml"


def write(tmp_path: Path, text: str, name: str = "flow.arazzo.yaml") -> Path:
    """Write an Arazzo document next to a copy of the pets OpenAPI description."""
    shutil.copy(DATA / "pets.openapi.yaml", tmp_path / "pets.openapi.yaml")
    path = tmp_path / name
    path.write_text(dedent(text).lstrip())
    return path


HEAD = """\
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: pets, url: ./pets.openapi.yaml, type: openapi}
"""


def codes(report: Report) -> list[str]:
    return [p.code for p in report.errors]


def only(report: Report, code: str) -> Problem:
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, [str(p) for p in report.problems]
    return found[0]


# -- the happy path ------------------------------------------------------------------------


def test_a_valid_document_has_no_problem() -> None:
    report = validate(PETS)
    assert report.ok and report.problems == [] and report.version == "1.0.1"


def test_a_loaded_document_is_validated_with_its_loaded_sources() -> None:
    document = load(PETS)
    assert validate(document).ok
    assert cached_report(document) is cached_report(document)


# -- structure -----------------------------------------------------------------------------


def test_every_schema_error_is_reported_at_its_pointer_with_line_and_column(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """\
        arazzo: 1.0.1
        info: {title: t}
        sourceDescriptions:
          - {name: "bad name", url: ./pets.openapi.yaml}
        workflows:
          - workflowId: w
            steps:
              - stepId: s
                operationId: login
                operationPath: "{$sourceDescriptions.pets.url}#/paths/~1login/post"
        """,
    )
    report = validate(path)
    pointers = {p.pointer: p for p in report.errors if p.code == "schema"}
    assert set(pointers) == {"/info", "/sourceDescriptions/0/name", "/workflows/0/steps/0"}
    step = pointers["/workflows/0/steps/0"]
    assert "exactly one of operationId, operationPath and workflowId" in step.message
    assert (step.location.line, step.location.column) == (8, 9)
    assert step.workflow_id == "w"
    assert pointers["/info"].workflow_id is None
    assert str(step) == (f"{path}:8:9: error [schema] {step.message} (at /workflows/0/steps/0)")


def test_a_document_the_model_cannot_build_is_still_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nworkflows: []\n")
    report = validate(path)
    assert {p.pointer for p in report.errors} == {"", "/workflows"}
    assert codes(report) == ["schema", "schema"]


def test_spec_forms_the_official_10_schema_rejects_are_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: createPet
        requestBody:
          contentType: application/json
          payload: {tags: []}
          replacements:
            - {target: /tags, value: [a, b]}
            - {target: /age, value: 3}
        successCriteria:
          - context: $response.body
            condition: $.name
            type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}
""",
    )
    report = validate(path)
    assert report.ok, [str(p) for p in report.problems]


def test_unknown_fields_are_errors_but_extensions_are_not(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + """\
workflows:
  - workflowId: w
    x-team: payments
    owner: me
    steps:
      - {stepId: s, operationId: login}
""",
    )
    problem = only(validate(path), "schema")
    assert problem.pointer == "/workflows/0" and "'owner'" in problem.message


# -- semantics -----------------------------------------------------------------------------

BROKEN = (
    HEAD
    + """\
components:
  parameters:
    trace: {name: X-Trace, in: header, value: t}
  successActions:
    done: {name: done, type: end}
workflows:
  - workflowId: a
    dependsOn: [b, nowhere]
    steps:
      - stepId: s1
        operationId: nope
        successCriteria:
          - condition: $statusCode ==
          - {context: $response.body, type: regex, condition: "([a-z"}
          - {context: $response.body, type: jsonpath, condition: "$[?@.a =="}
          - {context: $response.body, type: xpath, condition: "//a[@b='c'"}
        outputs:
          id: $response.body#/id
      - stepId: s1
        operationPath: "{$sourceDescriptions.pets.url}#/paths/~1pets~1{petId}/get"
        parameters:
          - {name: verbose, in: query, value: $steps.s1.outputs.missing}
          - {name: verbose, in: query, value: 1}
          - {reference: $components.successActions.done}
        onSuccess:
          - {name: jump, type: goto, stepId: ghost}
          - {reference: $components.parameters.trace}
      - stepId: s3
        workflowId: elsewhere
  - workflowId: b
    dependsOn: [a]
    steps:
      - stepId: ok
        operationId: login
        outputs:
          token: $response.body.token
"""
)


def test_every_semantic_problem_is_reported_at_once(tmp_path: Path) -> None:
    report = validate(write(tmp_path, BROKEN))
    found = {(p.code, p.pointer) for p in report.errors}
    expected = {
        ("duplicate-step-id", "/workflows/0/steps/1/stepId"),
        ("unknown-workflow-id", "/workflows/0/dependsOn/1"),
        ("unknown-operation-id", "/workflows/0/steps/0/operationId"),
        ("bad-expression", "/workflows/0/steps/0/successCriteria/0/condition"),
        ("bad-regex", "/workflows/0/steps/0/successCriteria/1/condition"),
        ("bad-jsonpath", "/workflows/0/steps/0/successCriteria/2/condition"),
        ("bad-xpath", "/workflows/0/steps/0/successCriteria/3/condition"),
        ("unresolved-step-output", "/workflows/0/steps/1/parameters/0/value"),
        ("duplicate-parameter", "/workflows/0/steps/1/parameters/1"),
        ("wrong-component-kind", "/workflows/0/steps/1/parameters/2/reference"),
        ("unknown-step-id", "/workflows/0/steps/1/onSuccess/0/stepId"),
        ("wrong-component-kind", "/workflows/0/steps/1/onSuccess/1/reference"),
        ("unknown-workflow-id", "/workflows/0/steps/2/workflowId"),
        ("depends-on-cycle", "/workflows/1/dependsOn/0"),
    }
    assert expected <= found, [*sorted(found - expected), "missing:", *sorted(expected - found)]
    # Verdicts the compiler changed (issue 8): warnings, not errors.
    warned = {(p.code, p.pointer) for p in report.warnings}
    assert {
        ("missing-parameter", "/workflows/0/steps/1"),
        ("body-dot-path", "/workflows/1/steps/0/outputs/token"),
    } <= warned
    cycle = only(report, "depends-on-cycle")
    assert "a -> b -> a" in cycle.message
    missing = only(report, "missing-parameter")
    assert "path parameter 'petId'" in missing.message
    bad = next(p for p in report.errors if p.pointer.endswith("successCriteria/0/condition"))
    assert "offset" in bad.message and bad.location.line is not None
    by_workflow = {p.workflow_id for p in report.errors}
    assert by_workflow == {"a", "b"}


def test_several_api_sources_require_qualified_operation_ids(tmp_path: Path) -> None:
    (tmp_path / "other.openapi.yaml").write_text(
        (DATA / "pets.openapi.yaml").read_text().replace("operationId: getPet", "operationId: x")
    )
    path = write(
        tmp_path,
        HEAD
        + """\
  - {name: other, url: ./other.openapi.yaml}
workflows:
  - workflowId: w
    steps:
      - {stepId: ambiguous, operationId: login}
      - {stepId: qualified, operationId: $sourceDescriptions.other.login}
      - {stepId: dotted, operationId: other.login}
      - {stepId: nosource, operationId: $sourceDescriptions.ghost.login}
      - {stepId: unique, operationId: getPet, parameters: [{name: petId, in: path, value: 1}]}
""",
    )
    report = validate(path)
    assert [(p.code, p.pointer.split("/")[4]) for p in report.errors] == [
        ("unqualified-operation-id", "0"),
        ("unknown-operation-id", "2"),
        ("unknown-source", "3"),
    ]
    assert "it is in pets, other" in report.errors[0].message
    # Found in exactly one source: bound by the run, but the spec's MUST is broken: a warning.
    warning = report.warnings[0]
    assert (warning.code, warning.pointer) == (
        "unqualified-operation-id",
        "/workflows/0/steps/4/operationId",
    )
    assert len(validate(path, strict=True).errors) == 4


def test_operation_path_must_name_an_operation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + """\
workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationPath: "{$sourceDescriptions.pets.url}#/paths/~1pets"
      - stepId: b
        operationPath: "pets#/paths/~1pets/post"
      - stepId: c
        operationPath: "{$sourceDescriptions.pets.url}#/paths/~1cats/get"
      - stepId: d
        operationPath: "{$sourceDescriptions.pets.url}#/paths/~1pets/post"
""",
    )
    report = validate(path)
    assert [(p.code, p.pointer.split("/")[4]) for p in report.errors] == [
        ("bad-operation-path", "0"),
        ("bad-operation-path", "1"),
        ("unknown-operation-path", "2"),
    ]


def test_unreadable_source_is_a_warning_and_strict_makes_it_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: gone, url: ./missing.openapi.yaml}
workflows:
  - workflowId: w
    steps:
      - {stepId: s, operationId: anything}
""",
    )
    report = validate(path)
    assert report.ok
    warning = only(report, "source-unreadable")
    assert warning.severity == "warning" and warning.pointer == "/sourceDescriptions/0/url"
    assert "'gone'" in warning.message and "skipped checks" in warning.message
    strict = validate(path, strict=True)
    assert not strict.ok and codes(strict) == ["source-unreadable"]


def test_asyncapi_steps_are_refused_at_validation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
arazzo: 1.1.0
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: pets, url: ./pets.openapi.yaml, type: openapi}
  - {name: events, url: ./events.asyncapi.yaml, type: asyncapi}
workflows:
  - workflowId: w
    steps:
      - stepId: wait
        channelPath: "{$sourceDescriptions.events.url}#/channels/orders"
        action: receive
""",
    )
    problem = only(validate(path), "unsupported-asyncapi")
    assert problem.severity == "error" and "AsyncAPI steps are not supported yet" in problem.message
    assert problem.pointer == "/workflows/0/steps/0" and problem.workflow_id == "w"


def test_an_unreadable_document_raises(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="file not found"):
        validate(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1,\n")
    with pytest.raises(DocumentError, match="invalid YAML"):
        validate(bad)


# -- errors per workflow and run's refusal -------------------------------------------------

TWO = (
    HEAD
    + """\
workflows:
  - workflowId: good
    steps:
      - stepId: login
        operationId: login
        successCriteria: [{condition: $statusCode == 200}]
  - workflowId: broken
    steps:
      - stepId: login
        operationId: login
        outputs: {token: $response.body/token}
  - workflowId: caller
    steps:
      - {stepId: call, workflowId: broken}
"""
)


def test_an_error_in_one_workflow_blocks_only_that_workflow_and_its_callers(
    tmp_path: Path,
) -> None:
    report = validate(write(tmp_path, TWO))
    assert report.errors_for("good") == []
    assert [p.code for p in report.errors_for("broken")] == ["bad-expression"]
    assert [p.code for p in report.errors_for("caller")] == ["bad-expression"]


def test_run_refuses_the_broken_workflow_and_runs_the_other(tmp_path: Path) -> None:
    document = load(write(tmp_path, TWO))
    with ScriptedServer() as server:
        server.route("POST", "/v1/login", Reply(200, {"token": "t"}))
        with pytest.raises(DocumentError) as caught:
            run_workflow(document, "broken", servers={"pets": server.url + "/v1"})
        assert server.received == []
        text = str(caught.value)
        assert "workflow 'broken' cannot run: 1 validation error(s)" in text
        assert "[bad-expression]" in text and "/workflows/1/steps/0/outputs/token" in text
        result = run_workflow(document, "good", servers={"pets": server.url + "/v1"})
        assert result.success and len(server.received) == 1
        first = cached_report(document)
        run_workflow(document, "good", servers={"pets": server.url + "/v1"})
        assert cached_report(document) is first  # validated once per Document


# -- the command line ----------------------------------------------------------------------


def test_cli_validate_exit_codes_and_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(PETS)]) == 0
    assert "valid (0 error(s), 0 warning(s))" in capsys.readouterr().out
    path = write(tmp_path, TWO)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{path}:15:26: error [bad-expression] output '$response.body/token': unexpected '/' "
        "after $response.body; point into the body with '#/' (a JSON pointer), e.g. "
        "$response.body#/id (offset 14) (at /workflows/1/steps/0/outputs/token)"
    )
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_cli_validate_json_and_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: gone, url: ./missing.yaml}]\n"
        "workflows: [{workflowId: w, steps: [{stepId: s, operationId: x}]}]\n",
    )
    assert main(["validate", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is True and data["errors"] == []
    assert data["warnings"][0]["code"] == "source-unreadable"
    assert data["warnings"][0]["pointer"] == "/sourceDescriptions/0/url"
    assert main(["validate", "--strict", str(path)]) == 1
    assert "error [source-unreadable]" in capsys.readouterr().out


def test_python_m_validate_prints_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1,\n")
    proc = subprocess.run(
        [sys.executable, "-m", "arazzo_engine", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_an_operation_parameter_without_in_is_reported_at_the_parameter(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: getPet
        parameters: [{name: petId, in: path, value: 1}, {name: verbose, value: true}]
""",
    )
    report = validate(path)
    problem = only(report, "schema")
    assert problem.message == (
        "a parameter of an operation step needs 'in' (path, query, header or cookie)"
    )
    assert problem.pointer == "/workflows/0/steps/0/parameters/1"


def test_a_parameter_the_operation_does_not_declare_is_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + """\
workflows:
  - workflowId: w
    parameters: [{name: fromWorkflow, in: query, value: 1}]
    steps:
      - stepId: s
        operationId: getPet
        parameters:
          - {name: petId, in: path, value: 1}
          - {name: verbos, in: query, value: true}
          - {name: x-trace, in: header, value: t}
          - {name: X-Other, in: header, value: t}
          - {name: session, in: cookie, value: c}
          - {name: sesion, in: cookie, value: c}
          - {name: Accept, in: header, value: application/json}
""",
    )
    report = validate(path)
    assert report.ok, [str(p) for p in report.problems]
    found = {(p.pointer, p.severity) for p in report.problems if p.code == "undeclared-parameter"}
    assert found == {
        ("/workflows/0/steps/0/parameters/1", "warning"),
        ("/workflows/0/steps/0/parameters/3", "warning"),
        ("/workflows/0/steps/0/parameters/5", "warning"),
    }
    typo = next(p for p in report.problems if p.pointer.endswith("parameters/1"))
    assert "declares no query parameter 'verbos'" in typo.message


def test_a_workflow_step_passing_an_unknown_input_is_warned(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + """\
workflows:
  - workflowId: outer
    steps:
      - stepId: call
        workflowId: inner
        parameters: [{name: idd, value: 7}]
  - workflowId: inner
    inputs: {type: object, properties: {id: {type: integer, default: 1}}}
    steps:
      - stepId: get
        operationId: getPet
        parameters: [{name: petId, in: path, value: $inputs.id}]
""",
    )
    report = validate(path)
    assert report.ok  # a warning: the target would still run, with its default
    problem = only(report, "unknown-input")
    assert problem.severity == "warning"
    assert "passes 'idd' to workflow 'inner', which has no such input (inputs: id)" in str(problem)
    assert problem.location is not None
    assert problem.location.pointer == "/workflows/0/steps/0/parameters/0/name"


def test_problems_of_a_referenced_arazzo_document_are_reported_where_they_are(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        HEAD
        + """\
workflows:
  - workflowId: inner
    steps:
      - {stepId: s, operationId: nopeOp}
""",
        name="sub.arazzo.yaml",
    )
    main = write(
        tmp_path,
        """\
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: sub, url: ./sub.arazzo.yaml, type: arazzo}
workflows:
  - workflowId: outer
    steps:
      - {stepId: call, workflowId: $sourceDescriptions.sub.inner}
""",
    )
    report = validate(main)
    problem = only(report, "unknown-operation-id")
    assert problem.location is not None and problem.location.file is not None
    assert problem.location.file.endswith("sub.arazzo.yaml")
    assert problem.location.line == 8
    assert problem.workflow_id == "$sourceDescriptions.sub.inner"
    assert not report.ok


def test_a_timeout_on_a_workflow_step_is_warned_as_not_applied(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD.replace("1.0.1", "1.1.0")
        + """\
workflows:
  - workflowId: outer
    steps:
      - {stepId: call, workflowId: inner, timeout: 300}
  - workflowId: inner
    steps:
      - {stepId: get, operationId: getPet, parameters: [{name: petId, in: path, value: 1}]}
""",
    )
    report = validate(path)
    assert report.ok
    assert only(report, "timeout-not-applied").severity == "warning"


def test_schema_errors_name_the_field_the_author_got_wrong(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD.replace("1.0.1", "1.1.0")
        + """\
workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationId: getPet
        parameters: [{name: petId, in: path, value: 1}]
        onFailure: [{name: r, type: retry, retryAfter: -3}]
        onSuccess: [{name: s, type: goto}]
        outputs:
          o: {context: $response.body, selector: $.id, type: {type: jsonpath, version: foo}}
          p: {context: $response.body, selector: $.id, type: jsonpat}
""",
    )
    messages = {p.location.pointer: p.message for p in validate(path).errors if p.location}
    base = "/workflows/0/steps/0"
    assert messages[f"{base}/onFailure/0/retryAfter"] == "-3 is less than the minimum of 0"
    assert "a goto action needs 'stepId'" in messages[f"{base}/onSuccess/0"]
    assert "'foo' is not one of" in messages[f"{base}/outputs/o/type/version"]
    assert "'jsonpat' is not one of" in messages[f"{base}/outputs/p/type"]


def test_a_report_is_true_only_without_errors(tmp_path: Path) -> None:
    assert validate(PETS)
    broken = write(tmp_path, HEAD + "workflows:\n  - workflowId: w\n    steps: []\n")
    assert not validate(broken)
