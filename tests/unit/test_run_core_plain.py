"""The run core speaks plain data: it runs as a bare generator with canned results, in a fresh
interpreter, without httpx or jsonschema; driven twice the same way it gives the same result;
secrets are masked before a recorded body is cut; dry runs mask secret inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

from arazzo_engine import AwsSettings, load
from arazzo_engine.redact import Redactor
from arazzo_engine.reports.dryrun import dry_run, format_dry_run
from arazzo_engine.results import RECORDED_BODY_LIMIT, RecordedResponse
from arazzo_engine.run.commands import HttpReply, SentRequest
from arazzo_engine.run.core import RunOptions
from arazzo_engine.run.setup import bind

ROOT = Path(__file__).resolve().parents[2]
ECR = ROOT / "specs" / "arazzo" / "amazon-ecr-publish-image-workflow.yml"
OPENAPI = Path(__file__).resolve().parents[1] / "conformance" / "openapi" / "api.yaml"

# Runs in a fresh interpreter: compile the ECR workflow, read the binding made by the parent
# (plain JSON), and drive execute() by hand with canned replies and times.
CHILD = """
import json, sys
from arazzo_engine.document.model import load
from arazzo_engine.run.binding import RunBinding
from arazzo_engine.run.commands import HttpExchange, HttpReply, Now, SentRequest, Time, Wait
from arazzo_engine.run.core import RunOptions, execute

doc_path, binding_json = sys.argv[1], sys.argv[2]
plan = load(doc_path).plan("publish-image")  # the compiler's schema check uses jsonschema
binding = RunBinding.from_dict(json.loads(binding_json))
HEAVY = ("httpx", "httpcore", "jsonschema", "openapi_core", "botocore")
before = {m for m in HEAVY if m in sys.modules}
for name in HEAVY:  # from here on, importing any of these fails loudly
    sys.modules[name] = None
bodies = {
    "confirmRepository": {"repositories": [{"repositoryName": "demo"}]},
    "putImage": {"image": {"repositoryName": "demo", "imageId": {"imageTag": "v1"}}},
    "verifyImage": {"images": [{"imageId": {"imageTag": "v1"}}], "failures": []},
}
run = execute(
    plan,
    {"repositoryName": "demo", "imageManifest": "{}", "imageTag": "v1"},
    RunOptions(),
    binding=binding,
)
clock = 1_800_000_000.0
sent_urls = []
try:
    command = next(run)
    while True:
        clock += 0.25
        if isinstance(command, HttpExchange):
            sent_urls.append(command.url)
            sent = SentRequest(command.method, command.url, command.headers, command.body)
            body = json.dumps(bodies[command.step_id]).encode()
            headers = (("content-type", "application/x-amz-json-1.1"),)
            command = run.send(HttpReply(200, headers, body, sent, clock, 0.125))
        elif isinstance(command, (Now, Wait)):
            command = run.send(Time(clock))
        else:
            raise AssertionError(command)
except StopIteration as stop:
    result = stop.value
blocked = sorted(m for m in HEAVY if sys.modules.get(m, 0) is not None and m not in before)
print(json.dumps({"blocked": blocked, "compile": sorted(before), "urls": sent_urls,
                  "result": result.to_dict()}))
