"""Dry runs: what each step of a workflow would send, worked out without sending anything.

Every operation step is bound and its request built as far as the data at hand allows: the
inputs are known, but no step has run, so a value that reads ``$steps``, ``$response`` or
``$outputs`` cannot be known and is shown as ``<$steps.login.outputs.token>``. Criteria are listed
but not evaluated, actions are not followed, and authentication is shown as the scheme that would
apply, never a secret (a SigV4 request is not signed at all).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ..aws.settings import AwsSettings
from ..console import _wrap_lines
from ..criteria import Composite, evaluate
from ..document.plan import StepPlan, WorkflowPlan
from ..errors import ArazzoError
from ..expressions import (
    Expression,
    ListValue,
    Literal,
    MapValue,
    RuntimeExpression,
    Template,
    Unresolved,
    evaluate_expression,
    references,
)
from ..media import is_json_media_type
from ..openapi.description import OpenAPIDescription
from ..redact import Redactor, redact_headers
from ..requests import (
    RequestBuildError,
    body_content_type,
    build_request,
    render_body_template,
)
from ..run.context import RunMemory, StepContext, WorkflowState
from ..run.core import RunOptions, learn_secret_inputs, with_defaults
from ..run.setup import bind_for_dry_run

__all__ = ["DryStep", "dry_run", "format_dry_run"]


@dataclass
class DryStep:
    """What one step would do."""

    step_id: str
    target: str
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Any = None
    #: the body as the text that would be sent, for media types other than JSON and multipart
    #: (form, XML, text); ``None`` otherwise
    body_text: str | None = None
    auth: str | None = None
    unresolved: list[str] = field(default_factory=list)
    criteria: list[str] = field(default_factory=list)
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "stepId": self.step_id,
            "target": self.target,
            "method": self.method,
            "url": self.url,
            "headers": [[k, v] for k, v in self.headers],
            "body": self.body,
            "auth": self.auth,
            "unresolved": self.unresolved,
            "criteria": self.criteria,
            **({"problem": self.problem} if self.problem else {}),
        }


def _marker(value: Any, ctx: StepContext, unresolved: list[str]) -> str:
    missing = []
    for expression in references(value):
        try:
            evaluate_expression(expression, ctx)
        except Unresolved as exc:
            missing.append(expression.text)
            note = f"{expression.text}: {exc.reason}"
            if note not in unresolved:
                unresolved.append(note)
    if not missing:
        unresolved.append("a value that cannot be known before the run")
        return "<unresolved>"
    return "<" + ", ".join(missing) + ">"


def _resolve(value: Any, ctx: StepContext, unresolved: list[str]) -> Any:
    """Evaluate ``value`` as far as possible: unknown parts become ``<expression>`` markers."""
    try:
        return evaluate(value, ctx, omit_absent_inputs=True)
    except Unresolved:
        pass
    if isinstance(value, (MapValue, ListValue, Composite)):
        pairs = value.items if not isinstance(value, ListValue) else tuple(enumerate(value.items))
        items = [(k, _resolve(v, ctx, unresolved)) for k, v in pairs if not _absent(v, ctx)]
        is_list = isinstance(value, ListValue) or (isinstance(value, Composite) and value.is_list)
        return [v for _, v in items] if is_list else dict(items)
    return _marker(value, ctx, unresolved)


def _payload(step: StepPlan, ctx: StepContext, unresolved: list[str]) -> Literal | Template | Any:
    """The payload to build the request from. A string template is rendered here, escaped for
    its media type as a run would, with ``<expression>`` markers for what cannot be known."""
    body = step.body
    assert body is not None and step.operation is not None
    payload = body.payload
    if not isinstance(payload, Template):
        return Literal(_resolve(payload, ctx, unresolved))
    media = (body_content_type(body, step.operation) or "").split(";", 1)[0].strip().lower()

    def marker(expression: RuntimeExpression, exc: Unresolved) -> str:
        note = f"{expression.text}: {exc.reason}"
        if note not in unresolved:
            unresolved.append(note)
        return f"<{expression.text}>"

    text = render_body_template(payload, media, ctx, marker)
    if is_json_media_type(media):
        try:
            return Literal(json.loads(text))
        except ValueError:
            pass  # the request builder reports it
    return Literal(text)


def _absent(value: Any, ctx: StepContext) -> bool:
    """An optional input that was not given: left out of a body, as a run would."""
    if not isinstance(value, Expression):
        return False
    try:
        evaluate_expression(value.expression, ctx)
    except Unresolved as exc:
        return exc.absent_input is not None
    return False


def description_of(plan: WorkflowPlan, step: StepPlan) -> OpenAPIDescription:
    """The OpenAPI description an operation step calls."""
    assert step.operation is not None
    description = plan.document.sources[step.operation.source_name].openapi
    assert description is not None
    return description


def dry_run(
    plan: WorkflowPlan,
    inputs: Mapping[str, Any] | None = None,
    *,
    servers: Mapping[str, str] | None = None,
    aws: AwsSettings | None = None,
    auth: Mapping[str, Any] | None = None,
    server_variables: Mapping[str, Mapping[str, str]] | None = None,
) -> list[DryStep]:
    """What each step of ``plan`` would send with ``inputs`` (their defaults applied). Nothing
    is sent or signed."""
    binding = bind_for_dry_run(
        plan,
        RunOptions(
            servers=dict(servers or {}),
            server_variables={k: dict(v) for k, v in (server_variables or {}).items()},
            aws=aws,
            auth=auth,
        ),
    )
    # the secret inputs (format: password, writeOnly) are masked wherever they would go
    redactor = Redactor()
    given = with_defaults(plan, inputs or {})
    learn_secret_inputs(plan, given, redactor)
    state = WorkflowState(plan, given)
    memory = RunMemory()
    found: list[DryStep] = []
    for step in plan.steps:
        dry = DryStep(step.step_id, step.target)
        dry.criteria = [c.text for c in step.success_criteria]
        ctx = StepContext(memory, state)
        if step.operation is None:
            names = {p.name: _resolve(p.value, ctx, dry.unresolved) for p in step.parameters}
            dry.body = names or None
            found.append(dry)
            continue
        bound_step = binding.of(plan, step)
        dry.auth = bound_step.security
        parameters = tuple(
            dataclasses.replace(p, value=Literal(_resolve(p.value, ctx, dry.unresolved)))
            for p in step.parameters
        )
        body = step.body
        if body is not None:
            body = dataclasses.replace(
                body,
                payload=_payload(step, ctx, dry.unresolved),
                replacements=tuple(
                    (target, Literal(_resolve(v, ctx, dry.unresolved)))
                    for target, v in body.replacements
                ),
            )
        bound = dataclasses.replace(step, parameters=parameters, body=body)
        try:
            base = "<server>" if bound_step.problem else bound_step.base_url
            call = build_request(bound, ctx, base)
        except (RequestBuildError, ArazzoError) as exc:
            dry.problem = redactor.text(str(exc))
            operation = step.operation
            dry.method = operation.method.upper()
            found.append(dry)
            continue
        dry.method = call.method
        dry.url = redactor.url(unquote(call.url))
        # as a client sends them: names in lower case, with Host (and Content-Length)
        wire = [("host", urlsplit(call.url).netloc)]
        wire += [(k.lower(), v) for k, v in call.headers]
        if call.content:
            wire.append(("content-length", str(len(call.content))))
        dry.headers = redact_headers(wire, redactor=redactor)
        dry.body = redactor.value(call.body)
        content_type = next((v for k, v in call.headers if k.lower() == "content-type"), "")
        media = content_type.split(";", 1)[0].strip().lower()
        if (
            call.content
            and not is_json_media_type(media)
            and media != "multipart/form-data"
            and (isinstance(call.body, str) or media == "application/x-www-form-urlencoded")
        ):
            dry.body_text = redactor.text(call.content.decode("utf-8", errors="replace"))
        found.append(dry)
    return found


def _target(target: str) -> str:
    """``POST /#X-Amz-Target=... (putImage)`` shown as ``POST / (putImage)``."""
    if "#" not in target:
        return target
    head, _, rest = target.partition("#")
    operation = rest.rsplit(" (", 1)[1] if " (" in rest else ""
    return f"{head} ({operation}" if operation else head


