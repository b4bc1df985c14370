"""Failures an action handled (a retry that then succeeded, a 409 sent on by a goto) are not
test failures in JUnit, and the terminal says which action fired. Real HTTP on loopback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from junitparser import JUnitXml

from arazzo_engine.cli import main
from tests.conftest import DATA
from tests.support.http_server import Reply, ScriptedServer

DOC = """arazzo: 1.0.1
info: {title: handled, version: '1'}
sourceDescriptions:
  - {name: pets, url: ./pets.openapi.yaml, type: openapi}
workflows:
  - workflowId: adopt
    steps:
      - stepId: create
        operationId: createPet
        requestBody: {payload: {name: rex}}
        successCriteria: [{condition: $statusCode == 201}]
        onFailure:
          - name: alreadyExists
            type: goto
            stepId: fetch
            criteria: [{condition: $statusCode == 409}]
      - stepId: skipped
        operationId: getPet
        parameters: [{name: petId, in: path, value: skipped}]
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: fetch
        operationId: getPet
        parameters: [{name: petId, in: path, value: '1'}]
        successCriteria: [{condition: $statusCode == 200}]
        onFailure:
          - name: busy
            type: retry
            retryAfter: 0
            retryLimit: 3
            criteria: [{condition: $statusCode == 503}]
"""


@pytest.fixture
def document(tmp_path: Path) -> Path:
    shutil.copy(DATA / "pets.openapi.yaml", tmp_path / "pets.openapi.yaml")
    path = tmp_path / "handled.arazzo.yaml"
    path.write_text(DOC, encoding="utf-8")
    return path


def test_handled_failures_are_not_junit_failures(
    document: Path, server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("POST", "/v1/pets", Reply(409, {"error": "exists"}))
    server.route("GET", "/v1/pets/1", Reply(503, "busy"), Reply(503, "busy"), Reply(200, {"id": 1}))
    junit = tmp_path / "junit.xml"
    code = main(
        ["run", str(document), "adopt", "--server", f"pets={server.url}/v1", "--junit", str(junit)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    # the terminal says which action fired
    assert "-> goto fetch (alreadyExists)" in out
    assert "-> retry #2 (busy)" in out
    assert "-> retry #3 (busy)" in out
    assert [r.path for r in server.received] == [
        "/v1/pets",
        "/v1/pets/1",
        "/v1/pets/1",
        "/v1/pets/1",
    ]
    xml = JUnitXml.fromfile(str(junit))
    assert (xml.failures, xml.errors) == (0, 0)
    [suite] = list(xml)
    outputs = {case.name: case.system_out or "" for case in suite}
    assert "handled: " in outputs["adopt / create"]
    assert "goto fetch (alreadyExists)" in outputs["adopt / create"]
    assert "retry #2 (busy)" in outputs["adopt / fetch"]
    assert all(case.is_passed for case in suite)


def test_an_unhandled_failure_is_still_a_failure(
    document: Path, server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("POST", "/v1/pets", Reply(409, {"error": "exists"}))
    server.route("GET", "/v1/pets/1", *[Reply(503, "busy")] * 4)
    junit = tmp_path / "junit.xml"
    code = main(
        ["run", str(document), "adopt", "--server", f"pets={server.url}/v1", "--junit", str(junit)]
    )
    capsys.readouterr()
    assert code == 1
    xml = JUnitXml.fromfile(str(junit))
    # the workflow case and the last attempt (the retry limit reached) fail; the handled
    # 409 and the retried attempts do not
    assert xml.failures == 2


def test_local_ecr_checks_inputs_before_starting_moto(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.conftest import SPEC

    code = main(["run", str(SPEC), "publish-image", "--local-ecr", "--input", "imageTag=x"])
    err = capsys.readouterr().err
    assert code == 2
    assert "'imageManifest' is a required property" in err
    assert "local ECR:" not in err  # the server was never started
