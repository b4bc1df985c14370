"""A `RunResult` as JSON and back, exactly: what a run on Temporal returns (its workflow's
result) and what ``arazzo-engine result`` reads, so that the JSON, JUnit and HAR reports work
on it as on a run in process.

Unlike ``RunResult.to_dict`` (a report: durations rounded, traces flattened) this keeps every
field: ``from_data(to_data(r)) == r``. Values that JSON cannot hold are tagged: bytes as
``{"$bytes": base64}``, an unresolved operand as ``{"$unresolved": reason}``, anything else
as its text.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from ..criteria import CriterionOutcome
from ..expressions.evaluate import UnresolvedOperand
from ..results import RecordedRequest, RecordedResponse, RunResult, StepResult

__all__ = ["run_result_from_data", "run_result_to_data"]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, UnresolvedOperand):
        return {"$unresolved": value.reason}
    return str(value)


def _value(data: Any) -> Any:
    if isinstance(data, dict):
        if set(data) == {"$bytes"}:
            return base64.b64decode(data["$bytes"])
        if set(data) == {"$unresolved"}:
            return UnresolvedOperand(str(data["$unresolved"]))
        return {k: _value(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_value(v) for v in data]
    return data


def _pairs(data: Any) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in data or []]


def _step_to_data(step: StepResult) -> dict[str, Any]:
    request = step.request
    response = step.response
    return {
        "stepId": step.step_id,
        "workflowId": step.workflow_id,
        "success": step.success,
        "target": step.target,
        "attempt": step.attempt,
        "statusCode": step.status_code,
        "request": None
        if request is None
        else {
            "method": request.method,
            "url": request.url,
            "headers": [list(p) for p in request.headers],
            "body": _plain(request.body),
        },
        "response": None
        if response is None
        else {
            "statusCode": response.status_code,
            "headers": [list(p) for p in response.headers],
            "body": _plain(response.body),
        },
        "outputs": _plain(step.outputs),
        "criteria": [
            {
                "condition": c.condition,
                "type": c.type,
                "passed": c.passed,
                "reason": c.reason,
                "values": [[e, _plain(v)] for e, v in c.values],
            }
            for c in step.criteria
        ],
        "contract": list(step.contract),
        "trace": [[e, _plain(v)] for e, v in step.trace],
        "error": step.error,
        "action": step.action,
        "startedAt": step.started_at,
        "duration": step.duration,
    }


def _step_from_data(data: Mapping[str, Any]) -> StepResult:
    request = data.get("request")
    response = data.get("response")
    return StepResult(
        step_id=data["stepId"],
        workflow_id=data["workflowId"],
        success=bool(data["success"]),
        target=data["target"],
        attempt=int(data.get("attempt", 1)),
        status_code=data.get("statusCode"),
        request=None
        if request is None
        else RecordedRequest(
            request["method"], request["url"], _pairs(request["headers"]), _value(request["body"])
        ),
        response=None
        if response is None
        else RecordedResponse(
            int(response["statusCode"]), _pairs(response["headers"]), _value(response["body"])
        ),
        outputs=_value(data.get("outputs") or {}),
        criteria=[
            CriterionOutcome(
                c["condition"],
                c["type"],
                bool(c["passed"]),
                c.get("reason"),
                tuple((str(e), _value(v)) for e, v in c.get("values") or []),
            )
            for c in data.get("criteria") or []
        ],
        contract=list(data.get("contract") or []),
        trace=[(str(e), _value(v)) for e, v in data.get("trace") or []],
        error=data.get("error"),
        action=data.get("action"),
        started_at=float(data.get("startedAt") or 0.0),
        duration=float(data.get("duration") or 0.0),
    )


def run_result_to_data(result: RunResult) -> dict[str, Any]:
    """Every field of ``result`` as JSON values (secrets are already masked in a result)."""
    return {
        "workflowId": result.workflow_id,
        "success": result.success,
        "outputs": _plain(result.outputs),
        "steps": [_step_to_data(s) for s in result.steps],
        "error": result.error,
        "inputs": _plain(dict(result.inputs)),
        "warnings": list(result.warnings),
        "duration": result.duration,
    }


def run_result_from_data(data: Mapping[str, Any]) -> RunResult:
    """The `RunResult` of `run_result_to_data`."""
    return RunResult(
        workflow_id=data["workflowId"],
        success=bool(data["success"]),
        outputs=_value(data.get("outputs") or {}),
        steps=[_step_from_data(s) for s in data.get("steps") or []],
        error=data.get("error"),
        inputs=_value(data.get("inputs") or {}),
        warnings=list(data.get("warnings") or []),
        duration=float(data.get("duration") or 0.0),
    )
