"""The run loop, free of I/O.

`execute` is a generator. It yields `Send` (a request to send) and `Sleep`
(a wait before a retry) commands, and is sent back an ``httpx.Response`` (body read) or a
`TransportFailure` for each ``Send``. When the workflow ends it returns a
[`RunResult`][arazzo_engine.results.RunResult]. The synchronous and asynchronous drivers, and tests,
all drive this same generator.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
import jsonschema

from ..auth.credentials import CredentialStore
from ..auth.sigv4 import AwsSettings
from ..auth.sources import AuthResolver, SourceAuth
from ..contract import check_response
from ..criteria import Composite, CriterionOutcome, Selector, check, evaluate
from ..document.model import Document
from ..document.plan import ActionPlan, StepPlan, WorkflowPlan
from ..errors import ArazzoError, ConfigurationError, InputError
from ..expressions import (
    Unresolved,
    UnresolvedOperand,
    evaluate_expression,
    references,
)
from ..media import error_summary, is_json_media_type
from ..openapi.servers import server_url
from ..redact import Redactor, secret_input_values
from ..requests import RequestBuildError, build_request
from ..results import (
    RecordedRequest,
    RecordedResponse,
    RunResult,
    StepResult,
    redact_result,
    redact_step,
)
from .context import Exchange, RunMemory, StepContext, WorkflowState
from .events import (
    Observer,
    RetryWaiting,
    RunEvent,
    RunFinished,
    StepFinished,
    StepStarted,
    WorkflowFinished,
    WorkflowStarted,
)

__all__ = [
    "DEFAULT_MAX_STEPS",
    "Command",
    "Reply",
    "RunOptions",
    "Send",
    "Sleep",
    "TransportFailure",
    "execute",
]

#: The most step executions one run may make (goto loops and retries included).
DEFAULT_MAX_STEPS = 1000
#: The longest a retry may wait (seconds), whatever retryAfter or Retry-After ask for.
DEFAULT_MAX_WAIT = 600.0
#: The longest nesting of workflow steps.
MAX_DEPTH = 32


@dataclass(frozen=True)
class Send:
    """Send ``request`` with ``auth`` (may be None) within ``timeout`` seconds in all
    (``connect_timeout`` / ``read_timeout`` bound those phases when set)."""

    request: httpx.Request
    auth: httpx.Auth | None
    timeout: float
    step_id: str
    connect_timeout: float | None = None
    read_timeout: float | None = None


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before going on (a retry's delay)."""

    seconds: float
    step_id: str


@dataclass(frozen=True)
class TransportFailure:
    """The request got no HTTP response: refused, timed out, TLS failure..."""

    reason: str
    request: httpx.Request | None = None


Command = Send | Sleep
Reply = httpx.Response | TransportFailure | None


@dataclass(frozen=True)
class RunOptions:
    """Options of one run. See [`arazzo_engine.run_workflow`][arazzo_engine.run_workflow]."""

    servers: Mapping[str, str] = field(default_factory=dict)
    server_variables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    aws: AwsSettings | None = None
    timeout: float = 30.0
    max_steps: int = DEFAULT_MAX_STEPS
    max_wait: float = DEFAULT_MAX_WAIT
    #: credentials: a mapping or a provider callable (see
    #: [`arazzo_engine.auth.credentials`][arazzo_engine.auth.credentials])
    auth: Any = None
    #: where else credentials come from (a credentials file, the environment)
    credential_store: CredentialStore | None = None
    #: the run's client presents a TLS client certificate (satisfies ``mutualTLS``)
    client_cert: bool = False
    connect_timeout: float | None = None
    read_timeout: float | None = None
    #: total seconds per call for given stepIds (over ``timeout``)
    step_timeouts: Mapping[str, float] = field(default_factory=dict)
    #: mask secrets in results, events and logs (False only for debugging)
    redact: bool = True
    #: the redactor of the run (created from ``redact`` when None)
    redactor: Redactor | None = None
    contract: str = "off"  # off | warn | fail
    observer: Observer | None = None


class _RunAborted(Exception):
    """A guard ended the run (too many steps, too deep)."""