def format_dry_run(plan: WorkflowPlan, steps: list[DryStep]) -> list[str]:
    """The console account of a dry run (plain text, 80 columns)."""
    lines = [f"workflow {plan.workflow_id} (dry run: nothing is sent)"]
    for dry in steps:
        lines.append(f"  step {dry.step_id}  {_target(dry.target)}")
        if dry.method and dry.url:
            lines.append(_URL_MARK + f"     {dry.method} {dry.url}")
        for name, value in dry.headers:
            if name.lower() in ("host", "content-length"):
                continue
            lines.append(f"     {name}: {value}")
        if dry.body_text is not None:
            text = dry.body_text
            lines.append("     body: " + (text if len(text) <= 500 else text[:497] + "..."))
        elif dry.body is not None:
            text = json.dumps(dry.body, ensure_ascii=False, default=str)
            lines.append("     body: " + (text if len(text) <= 500 else text[:497] + "..."))
        if dry.auth:
            lines.append(f"     auth: {dry.auth}")
        for note in dry.unresolved:
            lines.append(f"     unresolved {note}")
        for condition in dry.criteria:
            lines.append(f"     criterion (not evaluated): {condition}")
        if dry.problem:
            lines.append(f"     cannot build the request: {dry.problem}")
    return [part for line in lines for part in _wrap(line)]


_URL_MARK = "\x00url\x00"


def _wrap(line: str) -> list[str]:
    """Wrap at spaces, the continuation indented under the text; a token longer than a line is
    never cut, and a URL line is never wrapped (it stays one line to copy)."""
    if line.startswith(_URL_MARK):
        return [line[len(_URL_MARK) :]]
    indent = len(line) - len(line.lstrip(" "))
    head, _, rest = line[indent:].partition(" ")
    prefix = " " * indent + head + " "
    if not rest:
        return [line]
    lines = _wrap_lines(prefix, rest, break_long_words=False)
    # continuation lines aligned two columns in from the line's own indentation
    return [lines[0], *(" " * (indent + 2) + piece.lstrip(" ") for piece in lines[1:])]
