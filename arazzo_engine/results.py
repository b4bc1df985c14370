"""What a run returns: the workflow's outcome and a record of every step that ran.

Records hold redacted copies of requests and responses: credentials, signatures, tokens and
cookies never reach a result, so a result can be printed, logged or saved as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .criteria import CriterionOutcome
from .media import decode_body
from .redact import REDACTED, Redactor, redact_headers

if TYPE_CHECKING:
    import httpx

    from .document.model import Document
    from .run.commands import HttpReply, SentRequest

__all__ = [
    "REDACTED",
    "RecordedRequest",
    "RecordedResponse",
    "RunResult",
    "StepResult",
    "redact_headers",
    "redact_result",
    "redact_step",
]

#: The most bytes of a body a result records (reports, HAR); expressions see the whole body.
RECORDED_BODY_LIMIT = 1024 * 1024


def _recorded_body(
    content: bytes,
    content_type: str | None,
    redactor: Redactor | None = None,
    decoded: tuple[Any] | None = None,
) -> Any:
    """The body as a result keeps it: decoded (``decoded``, when the caller has decoded it
    already), or its first bytes as text when it is large. Secrets are masked before the cut,
    so a secret across the cut is never half shown."""
    if len(content) <= RECORDED_BODY_LIMIT:
        body = decoded[0] if decoded is not None else decode_body(content, content_type)
        if redactor is None or body is None:
            return body
        return redactor.decoded(content.decode("utf-8", "replace"), body)
    text = content.decode("utf-8", "replace")
    if redactor is not None:
        text = redactor.text(text)
    head = text[:RECORDED_BODY_LIMIT]
    return f"{head}... ({len(content) - RECORDED_BODY_LIMIT} more bytes not recorded)"


def _content_type(headers: Iterable[tuple[str, str]]) -> str | None:
    return next((v for k, v in headers if k.lower() == "content-type"), None)


@dataclass
class RecordedRequest:
    """The request a step sent (secrets masked)."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: Any

    @classmethod
    def from_sent(cls, sent: SentRequest, redactor: Redactor | None = None) -> RecordedRequest:
        """Record a request as it went on the wire, redacted (secret headers, API key query
        parameters and known secret values in the URL and body; nothing when ``redactor`` is
        disabled)."""
        body = _recorded_body(sent.body, _content_type(sent.headers), redactor)
        url = redactor.url(sent.url) if redactor is not None else sent.url
        return cls(sent.method, url, redact_headers(sent.headers, redactor=redactor), body)

    @classmethod
    def from_httpx(
        cls, request: httpx.Request, redactor: Redactor | None = None
    ) -> RecordedRequest:
        """Record an httpx request (see `from_sent`)."""
        import httpx

        from .run.commands import SentRequest

        try:
            content = request.content
        except httpx.RequestNotRead:
            content = b""
        sent = SentRequest(
            request.method, str(request.url), tuple(request.headers.multi_items()), content
        )
        return cls.from_sent(sent, redactor)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": [[k, v] for k, v in self.headers],
            "body": self.body,
        }


@dataclass
class RecordedResponse:
    """The response a step received (secrets masked)."""

    status_code: int
    headers: list[tuple[str, str]]
    body: Any

    @classmethod
    def from_reply(
        cls,
        reply: HttpReply,
        redactor: Redactor | None = None,
        decoded: tuple[Any] | None = None,
    ) -> RecordedResponse:
        """Record a response, redacted (``Set-Cookie`` values and known secret values echoed
        in the body masked; nothing when ``redactor`` is disabled). ``decoded`` is the body
        as `decode_body` reads it, when the caller has it (it is not decoded twice)."""
        if redactor is not None:
            # a cookie the server sets is a credential (a session): mask its value everywhere
            for name, value in reply.headers:
                if name.lower() == "set-cookie":
                    redactor.add_value(value.partition("=")[2].split(";", 1)[0].strip())
        body = _recorded_body(reply.body, _content_type(reply.headers), redactor, decoded)
        return cls(reply.status, redact_headers(reply.headers, redactor=redactor), body)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "statusCode": self.status_code,
            "headers": [[k, v] for k, v in self.headers],
            "body": self.body,
        }


def _trace_entry(expression: str, value: Any) -> dict[str, Any]:
    reason = getattr(value, "reason", None)
    if type(value).__name__ == "UnresolvedOperand" and isinstance(reason, str):
        return {"expression": expression, "unresolved": reason}
    return {"expression": expression, "value": value}


@dataclass
class StepResult:
    """One execution of one step."""

    step_id: str
    workflow_id: str
    success: bool
    target: str
    attempt: int = 1
    status_code: int | None = None
    request: RecordedRequest | None = None
    response: RecordedResponse | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    criteria: list[CriterionOutcome] = field(default_factory=list)
    contract: list[str] = field(default_factory=list)
    trace: list[tuple[str, Any]] = field(default_factory=list)
    """Each runtime expression evaluated for the parameters, body and outputs, with its value
    (an ``UnresolvedOperand`` when it could not be resolved)."""
    error: str | None = None
    action: str | None = None
    #: an AsyncAPI step's message: channel, action, headers, payload, correlation id, the time
    #: waited and the messages skipped (a `arazzo_engine.run.messaging.MessageRecord`)
    message: Any = None
    started_at: float = 0.0
    duration: float = 0.0
    #: The redactor version the record was last masked at (see `redact_result`).
    redacted_at: int = field(default=-1, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "stepId": self.step_id,
            "workflowId": self.workflow_id,
            "success": self.success,
            "target": self.target,
            "attempt": self.attempt,
            "statusCode": self.status_code,
            "outputs": self.outputs,
            "criteria": [c.to_dict() for c in self.criteria],
            "durationMs": round(self.duration * 1000, 3),
        }
        if self.error:
            out["error"] = self.error
        if self.action:
            out["action"] = self.action
        if self.contract:
            out["contract"] = self.contract
        if self.trace:
            out["trace"] = [_trace_entry(e, v) for e, v in self.trace]
        if self.request is not None:
            out["request"] = self.request.to_dict()
        if self.response is not None:
            out["response"] = self.response.to_dict()
        if self.message is not None:
            out["message"] = self.message.to_dict()
        return out