class _ActionFailed(Exception):
    """An action could not start its target workflow (its parameters or inputs are bad)."""


@dataclass
class _Outcome:
    success: bool
    error: str | None = None


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf", "nan" and negative numbers are not delays: ignore the header
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


class _Runner:
    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.memory = RunMemory()
        self.records: list[StepResult] = []
        self.redactor = options.redactor or Redactor(options.redact)
        self.auth = AuthResolver(
            options.auth,
            options.aws,
            store=options.credential_store or CredentialStore(options.auth),
            redactor=self.redactor,
            client_cert=options.client_cert,
        )
        self.warnings: list[str] = []
        self.error: str | None = None
        self.entry_sources: dict[str, str] = {}

    # -- auth and URLs --------------------------------------------------------------------

    def emit(self, event: RunEvent) -> None:
        if isinstance(event, StepFinished) and _log.isEnabledFor(logging.DEBUG):
            _log_step(event.record)
        if self.options.observer is not None:
            self.options.observer(event)

    def set_entry(self, plan: WorkflowPlan) -> None:
        """Remember the sources of the document the run starts from: a source name in the
        options (servers, server variables, credentials) means one of those."""
        self.entry_sources = {
            name: source.openapi.uri
            for name, source in plan.document.sources.items()
            if source.openapi is not None
        }
        self.auth.entry_sources = self.entry_sources

    def prepare(self, plan: WorkflowPlan) -> None:
        """Before any request: check the options name real sources, and resolve the auth and
        the base URL of every operation the run may call, so that missing credentials or a
        bad server variable stop the run before it sends anything."""
        reachable = _reachable(plan)
        self.set_entry(plan)
        known = set(plan.document.sources)
        for option, given in (
            ("servers", self.options.servers),
            ("server_variables", self.options.server_variables),
        ):
            unknown = sorted(set(given) - known)
            if unknown:
                raise ConfigurationError(
                    f"{option} names source(s) {', '.join(map(repr, unknown))}, which this "
                    f"workflow does not use (sources: {', '.join(sorted(known)) or 'none'})"
                )
        for source, url in self.options.servers.items():
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ConfigurationError(
                    f"servers[{source!r}] = {url!r}: a base URL must be http(s)://host[...]"
                )
        for name, value, zero_ok in (
            ("timeout", self.options.timeout, False),
            ("max_wait", self.options.max_wait, True),
            ("max_steps", self.options.max_steps, False),
        ):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not (value >= 0 if zero_ok else value > 0):
                floor = "0 or more" if zero_ok else "above 0"
                raise ConfigurationError(f"{name} must be a number {floor}, not {value!r}")
        if isinstance(self.options.auth, Mapping):
            _check_credential_names(self.options.auth, reachable)
        for workflow in reachable:
            for step in workflow.steps:
                if step.operation is not None:
                    self.base_url(workflow, step, self.operation_auth(workflow.document, step))

    def operation_auth(self, document: Document, step: StepPlan) -> SourceAuth:
        operation = step.operation
        assert operation is not None
        description = document.sources[operation.source_name].openapi
        assert description is not None
        sent = {p.key for p in step.parameters if p.location is not None}
        if self.auth.supplied_by_step(description, operation, sent):
            # The step sends the credential itself (a token a login step returned, say): it
            # satisfies the scheme, and no configured credential replaces it.
            return SourceAuth()
        return self.auth.for_operation(description, operation, sent)

    def base_url(self, plan: WorkflowPlan, step: StepPlan, auth: SourceAuth) -> str:
        operation = step.operation
        assert operation is not None
        description = plan.document.sources[operation.source_name].openapi
        assert description is not None
        # A source name in `servers` / `server_variables` means the entry document's source
        # (or one reading the same description file), never a namesake in another document.
        named = self.entry_sources.get(operation.source_name) == description.uri
        override = (named and self.options.servers.get(operation.source_name)) or auth.base_url
        if override:
            return override
        variables = dict(auth.server_variables)
        if named:
            variables.update(self.options.server_variables.get(operation.source_name, {}))
        return server_url(operation.servers, description.uri, variables, step.location)

    # -- workflows ------------------------------------------------------------------------

    def validate_inputs(self, plan: WorkflowPlan, given: Mapping[str, Any]) -> dict[str, Any]:
        inputs = with_defaults(plan, given)
        if not plan.inputs_schema:
            return inputs
        validator = _inputs_validator(plan)
        problems = []
        for error in sorted(validator.iter_errors(inputs), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{'inputs/' + path if path else 'inputs'}: {error.message}")
        if problems:
            raise InputError(
                f"the inputs of workflow {plan.workflow_id!r} are invalid", problems, plan.location
            )
        return inputs

    def workflow(
        self, plan: WorkflowPlan, inputs: dict[str, Any], depth: int
    ) -> Generator[Command, Reply, WorkflowState]:
        if depth > MAX_DEPTH:
            raise _RunAborted(f"workflows nest deeper than {MAX_DEPTH} levels")
        state = WorkflowState(plan, inputs)
        for document, workflow_id in plan.depends_on:
            key = (document.uri, workflow_id)
            if key not in self.memory.workflows:
                dependency = document.plan(workflow_id)
                try:
                    given = self.validate_inputs(dependency, {})
                except InputError as exc:
                    self.warnings.append(f"dependency {workflow_id!r}: {exc}")
                    self.memory.workflows[key] = WorkflowState(dependency, {}, success=False)
                else:
                    yield from self.workflow(dependency, given, depth + 1)
            if not self.memory.workflows[key].success:
                state.success = False
                self.memory.workflows[(plan.document.uri, plan.workflow_id)] = state
                self.error = (
                    f"workflow {plan.workflow_id!r} depends on {workflow_id!r}, which failed"
                )
                return state
        self.memory.workflows[(plan.document.uri, plan.workflow_id)] = state
        self.emit(WorkflowStarted(plan.workflow_id, depth))
        outcome = yield from self.steps(plan, state, depth)
        state.success = outcome.success
        self.emit(WorkflowFinished(plan.workflow_id, depth, outcome.success))
        if outcome.error and self.error is None:
            self.error = outcome.error
        state.outputs = {}
        ctx = StepContext(self.memory, state)
        for name, value in plan.outputs.items():
            try:
                state.outputs[name] = evaluate(value, ctx)
            except Unresolved as exc:
                if outcome.success:  # after a failure, outputs of steps that never ran are expected
                    self.warnings.append(
                        f"workflow {plan.workflow_id!r} output {name!r}: {exc.reason}"
                    )
        return state

    def steps(
        self, plan: WorkflowPlan, state: WorkflowState, depth: int
    ) -> Generator[Command, Reply, _Outcome]:
        index = 0
        attempts: dict[int, int] = {}
        retries: dict[tuple[int, int], int] = {}
        while index < len(plan.steps):
            step = plan.steps[index]
            self.memory.executed_steps += 1
            if self.memory.executed_steps > self.options.max_steps:
                raise _RunAborted(
                    f"the run executed more than {self.options.max_steps} steps "
                    f"(last: {step.step_id!r}); a goto loop? raise max_steps (--max-steps) if "
                    "intended"
                )
            attempts[index] = attempts.get(index, 0) + 1
            record, ctx = yield from self.step(plan, step, state, attempts[index], depth)
            self.records.append(record)
            if record.success:  # a fresh retry budget the next time this step fails
                for key in [k for k in retries if k[0] == index]:
                    del retries[key]
            own = step.on_success if record.success else step.on_failure
            shared = plan.success_actions if record.success else plan.failure_actions
            candidates = _effective_actions(own, shared)
            chosen: tuple[int, ActionPlan] | None = None
            for position, action in enumerate(candidates):
                if (
                    action.type == "retry"
                    and retries.get((index, position), 0) >= action.retry_limit
                ):
                    continue
                outcomes = [check(c, ctx) for c in action.criteria]
                if all(o.passed for o in outcomes):
                    chosen = (position, action)
                    break
            if chosen is None:
                if not record.success:
                    return _Outcome(False, f"step {step.step_id!r} failed: {record.error}")
                index += 1
                continue
            position, action = chosen
            record.action = _describe_action(action)
            if action.type == "end":
                if record.success:
                    return _Outcome(True)
                return _Outcome(False, f"step {step.step_id!r} failed: {record.error} (action end)")
            if action.type == "goto":
                if action.workflow is not None:
                    target = action.workflow[0].plan(action.workflow[1])
                    try:
                        inputs = self.action_inputs(target, action, ctx)
                    except _ActionFailed as exc:
                        return _Outcome(False, f"goto from {step.step_id!r}: {exc}")
                    sub = yield from self.workflow(target, inputs, depth + 1)
                    return _Outcome(
                        bool(sub.success),
                        None
                        if sub.success
                        else f"workflow {target.workflow_id!r} (goto from {step.step_id!r}) failed",
                    )
                assert action.step_id is not None
                index = plan.step_index[action.step_id]
                continue
            # retry
            retries[(index, position)] = retries.get((index, position), 0) + 1
            if action.step_id is not None or action.workflow is not None:
                ok = yield from self.run_side(plan, state, action, depth, ctx)
                if not ok:
                    return _Outcome(
                        False,
                        f"retrying {step.step_id!r} first ran {action.target!r}, which failed",
                    )
            response = ctx.exchange.response
            delay = _retry_after(response)
            if delay is None:
                delay = action.retry_after or 0.0
            if delay > self.options.max_wait:
                return _Outcome(
                    False,
                    f"step {step.step_id!r} failed: {record.error}; retrying it means waiting "
                    f"{delay:g} s, more than the longest wait allowed ({self.options.max_wait:g} s"
                    ", max_wait / --max-wait)",
                )
            if delay > 0:
                self.emit(
                    RetryWaiting(
                        plan.workflow_id,
                        step.step_id,
                        delay,
                        retries[(index, position)],
                        action.retry_limit,
                    )
                )
                yield Sleep(delay, step.step_id)
        return _Outcome(True)

    def run_side(
        self,
        plan: WorkflowPlan,
        state: WorkflowState,
        action: ActionPlan,
        depth: int,
        ctx: StepContext,
    ) -> Generator[Command, Reply, bool]:
        """Run the step or workflow a retry names before retrying."""
        if action.workflow is not None:
            target = action.workflow[0].plan(action.workflow[1])
            try:
                inputs = self.action_inputs(target, action, ctx)
            except _ActionFailed as exc:
                self.warnings.append(f"retry action {action.name!r}: {exc}")
                return False
            sub = yield from self.workflow(target, inputs, depth + 1)
            return bool(sub.success)
        assert action.step_id is not None
        step = plan.steps[plan.step_index[action.step_id]]
        self.memory.executed_steps += 1
        if self.memory.executed_steps > self.options.max_steps:
            raise _RunAborted(
                f"the run executed more than {self.options.max_steps} steps "
                f"(last: {step.step_id!r}); a retry loop? raise max_steps (--max-steps) if intended"
            )
        record, _ = yield from self.step(plan, step, state, 1, depth)
        self.records.append(record)
        return record.success

    def action_inputs(
        self, target: WorkflowPlan, action: ActionPlan, ctx: StepContext
    ) -> dict[str, Any]:
        """The inputs an action passes to its target workflow (Arazzo 1.1 ``parameters``),
        validated against the target's inputs schema."""
        inputs: dict[str, Any] = {}
        for parameter in action.parameters:
            try:
                inputs[parameter.name] = evaluate(parameter.value, ctx)
            except Unresolved as exc:
                raise _ActionFailed(f"parameter {parameter.name!r}: {exc.reason}") from None
        try:
            return self.validate_inputs(target, inputs)
        except InputError as exc:
            raise _ActionFailed(str(exc)) from None

    # -- one step -------------------------------------------------------------------------

    def step(
        self, plan: WorkflowPlan, step: StepPlan, state: WorkflowState, attempt: int, depth: int
    ) -> Generator[Command, Reply, tuple[StepResult, StepContext]]:
        record = StepResult(step.step_id, plan.workflow_id, False, step.target, attempt)
        self.emit(StepStarted(plan.workflow_id, step.step_id, step.target, attempt, depth))
        record.started_at = time.time()
        start = time.perf_counter()
        try:
            if step.workflow is not None:
                ctx = yield from self.workflow_step(step, state, record, depth)
            else:
                ctx = yield from self.operation_step(plan, step, state, record)
        finally:
            record.duration = time.perf_counter() - start
        response = ctx.exchange.response
        if self.options.contract != "off" and step.operation is not None and response is not None:
            # after the clock: a step's time is its own, not the checker's (built on first use)
            self.check_contract(plan, step, record, response)
        redact_step(record, self.redactor)
        self.emit(StepFinished(record, depth))
        return record, ctx

    def operation_step(
        self, plan: WorkflowPlan, step: StepPlan, state: WorkflowState, record: StepResult
    ) -> Generator[Command, Reply, StepContext]:
        exchange = Exchange()
        ctx = StepContext(self.memory, state, exchange)
        auth = self.operation_auth(plan.document, step)
        try:
            exchange.call = build_request(step, ctx, self.base_url(plan, step, auth))
        except (RequestBuildError, ArazzoError) as exc:
            record.error = f"cannot build the request: {exc}"
            return ctx
        finally:
            _trace(record, [p.value for p in step.parameters], ctx)
            if step.body is not None:
                _trace(record, [step.body.payload, *(v for _, v in step.body.replacements)], ctx)
        timeout = (
            step.timeout
            if step.timeout is not None
            else self.options.step_timeouts.get(step.step_id, self.options.timeout)
        )
        reply = yield Send(
            exchange.call.request,
            auth.auth,
            timeout,
            step.step_id,
            self.options.connect_timeout,
            self.options.read_timeout,
        )
        if isinstance(reply, TransportFailure) or reply is None:
            sent = (
                reply.request
                if isinstance(reply, TransportFailure) and reply.request
                else exchange.call.request
            )
            record.request = RecordedRequest.from_httpx(sent, self.redactor)
            record.error = reply.reason if reply is not None else "no response"
            return ctx
        exchange.response = reply
        state.last_exchange = exchange
        self.redactor.add_sent_headers(reply.request.headers.multi_items())
        record.request = RecordedRequest.from_httpx(reply.request, self.redactor)
        record.response = RecordedResponse.from_httpx(reply, self.redactor)
        record.status_code = reply.status_code
        content_type = reply.headers.get("content-type")
        if (
            reply.content
            and is_json_media_type(content_type)
            and isinstance(exchange.response_body(), str)
        ):
            self.warnings.append(
                f"step {step.step_id!r}: the response says {content_type} but its body is not "
                "valid JSON; expressions read it as text"
            )
        self.judge(step, ctx, record, lambda: reply.is_success, error_summary(reply))
        return ctx

    def check_contract(
        self, plan: WorkflowPlan, step: StepPlan, record: StepResult, response: httpx.Response
    ) -> None:
        operation = step.operation
        assert operation is not None
        description = plan.document.sources[operation.source_name].openapi
        assert description is not None
        record.contract = check_response(description, operation, response.request, response)
        if record.contract and self.options.contract == "fail" and record.success:
            record.success = False
            record.error = f"contract check failed: {record.contract[0]}"

    def workflow_step(
        self, step: StepPlan, state: WorkflowState, record: StepResult, depth: int
    ) -> Generator[Command, Reply, StepContext]:
        assert step.workflow is not None
        ctx = StepContext(self.memory, state)
        inputs: dict[str, Any] = {}
        for parameter in step.parameters:
            try:
                inputs[parameter.name] = evaluate(parameter.value, ctx)
            except Unresolved as exc:
                record.error = f"parameter {parameter.name!r}: {exc.reason}"
                return ctx
        target = step.workflow[0].plan(step.workflow[1])
        try:
            inputs = self.validate_inputs(target, inputs)
        except InputError as exc:
            record.error = str(exc)
            return ctx
        sub = yield from self.workflow(target, inputs, depth + 1)
        # $statusCode / $response / $request in a workflow step read the called workflow's
        # last HTTP exchange (the official pet-coupons example checks $statusCode there).
        state.last_exchange = sub.last_exchange
        ctx = StepContext(self.memory, state, sub.last_exchange, sub_outputs=sub.outputs or {})
        self.judge(
            step, ctx, record, lambda: bool(sub.success), f"workflow {target.workflow_id!r} failed"
        )
        return ctx

    def judge(
        self,
        step: StepPlan,
        ctx: StepContext,
        record: StepResult,
        default_success: Any,
        failure_detail: str,
    ) -> None:
        """Check the success criteria (or the default rule) and evaluate the outputs."""
        if step.success_criteria:
            outcomes: list[CriterionOutcome] = [check(c, ctx) for c in step.success_criteria]
            record.criteria = outcomes
            record.success = all(o.passed for o in outcomes)
            if not record.success:
                failed = next(o for o in outcomes if not o.passed)
                record.error = f"criterion {failed.condition!r} failed"
                if failed.reason:
                    record.error += f": {failed.reason}"
                record.error += (
                    f"; {failure_detail}"
                    if record.status_code is not None and record.status_code >= 300
                    else ""
                )
        else:
            record.success = bool(default_success())
            if not record.success:
                record.error = (
                    f"{failure_detail} (no successCriteria: a 2xx status is success)"
                    if record.status_code is not None
                    else failure_detail
                )
        _trace(record, list(step.outputs.values()), ctx)
        for name, value in step.outputs.items():
            try:
                record.outputs[name] = evaluate(value, ctx)
            except Unresolved as exc:
                self.warnings.append(f"step {step.step_id!r} output {name!r}: {exc.reason}")
        ctx.state.step_outputs[step.step_id] = record.outputs


_log = logging.getLogger("arazzo_engine.run")


def _log_step(record: StepResult) -> None:
    """Debug lines for library users: the (redacted) request and response of a step."""
    if record.request is not None:
        _log.debug("%s: > %s %s", record.step_id, record.request.method, record.request.url)
    verdict = "ok" if record.success else f"failed: {record.error}"
    _log.debug(
        "%s: < %s in %.1f ms, %s",
        record.step_id,
        record.status_code,
        record.duration * 1000,
        verdict,
    )


def _references(value: Any) -> list[Any]:
    """The runtime expressions of a compiled value, Selector Objects included."""
    if isinstance(value, Selector):
        return references(value.context)
    if isinstance(value, Composite):
        return [e for _, item in value.items for e in _references(item)]
    return references(value)


def _trace(record: StepResult, values: list[Any], ctx: StepContext) -> None:
    """Record what each runtime expression in ``values`` evaluates to (for verbose output)."""
    for expression in (e for value in values for e in _references(value)):
        try:
            found: Any = evaluate_expression(expression, ctx)
        except Unresolved as exc:
            found = UnresolvedOperand(exc.reason)
        record.trace.append((expression.text, found))


def with_defaults(plan: WorkflowPlan, given: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with the ``default`` of every top-level input property not given."""
    inputs = dict(given)
    for name, prop in ((plan.inputs_schema or {}).get("properties") or {}).items():
        if name not in inputs and isinstance(prop, Mapping) and "default" in prop:
            inputs[name] = prop["default"]
    return inputs


def _inputs_validator(plan: WorkflowPlan) -> Any:
    """The JSON Schema validator of a workflow's inputs, built once per document."""
    key = ("inputs-validator", plan.workflow_id)
    validator = plan.document.cache.get(key)
    if validator is None:
        schema = plan.inputs_schema or {}
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise InputError(
                f"the inputs schema of workflow {plan.workflow_id!r} is not a valid JSON Schema",
                [exc.message],
                plan.location,
            ) from None
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        plan.document.cache[key] = validator
    return validator


def _strings(value: Any) -> list[str]:
    """Every string inside a JSON-like value (the secret values of a secret input)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def _check_credential_names(auth: Mapping[str, Any], reachable: list[WorkflowPlan]) -> None:
    """Every key of an ``auth`` mapping names a source, a security scheme, or
    ``SOURCE:SCHEME`` of the documents this run uses: a typo would otherwise send nothing, or
    the wrong credential, without a word."""
    sources: set[str] = set()
    schemes: set[str] = set()
    for workflow in reachable:
        for name, source in workflow.document.sources.items():
            sources.add(name)
            data = source.openapi.data if source.openapi is not None else {}
            components = data.get("components") or {}
            for scheme in components.get("securitySchemes") or {}:
                schemes.add(str(scheme))
                schemes.add(f"{name}:{scheme}")
    unknown = sorted(k for k in auth if k not in sources and k not in schemes)
    if unknown:
        names = ", ".join(sorted(n for n in schemes if ":" in n)) or "none"
        raise ConfigurationError(
            f"credentials given for {', '.join(map(repr, unknown))}, which names no source or "
            f"security scheme of this workflow (SOURCE:SCHEME: {names})"
        )


def _reachable(plan: WorkflowPlan) -> list[WorkflowPlan]:
    """The plan and every workflow it can start: workflow steps, dependencies, goto/retry."""
    found: dict[tuple[str, str], WorkflowPlan] = {}
    pending = [plan]
    while pending:
        current = pending.pop()
        key = (current.document.uri, current.workflow_id)
        if key in found:
            continue
        found[key] = current
        targets = list(current.depends_on)
        for step in current.steps:
            if step.workflow is not None:
                targets.append(step.workflow)
            for action in (*(step.on_success or ()), *(step.on_failure or ())):
                if action.workflow is not None:
                    targets.append(action.workflow)
        for action in (*current.success_actions, *current.failure_actions):
            if action.workflow is not None:
                targets.append(action.workflow)
        pending.extend(document.plan(workflow_id) for document, workflow_id in targets)
    return list(found.values())


def _effective_actions(
    own: tuple[ActionPlan, ...] | None, shared: tuple[ActionPlan, ...]
) -> tuple[ActionPlan, ...]:
    """The step's actions, then the workflow's actions whose names the step does not override."""
    if not own:
        return shared
    names = {a.name for a in own}
    return own + tuple(a for a in shared if a.name not in names)


def _describe_action(action: ActionPlan) -> str:
    target = f" {action.target}" if action.target else ""
    return f"{action.name}: {action.type}{target}"


def execute(
    plan: WorkflowPlan,
    inputs: Mapping[str, Any] | None,
    options: RunOptions,
    memory: RunMemory | None = None,
) -> Generator[Command, Reply, RunResult]:
    """Run a workflow as a generator of commands. Raises InputError / AuthError before any
    request when the inputs are invalid or credentials are missing.

    ``memory`` shares what earlier workflows of the same run left (their inputs and outputs
    for ``$workflows``, and which dependencies already ran, so each runs once)."""
    runner = _Runner(options)
    if memory is not None:
        runner.memory = memory
    start = time.perf_counter()
    raw_inputs = dict(inputs or {})
    secret_inputs = secret_input_values(plan.inputs_schema, raw_inputs)
    for name in secret_inputs:
        for value in _strings(raw_inputs[name]):
            runner.redactor.add_value(value)
    try:
        given = runner.validate_inputs(plan, raw_inputs)
    except InputError as exc:
        if not runner.redactor.enabled:
            raise
        raise InputError(
            runner.redactor.text(exc.message),
            [runner.redactor.text(v) for v in exc.violations],
            exc.location,
        ) from None
    runner.prepare(plan)
    result = RunResult(plan.workflow_id, False, inputs=given)
    try:
        state = yield from runner.workflow(plan, given, 0)
        result.success = bool(state.success)
        result.outputs = state.outputs or {}
        result.error = None if result.success else runner.error
    except _RunAborted as exc:
        result.error = str(exc)
    result.steps = runner.records
    result.warnings = runner.warnings
    result.duration = time.perf_counter() - start
    redact_result(result, runner.redactor, secret_inputs)
    runner.emit(RunFinished(result))
    return result