"""


def _child(binding: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ECR), binding],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_the_core_runs_bare_without_httpx_or_jsonschema() -> None:
    """The binding is made here (it resolves AWS settings and builds the SigV4 flow, which
    needs httpx and botocore); the child gets it as plain JSON. What the child proves: loading
    and compiling a document, the binding, the core and everything they import run a whole
    workflow, and once the plan is compiled (the compiler's schema check imports jsonschema) the
    core and everything it imports run it with httpx, httpcore, jsonschema, openapi-core and
    botocore made unimportable: any import of them would fail the run."""
    plan = load(ECR).plan("publish-image")
    aws = AwsSettings(region="eu-west-1", access_key_id="AKIDEXAMPLE", secret_access_key="s")
    prepared = bind(plan, RunOptions(aws=aws))
    assert set(prepared.auth) == {"amazonEcrApi:awsSigV4"}
    binding = json.dumps(prepared.binding.to_dict())
    assert "AKIDEXAMPLE" not in binding
    first, second = _child(binding), _child(binding)
    assert first["blocked"] == []
    assert "httpx" not in first["compile"] and "botocore" not in first["compile"]
    assert first["urls"] == ["https://api.ecr.eu-west-1.amazonaws.com/"] * 3
    result = first["result"]
    assert isinstance(result, dict) and result["success"], result
    assert [s["stepId"] for s in result["steps"]] == [
        "confirmRepository",
        "putImage",
        "verifyImage",
    ]
    # times come from the results (each answer here is 0.25 s later than the one before:
    # Now at the start, the reply, Now at the end): deterministic durations
    assert [s["durationMs"] for s in result["steps"]] == [500.0, 500.0, 500.0]
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_a_secret_across_the_recorded_body_cut_is_masked_whole() -> None:
    secret = "s3cr3t-TOKEN-value-0123456789"
    redactor = Redactor()
    redactor.add_value(secret)
    body = b"a" * (RECORDED_BODY_LIMIT - 8) + secret.encode() + b"b" * 100
    sent = SentRequest("GET", "http://h/")
    reply = HttpReply(200, (("content-type", "text/plain"),), body, sent, 0.0, 0.0)
    recorded = RecordedResponse.from_reply(reply, redactor)
    assert isinstance(recorded.body, str)
    assert secret[:8] not in recorded.body
    assert recorded.body[RECORDED_BODY_LIMIT - 8 : RECORDED_BODY_LIMIT - 5] == "***"


def test_dry_run_masks_password_inputs_in_paths_queries_and_bodies(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(OPENAPI.read_text())
    secret = "hunter2-Pa55"
    doc = tmp_path / "w.arazzo.yaml"
    doc.write_text(
        dedent(
            """\
            arazzo: 1.0.1
            info: {title: t, version: "1"}
            sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
            workflows:
              - workflowId: w
                inputs:
                  type: object
                  properties:
                    pw: {type: string, format: password}
                steps:
                  - stepId: q
                    operationId: listItems
                    parameters: [{name: q, in: query, value: $inputs.pw}]
                  - stepId: p
                    operationId: getItem
                    parameters: [{name: id, in: path, value: "x-{$inputs.pw}"}]
                  - stepId: json
                    operationId: createItem
                    requestBody:
                      payload: {name: $inputs.pw}
                  - stepId: form
                    operationId: submitForm
                    requestBody:
                      contentType: application/x-www-form-urlencoded
                      payload: {field: $inputs.pw}
            """
        )
    )
    plan = load(doc).plan("w")
    steps = dry_run(plan, {"pw": secret}, servers={"api": "http://127.0.0.1:9"})
    assert all(s.problem is None for s in steps), [s.problem for s in steps]
    shown = json.dumps([s.to_dict() for s in steps]) + "\n".join(format_dry_run(plan, steps))
    assert secret not in shown
    assert "hunter2" not in shown
    assert shown.count("***") >= 4


def test_retry_after_dates_are_read_against_the_replys_time(tmp_path: Path) -> None:
    """Driven by hand: the delay of an HTTP-date Retry-After comes from the reply's own time
    (``at + elapsed``), not from a clock, so the same replies give the same Wait."""
    import email.utils

    from arazzo_engine.run.commands import HttpExchange, Now, Time, Wait
    from arazzo_engine.run.core import execute
    from arazzo_engine.run.services import default_services

    (tmp_path / "api.yaml").write_text(OPENAPI.read_text())
    doc = tmp_path / "r.arazzo.yaml"
    doc.write_text(
        dedent(
            """\
            arazzo: 1.0.1
            info: {title: t, version: "1"}
            sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
            workflows:
              - workflowId: r
                steps:
                  - stepId: list
                    operationId: listItems
                    onFailure:
                      - {name: again, type: retry, retryAfter: 1, retryLimit: 2}
            """
        )
    )
    plan = load(doc).plan("r")
    options = RunOptions(servers={"api": "http://127.0.0.1:9"}, services=default_services())
    at = 1_800_000_000.0
    when = email.utils.formatdate(at + 2 + 7, usegmt=True)  # 7 s after the reply ended
    statuses = iter([(503, (("retry-after", when),)), (200, ())])
    seen: list[object] = []
    run = execute(plan, {}, options, binding=bind(plan, options).binding)
    try:
        command = next(run)
        while True:
            seen.append(command)
            if isinstance(command, HttpExchange):
                status, headers = next(statuses)
                sent = SentRequest(command.method, command.url, command.headers, command.body)
                command = run.send(HttpReply(status, headers, b"", sent, at, 2.0))
            else:
                assert isinstance(command, (Now, Wait))
                command = run.send(Time(at))
    except StopIteration as stop:
        result = stop.value
    assert result.success, result.error
    waits = [c for c in seen if isinstance(c, Wait)]
    assert waits == [Wait("list", 7.0)]
    assert [s.status_code for s in result.steps] == [503, 200]