@dataclass
class RunResult:
    """The outcome of running a workflow.

    ``success`` is True when the workflow ended successfully; ``outputs`` holds its outputs
    (those that could be evaluated, also on failure); ``steps`` holds every step execution in
    order, including those of nested workflows and retries; ``error`` says why a failed run
    failed.
    """

    workflow_id: str
    success: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    duration: float = 0.0

    def step(self, step_id: str) -> StepResult:
        """The last execution of ``step_id``."""
        for record in reversed(self.steps):
            if record.step_id == step_id:
                return record
        raise KeyError(step_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (secrets already masked)."""
        out: dict[str, Any] = {
            "workflowId": self.workflow_id,
            "success": self.success,
            "outputs": self.outputs,
            "steps": [s.to_dict() for s in self.steps],
            "durationMs": round(self.duration * 1000, 3),
        }
        if self.error:
            out["error"] = self.error
        if self.warnings:
            out["warnings"] = self.warnings
        return out

    def to_junit(self) -> str:
        """The result as JUnit XML: a test case per workflow run, one per step inside it.
        See [`arazzo_engine.reports.junit`][arazzo_engine.reports.junit]."""
        from .reports.junit import to_junit_xml

        return to_junit_xml([self])

    def to_har(self) -> dict[str, Any]:
        """Every HTTP exchange of the run as a HAR 1.2 log (secrets masked).
        See [`arazzo_engine.reports.har`][arazzo_engine.reports.har]."""
        from .reports.har import to_har

        return to_har([self])

    def to_html(self, document: Document | None = None) -> str:
        """The result as one self-contained HTML page (no network needed); with the
        ``document`` (a loaded `Document`), the workflow diagram with the path the run took.
        See [`to_html`][arazzo_engine.reports.html.to_html]."""
        from .reports.html import to_html

        return to_html([self], document=document)


def _redact_criterion(outcome: CriterionOutcome, redactor: Redactor) -> CriterionOutcome:
    reason = redactor.text(outcome.reason) if outcome.reason else outcome.reason
    values = tuple((e, redactor.value(v)) for e, v in outcome.values)
    if reason == outcome.reason and all(
        new is old for (_, new), (_, old) in zip(values, outcome.values, strict=True)
    ):
        return outcome  # nothing masked (outcomes are frozen: shared safely)
    return dataclasses.replace(outcome, reason=reason, values=values)


def redact_step(record: StepResult, redactor: Redactor) -> None:
    """Mask known secret values in a step record's error, outputs, criteria and trace.

    The record's ``outputs`` is replaced by a masked copy (never mutated: the run keeps the
    real values for later steps).
    """
    if not redactor.enabled:
        return
    record.redacted_at = redactor.version
    if record.error:
        record.error = redactor.text(record.error)
    record.outputs = redactor.value(record.outputs)
    record.criteria = [_redact_criterion(c, redactor) for c in record.criteria]
    trace = getattr(record, "trace", None)
    if trace:
        record.trace = [(e, redactor.value(v)) for e, v in trace]
    message = record.message
    if message is not None:
        message.headers = redact_headers(message.headers, redactor=redactor)
        message.payload = redactor.value(message.payload)
        message.correlation_id = redactor.value(message.correlation_id)
        message.skipped = redactor.value(message.skipped)


def redact_exchange(record: StepResult, redactor: Redactor) -> None:
    """Mask again the recorded request and response of a step (bodies, header values, URL)
    with what ``redactor`` knows now: a secret learned after they were recorded."""
    if not redactor.enabled:
        return
    for exchange in (record.request, record.response):
        if exchange is not None:
            exchange.body = redactor.value(exchange.body)
            exchange.headers = [(k, redactor.text(v)) for k, v in exchange.headers]
    if record.request is not None:
        record.request.url = redactor.url(record.request.url)


def redact_result(result: RunResult, redactor: Redactor, secret_inputs: Iterable[str] = ()) -> None:
    """Mask known secret values in a run result; inputs named in ``secret_inputs`` (declared
    ``format: password`` or ``writeOnly``) are masked whole."""
    if not redactor.enabled:
        return
    hidden = set(secret_inputs)
    result.inputs = {
        k: (REDACTED if k in hidden else redactor.value(v)) for k, v in result.inputs.items()
    }
    result.outputs = redactor.value(result.outputs)
    if result.error:
        result.error = redactor.text(result.error)
    result.warnings = [redactor.text(w) for w in result.warnings]
    # Again over every step: a secret learned late (a token a login step received, sent as a
    # credential by a later step) is masked in the steps recorded before it was known too.
    for record in result.steps:
        if record.redacted_at == redactor.version:
            continue  # nothing learned since this step was masked
        redact_step(record, redactor)
        redact_exchange(record, redactor)
