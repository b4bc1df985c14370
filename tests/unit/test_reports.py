"""Reports built from results: JSON (masked inputs), JUnit XML (parsed back), HAR 1.2 (schema)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from junitparser import JUnitXml

from arazzo_engine.criteria import CriterionOutcome
from arazzo_engine.reports import mask_inputs, to_report
from arazzo_engine.results import RecordedRequest, RecordedResponse, RunResult, StepResult

HAR_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "cli" / "har-1.2.schema.json").read_text("utf-8")
)


def _result() -> RunResult:
    ok = StepResult(
        "login",
        "flow",
        True,
        "POST /login (login)",
        status_code=200,
        request=RecordedRequest(
            "POST", "http://h/login?user=ann", [("Authorization", "Basic abc")], {"a": 1}
        ),
        response=RecordedResponse(200, [("Content-Type", "application/json")], {"token": "t"}),
        criteria=[
            CriterionOutcome("$statusCode == 200", "simple", True, None, (("$statusCode", 200),))
        ],
        started_at=1_800_000_000.0,
        duration=0.012,
    )
    bad = StepResult(
        "buy",
        "flow",
        False,
        "POST /buy (buy)",
        status_code=500,
        request=RecordedRequest("POST", "http://h/buy", [], None),
        response=RecordedResponse(500, [], "boom & <bust>"),
        criteria=[
            CriterionOutcome(
                "$statusCode == 201", "simple", False, "$statusCode is 500", (("$statusCode", 500),)
            )
        ],
        contract=["status 500 is not documented for this operation"],
        error="criterion '$statusCode == 201' failed",
        started_at=1_800_000_001.0,
        duration=0.003,
    )
    lost = StepResult(
        "gone",
        "flow",
        False,
        "GET /x (x)",
        error="no response from http://h/x",
        request=RecordedRequest("GET", "http://h/x", [], None),
    )
    return RunResult(
        "flow",
        False,
        {"id": 1},
        [ok, bad, lost],
        "step 'buy' failed",
        {"user": "ann", "apiToken": "zzz"},
        duration=0.02,
    )


def test_json_report_masks_secret_inputs() -> None:
    report = to_report(
        [_result()], schemas={"flow": {"properties": {"user": {"format": "password"}}}}
    )
    workflow = report["workflows"][0]
    # only what the schema marks secret; a name that looks secret is not a rule
    assert workflow["inputs"]["user"] == "***"
    assert report["success"] is False and workflow["steps"][1]["contract"]
    schema = {
        "properties": {
            "nested": {"properties": {"password": {"writeOnly": True}, "n": {}}},
            "key": {"x-secret": True},
        }
    }
    assert mask_inputs({"nested": {"password": "x", "n": 1}, "key": "k"}, schema) == {
        "nested": {"password": "***", "n": 1},
        "key": "***",
    }


def test_junit_round_trip() -> None:
    xml = JUnitXml.fromstring(_result().to_junit())
    suite = next(iter(xml))
    cases = {c.name: c for c in suite}
    assert list(cases) == ["flow", "flow / login", "flow / buy", "flow / gone"]
    assert cases["flow / login"].is_passed
    assert cases["flow / buy"].result[0].message == "criterion '$statusCode == 201' failed"
    assert type(cases["flow / gone"].result[0]).__name__ == "Error"
    assert suite.tests == 4 and suite.failures == 2 and suite.errors == 1


def test_har_is_valid_and_masks_headers() -> None:
    har = _result().to_har()
    jsonschema.validate(har, HAR_SCHEMA)
    entries = har["log"]["entries"]
    assert len(entries) == 3
    assert entries[0]["request"]["headers"] == [{"name": "Authorization", "value": "Basic ***"}]
    assert entries[0]["request"]["queryString"] == [{"name": "user", "value": "ann"}]
    assert entries[1]["comment"].startswith("contract:")
    assert entries[2]["response"]["status"] == 0
