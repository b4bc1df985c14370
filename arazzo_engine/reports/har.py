"""HAR 1.2: every HTTP exchange of one or more runs, secrets masked.

Each step execution that sent a request becomes an entry (in order); the step, workflow and
attempt are kept in the custom fields ``_workflowId``, ``_stepId`` and ``_attempt`` (HAR allows
custom fields that start with an underscore), and contract findings in ``comment``. Requests and
responses come from the run's records, which are redacted; header and query values are masked
once more here with the same rules, so a HAR file can be attached to a bug report.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ..redact import redact_headers

if TYPE_CHECKING:
    from ..results import RunResult, StepResult

__all__ = ["HAR_VERSION", "to_har"]

HAR_VERSION = "1.2"

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _headers(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in redact_headers(headers)]


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _iso(epoch: float) -> str:
    when = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _entry(step: StepResult) -> dict[str, Any]:
    request = step.request
    assert request is not None
    request_text = _text(request.body)
    request_type = _header(request.headers, "content-type")
    har_request: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(request.headers),
        "queryString": [
            {"name": k, "value": v}
            for k, v in parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(request_text.encode("utf-8")),
    }
    if request.body is not None:
        har_request["postData"] = {
            "mimeType": request_type or "application/octet-stream",
            "text": request_text,
        }
    response = step.response
    if response is not None:
        response_text = _text(response.body)
        response_type = _header(response.headers, "content-type") or ""
        har_response: dict[str, Any] = {
            "status": response.status_code,
            "statusText": _REASONS.get(response.status_code, ""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _headers(response.headers),
            "content": {
                "size": len(response_text.encode("utf-8")),
                "mimeType": response_type,
                "text": response_text,
            },
            "redirectURL": _header(response.headers, "location") or "",
            "headersSize": -1,
            "bodySize": len(response_text.encode("utf-8")),
        }
    else:  # no HTTP answer: HAR's convention is status 0
        har_response = {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": step.error or "no response",
        }
    millis = round(step.duration * 1000, 3)
    entry: dict[str, Any] = {
        "startedDateTime": _iso(step.started_at or 0.0),
        "time": millis,
        "request": har_request,
        "response": har_response,
        "cache": {},
        "timings": {"send": 0, "wait": millis, "receive": 0},
        "_workflowId": step.workflow_id,
        "_stepId": step.step_id,
        "_attempt": step.attempt,
        "_success": step.success,
    }
    if step.contract:
        entry["comment"] = "contract: " + "; ".join(step.contract)
    return entry


def to_har(results: Sequence[RunResult]) -> dict[str, Any]:
    """A HAR 1.2 document (as JSON-ready data) of every request the runs sent."""
    from .. import __version__

    entries = [
        _entry(step) for result in results for step in result.steps if step.request is not None
    ]
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "arazzo-engine", "version": __version__},
            "entries": entries,
            "comment": ", ".join(
                f"{r.workflow_id}: {'succeeded' if r.success else 'failed'}" for r in results
            ),
        }
    }
