"""The run core's commands and results as JSON values, the way they travel through Temporal
(activity inputs and results, which Temporal keeps in the run's event history).

Bodies are base64; header lists are lists of ``[name, value]`` pairs. Nothing here imports
temporalio, so the conversion is plain and testable on its own.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from ..run.commands import Failure, Headers, HttpExchange, HttpReply, Result, SentRequest, Time

__all__ = [
    "exchange_from_wire",
    "exchange_to_wire",
    "result_from_wire",
    "result_to_wire",
]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text or ""))


def _headers(value: Any) -> Headers:
    return tuple((str(name), str(text)) for name, text in value or ())


def exchange_to_wire(command: HttpExchange) -> dict[str, Any]:
    """An `HttpExchange` as JSON (it names its auth; it carries no credential)."""
    return {
        "stepId": command.step_id,
        "method": command.method,
        "url": command.url,
        "headers": [list(pair) for pair in command.headers],
        "body": _b64(command.body),
        "auth": command.auth,
        "timeout": command.timeout,
        "connectTimeout": command.connect_timeout,
        "readTimeout": command.read_timeout,
        "maxBody": command.max_body,
    }


def exchange_from_wire(data: Mapping[str, Any]) -> HttpExchange:
    """The `HttpExchange` of `exchange_to_wire`."""
    return HttpExchange(
        step_id=str(data["stepId"]),
        method=str(data["method"]),
        url=str(data["url"]),
        headers=_headers(data.get("headers")),
        body=_unb64(data.get("body")),
        auth=data.get("auth"),
        timeout=float(data.get("timeout", 30.0)),
        connect_timeout=data.get("connectTimeout"),
        read_timeout=data.get("readTimeout"),
        max_body=data.get("maxBody"),
    )


def _sent_to_wire(sent: SentRequest | None) -> dict[str, Any] | None:
    if sent is None:
        return None
    return {
        "method": sent.method,
        "url": sent.url,
        "headers": [list(pair) for pair in sent.headers],
        "body": _b64(sent.body),
    }


def _sent_from_wire(data: Mapping[str, Any] | None) -> SentRequest | None:
    if data is None:
        return None
    return SentRequest(
        str(data["method"]), str(data["url"]), _headers(data.get("headers")), _unb64(data["body"])
    )


def result_to_wire(result: Result) -> dict[str, Any]:
    """An `HttpReply`, `Failure` or `Time` as JSON."""
    if isinstance(result, HttpReply):
        return {
            "type": "reply",
            "status": result.status,
            "headers": [list(pair) for pair in result.headers],
            "body": _b64(result.body),
            "sent": _sent_to_wire(result.sent),
            "at": result.at,
            "elapsed": result.elapsed,
            "reason": result.reason,
            "httpVersion": result.http_version,
        }
    if isinstance(result, Failure):
        return {
            "type": "failure",
            "reason": result.reason,
            "at": result.at,
            "elapsed": result.elapsed,
            "sent": _sent_to_wire(result.sent),
        }
    if isinstance(result, Time):
        return {"type": "time", "at": result.at}
    raise TypeError(f"no wire form for {type(result).__name__}")


def result_from_wire(data: Mapping[str, Any]) -> Result:
    """The result of `result_to_wire`."""
    kind = data.get("type")
    if kind == "reply":
        sent = _sent_from_wire(data.get("sent"))
        assert sent is not None
        return HttpReply(
            status=int(data["status"]),
            headers=_headers(data.get("headers")),
            body=_unb64(data.get("body")),
            sent=sent,
            at=float(data["at"]),
            elapsed=float(data["elapsed"]),
            reason=str(data.get("reason") or ""),
            http_version=str(data.get("httpVersion") or "HTTP/1.1"),
        )
    if kind == "failure":
        return Failure(
            str(data["reason"]),
            float(data["at"]),
            float(data.get("elapsed") or 0.0),
            _sent_from_wire(data.get("sent")),
        )
    if kind == "time":
        return Time(float(data["at"]))
    raise ValueError(f"unknown result type {kind!r}")
