"""The rough edges a new user hits on the command line: --version, list --json, describe with
actions and secret inputs, validate's help, and one JSON shape for run --json."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from arazzo_engine.cli import main
from tests.conftest import DATA
from tests.support.http_server import Reply, ScriptedServer

DOC = """arazzo: 1.0.1
info: {title: edges, version: '1'}
sourceDescriptions:
  - {name: pets, url: ./pets.openapi.yaml, type: openapi}
workflows:
  - workflowId: fetch
    summary: Fetch a pet.
    inputs:
      type: object
      required: [id]
      properties:
        id: {type: string}
        password: {type: string, format: password}
    steps:
      - stepId: get
        operationId: getPet
        parameters: [{name: petId, in: path, value: $inputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        onFailure:
          - name: busy
            type: retry
            retryAfter: 1
            retryLimit: 2
            criteria: [{condition: $statusCode == 503}]
    failureActions:
      - {name: stop, type: end}
"""


@pytest.fixture
def document(tmp_path: Path) -> Path:
    shutil.copy(DATA / "pets.openapi.yaml", tmp_path / "pets.openapi.yaml")
    path = tmp_path / "edges.arazzo.yaml"
    path.write_text(DOC, encoding="utf-8")
    return path


def test_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "arazzo_engine", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"arazzo-engine {metadata.version('arazzo-engine')}"


def test_list_json_marks_secret_inputs(document: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json", str(document)]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["workflowId"] == "fetch"
    assert entry["summary"] == "Fetch a pet."
    inputs = {row["name"]: row for row in entry["inputs"]}
    assert inputs["id"]["required"] is True and inputs["id"]["secret"] is False
    assert inputs["password"]["secret"] is True and inputs["password"]["required"] is False
    assert main(["list", str(document)]) == 0
    assert "input password: string (optional, secret)" in capsys.readouterr().out


def test_describe_shows_actions_and_secret_inputs(
    document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["describe", str(document), "fetch"]) == 0
    out = capsys.readouterr().out
    assert "password: string (optional, secret)" in out
    assert "on failure: busy: retry (up to 2, after 1s) when $statusCode == 503" in out
    assert "on failure (default): stop: end" in out
    assert main(["describe", "--json", str(document), "fetch"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["secretInputs"] == ["password"]
    [action] = data["steps"][0]["onFailure"]
    assert action == {
        "name": "busy",
        "type": "retry",
        "stepId": None,
        "workflowId": None,
        "retryAfter": 1,
        "retryLimit": 2,
        "criteria": ["$statusCode == 503"],
    }
    assert data["failureActions"][0]["type"] == "end"


def test_validate_document_argument_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "the Arazzo document (YAML or JSON, path or URL)" in capsys.readouterr().out


def test_run_json_is_always_a_list(
    document: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("GET", "/v1/pets/1", Reply(200, {"id": 1}), Reply(200, {"id": 1}))
    options = ["--server", f"pets={server.url}/v1", "--input", "id=1", "--json"]
    for selection in ("fetch", "--all"):
        assert main(["run", str(document), selection, *options]) == 0
        payload = json.loads(capsys.readouterr().out)
        assert isinstance(payload, list) and len(payload) == 1
        assert payload[0]["workflowId"] == "fetch" and payload[0]["success"] is True
