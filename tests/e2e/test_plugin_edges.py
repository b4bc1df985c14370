"""The pytest plugin: a failure line with the reason, and --arazzo-input typed as the CLI's
--input (by the inputs schema). A scratch project (pytester) against a local HTTP server."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import DATA
from tests.support.http_server import Reply, ScriptedServer

pytest_plugins = ["pytester"]

DOC = """arazzo: 1.0.1
info: {title: plugin, version: '1'}
sourceDescriptions:
  - {name: pets, url: ./pets.openapi.yaml, type: openapi}
workflows:
  - workflowId: fetch
    inputs:
      type: object
      properties:
        id: {type: string}
        verbose: {type: boolean}
    steps:
      - stepId: get
        operationId: getPet
        parameters:
          - {name: petId, in: path, value: $inputs.id}
          - {name: verbose, in: query, value: $inputs.verbose}
        successCriteria:
          - condition: $statusCode == 200
"""


def _project(pytester: pytest.Pytester) -> None:
    shutil.copy(DATA / "pets.openapi.yaml", pytester.path / "pets.openapi.yaml")
    (pytester.path / "flows.arazzo.yaml").write_text(DOC, encoding="utf-8")
    pytester.makeini("[pytest]\narazzo_files = *.arazzo.yaml\n")


def test_the_failure_line_gives_the_step_status_and_criterion(
    pytester: pytest.Pytester, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the short summary line is cut at the width
    server.route("GET", "/v1/pets/7", Reply(500, {"error": "boom"}))
    _project(pytester)
    result = pytester.runpytest_inprocess(
        "-ra",
        "-p",
        "no:cacheprovider",
        f"--arazzo-server=pets={server.url}/v1",
        "--arazzo-input=id=7",
        "--arazzo-input=verbose=true",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "FAILED flows.arazzo.yaml::fetch - step 'get' failed: HTTP 500, "
            "criterion $statusCode == 200 not met"
        ]
    )


def test_arazzo_input_is_typed_by_the_schema_like_the_cli(
    pytester: pytest.Pytester, server: ScriptedServer
) -> None:
    server.route("GET", "/v1/pets/007", Reply(200, {"id": "007"}))
    _project(pytester)
    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        f"--arazzo-server=pets={server.url}/v1",
        "--arazzo-input=id=007",  # a string input: stays "007" (JSON would make it 7)
        "--arazzo-input=verbose=true",  # a boolean input: read as JSON
    )
    result.assert_outcomes(passed=1)
    [request] = server.received
    assert request.path.startswith("/v1/pets/007")
    assert ("verbose", "true") in request.query


def test_a_badly_typed_arazzo_input_is_the_cli_message(
    pytester: pytest.Pytester, server: ScriptedServer
) -> None:
    _project(pytester)
    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        f"--arazzo-server=pets={server.url}/v1",
        "--arazzo-input=id=1",
        "--arazzo-input=verbose=yes please",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*--arazzo-input verbose: 'yes please' is not a valid boolean*"])
    assert server.received == []
