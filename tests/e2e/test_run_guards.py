"""Guards that keep a run bounded and its options honest, over real sockets."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arazzo_engine import AuthError, BindingError, ConfigurationError, DocumentError, run_workflow
from tests.conftest import DATA, ROOT
from tests.support.http_server import Reply, ScriptedServer

API = """\
openapi: 3.1.0
info: {title: t, version: "1"}
servers:
  - url: http://127.0.0.1:{port}/{stage}
    variables:
      port: {default: "9"}
      stage: {default: v1, enum: [v1, v2]}
paths:
  /flaky:
    get:
      operationId: flaky
      responses: {"200": {description: ok}}
"""

FLOW = """\
arazzo: 1.1.0
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: wf
    steps:
      - stepId: call
        operationId: flaky
        onFailure: [{name: again, type: retry, retryAfter: 0.01, retryLimit: 2}]
        outputs:
          missing: $response.body#/nope
    outputs:
      missing: $steps.call.outputs.missing
"""


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    (tmp_path / "api.yaml").write_text(API)
    (tmp_path / "flow.yaml").write_text(FLOW)
    return tmp_path / "flow.yaml"


@pytest.mark.parametrize("header", ["inf", "nan", "-5", "1e400", "Wed, 21 Oct 99999 07:28:00 GMT"])
def test_nonsense_retry_after_falls_back_to_retry_after_seconds(
    server: ScriptedServer, flow: Path, header: str
) -> None:
    server.route("GET", "/v1/flaky", Reply(503, headers={"Retry-After": header}), Reply(200, {}))
    start = time.monotonic()
    result = run_workflow(flow, "wf", servers={"api": server.url + "/v1"})
    assert result.success, result.error
    assert len(server.received) == 2
    assert time.monotonic() - start < 5


def test_a_retry_wait_longer_than_max_wait_fails_the_step_at_once(
    server: ScriptedServer, flow: Path
) -> None:
    server.route("GET", "/v1/flaky", Reply(503, headers={"Retry-After": "86400"}))
    start = time.monotonic()
    result = run_workflow(flow, "wf", servers={"api": server.url + "/v1"}, max_wait=60)
    assert not result.success
    assert "waiting 86400 s, more than the longest wait allowed (60 s" in (result.error or "")
    assert len(server.received) == 1
    assert time.monotonic() - start < 5
    assert [s.step_id for s in result.steps] == ["call"]


def test_servers_for_an_unknown_source_is_refused_before_any_request(
    server: ScriptedServer, flow: Path
) -> None:
    with pytest.raises(ConfigurationError, match=r"'apu'.*\(sources: api\)"):
        run_workflow(flow, "wf", servers={"apu": server.url})
    assert server.received == []


def test_a_bad_server_variable_is_refused_before_any_request(
    server: ScriptedServer, flow: Path
) -> None:
    variables = {"api": {"port": str(server.port), "stage": "v9"}}
    with pytest.raises(BindingError, match="'v9', which is not one of"):
        run_workflow(flow, "wf", server_variables=variables)
    assert server.received == []
    ok = run_workflow(flow, "wf", server_variables={"api": {"port": str(server.port)}})
    # the scripted server has no route: reached, answered 404, retried twice
    assert [r.path for r in server.received] == ["/v1/flaky"] * 3
    assert [s.status_code for s in ok.steps] == [404, 404, 404]


def test_cli_json_carries_the_warnings(server: ScriptedServer, flow: Path) -> None:
    server.route("GET", "/v1/flaky", Reply(200, {"other": 1}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "arazzo_engine",
            "run",
            str(flow),
            "wf",
            "--json",
            "--server",
            f"api={server.url}/v1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    [payload] = json.loads(proc.stdout)  # --json is always a list of runs
    assert any("member 'nope' not found" in w for w in payload["warnings"])
    assert "missing" not in payload["outputs"]


def test_a_json_body_that_does_not_parse_is_a_warning(server: ScriptedServer, flow: Path) -> None:
    server.route(
        "GET", "/v1/flaky", Reply(200, '{"v": ', headers={"Content-Type": "application/json"})
    )
    result = run_workflow(flow, "wf", servers={"api": server.url + "/v1"})
    assert result.success
    assert any("not valid JSON" in w for w in result.warnings), result.warnings


NAMESAKE = DATA / "namesake" / "main.arazzo.yaml"


def test_a_namesake_source_in_another_document_gets_neither_secrets_nor_servers(
    server: ScriptedServer,
) -> None:
    """`api` of the entry document and `api` of the Arazzo document it calls are two APIs."""
    server.route("GET", "/main/m", Reply(200, {}))
    server.route("GET", "/other/o", Reply(200, {}))
    with pytest.raises(AuthError, match="'key'"):
        run_workflow(
            NAMESAKE, "m", servers={"api": server.url + "/main"}, auth={"api:key": "MAINSECRET"}
        )
    assert server.received == []  # refused before any request, the main secret kept home
    # a credential for the scheme name (not the source) is meant for every source having it
    result = run_workflow(
        NAMESAKE, "m", servers={"api": server.url + "/main"}, auth={"key": "SHAREDKEY"}
    )
    # the sub document's `api` kept its own server: the override was for the entry `api`
    assert [r.path for r in server.received] == ["/main/m"]
    assert "127.0.0.1:9/other/o" in (result.step("o").error or "")


@pytest.mark.parametrize(
    "setting",
    [{"timeout": 0}, {"timeout": "x"}, {"max_steps": 0}, {"max_steps": -1}, {"max_wait": -1}],
)
def test_nonsense_settings_are_refused(server: ScriptedServer, flow: Path, setting: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigurationError, match="must be a number"):
        run_workflow(flow, "wf", servers={"api": server.url + "/v1"}, **setting)
    assert server.received == []


@pytest.mark.parametrize("timeout", [-5, 0, 99999999999999999999, "soon"])
def test_nonsense_step_timeouts_are_document_errors(tmp_path: Path, timeout: object) -> None:
    (tmp_path / "api.yaml").write_text(API)
    (tmp_path / "flow.yaml").write_text(
        FLOW.replace(
            "        operationId: flaky\n",
            f"        operationId: flaky\n        timeout: {timeout}\n",
        )
    )
    with pytest.raises(
        DocumentError, match=r"a step timeout is a number of milliseconds|'soon' is not of type"
    ):
        run_workflow(tmp_path / "flow.yaml", "wf", servers={"api": "http://127.0.0.1:9"})


def test_run_workflows_runs_a_shared_dependency_once(
    server: ScriptedServer, tmp_path: Path
) -> None:
    from arazzo_engine import run_workflows

    (tmp_path / "api.yaml").write_text(API)
    (tmp_path / "flow.yaml").write_text(
        """\
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: login
    steps: [{stepId: s, operationId: flaky, outputs: {n: $response.body#/n}}]
    outputs: {n: $steps.s.outputs.n}
  - workflowId: a
    dependsOn: [login]
    steps: [{stepId: s, operationId: flaky}]
    outputs: {n: $workflows.login.outputs.n}
  - workflowId: b
    dependsOn: [login]
    steps: [{stepId: s, operationId: flaky}]
    outputs: {n: $workflows.login.outputs.n}
"""
    )
    server.route("GET", "/v1/flaky", Reply(200, {"n": 1}), Reply(200, {"n": 2}))
    results = run_workflows(
        tmp_path / "flow.yaml", ["login", "a", "b"], servers={"api": server.url + "/v1"}
    )
    assert [r.success for r in results] == [True, True, True]
    assert len(server.received) == 3  # login once, then a and b
    assert [r.outputs for r in results] == [{"n": 1}, {"n": 1}, {"n": 1}]


def test_a_large_body_is_read_whole_but_recorded_in_part(
    server: ScriptedServer, flow: Path
) -> None:
    from arazzo_engine.results import RECORDED_BODY_LIMIT

    big = {"items": ["x" * 1000] * 3000, "nope": "found at the end"}
    server.route("GET", "/v1/flaky", Reply(200, big))
    result = run_workflow(flow, "wf", servers={"api": server.url + "/v1"})
    assert result.success
    assert result.outputs == {"missing": "found at the end"}  # expressions saw the whole body
    recorded = result.steps[0].response.body  # type: ignore[union-attr]
    assert isinstance(recorded, str) and recorded.endswith("more bytes not recorded)")
    assert len(recorded) < RECORDED_BODY_LIMIT + 100
