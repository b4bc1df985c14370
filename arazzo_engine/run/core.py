"""The run loop, free of I/O and of any HTTP, schema or AWS library.

`execute` is a generator. It yields the plain commands of
[`arazzo_engine.run.commands`][arazzo_engine.run.commands] (`HttpExchange`, `Wait`, `Now`) and
is sent back plain results (`HttpReply` or `Failure`, `Time`). When the workflow ends it returns a
[`RunResult`][arazzo_engine.results.RunResult]. It reads no clock: every time comes in with a
result, so driving it twice with the same results gives the same result, byte for byte.

What it needs from outside is given to it: the run's
[`RunBinding`][arazzo_engine.run.binding.RunBinding] (base URL and auth key of every operation
step, made by [`arazzo_engine.run.setup.bind`][arazzo_engine.run.setup.bind] before the run), and
`Services` (inputs validation, contract checks) in its options. The sync, async and replay
drivers ([`arazzo_engine.run.drivers`][arazzo_engine.run.drivers]), and tests, all drive this same
generator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..compile.secrets import called_outputs, secret_outputs
from ..criteria import evaluate
from ..document.plan import StepPlan, WorkflowPlan
from ..errors import ArazzoError, InputError
from ..expressions import Unresolved
from ..media import error_summary, is_json_media_type
from ..redact import Redactor, secret_input_values, strings_of
from ..requests import RequestBuildError, build_request
from ..results import RunResult, StepResult, redact_result
from .actions import HANDLERS, Frame, Outcome, choose
from .actions import describe as describe_action
from .binding import RunBinding
from .commands import (
    Command,
    Failure,
    HttpExchange,
    HttpReply,
    Now,
    Result,
    SentRequest,
    Time,
)
from .context import Exchange, RunMemory, StepContext, WorkflowState
from .events import (
    Observer,
    RunEvent,
    RunFinished,
    StepFinished,
    StepStarted,
    WorkflowFinished,
    WorkflowStarted,
)
from .message_step import Subscriptions, close_subscriptions, message_step, open_subscriptions
from .record import StepRecorder

if TYPE_CHECKING:
    from ..auth.credentials import CredentialStore
    from ..aws.settings import AwsSettings

__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_STEPS",
    "DEFAULT_MAX_WAIT",
    "RunOptions",
    "Services",
    "execute",
    "with_defaults",
]

#: The most step executions one run may make (goto loops and retries included).
DEFAULT_MAX_STEPS = 1000
#: The longest a retry may wait (seconds), whatever retryAfter or Retry-After ask for.
DEFAULT_MAX_WAIT = 600.0
#: The most bytes of one response body a run reads (after decompression): 100 MiB.
DEFAULT_MAX_BODY = 100 * 1024 * 1024
#: The longest nesting of workflow steps.
MAX_DEPTH = 32


@dataclass(frozen=True)
class Services:
    """What the front end lends the core, so that the core imports no schema library.

    ``validate_inputs(plan, inputs)`` returns the problems of ``inputs`` against the
    workflow's inputs schema (``inputs/<path>: message``; empty when valid; ``None``: inputs
    are not validated); ``check_contract(plan, step, sent, reply)`` returns the findings of a
    contract check (``None``: no checks). See
    [`arazzo_engine.run.services`][arazzo_engine.run.services] for the usual ones."""

    validate_inputs: Callable[[WorkflowPlan, Mapping[str, Any]], list[str]] | None = None
    check_contract: Callable[[WorkflowPlan, StepPlan, SentRequest, HttpReply], list[str]] | None = (
        None
    )


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
    #: the most bytes of one response body (decompressed); over it the step fails
    max_body: int = DEFAULT_MAX_BODY
    #: ``max_body`` for given stepIds
    step_max_body: Mapping[str, int] = field(default_factory=dict)
    #: inputs validation and contract checks (none when None)
    services: Services | None = None
    #: inputs of their own for workflows run as dependencies (by workflowId)
    dependency_inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class _RunAborted(Exception):
    """A guard ended the run (too many steps, too deep)."""


class _Runner:
    def __init__(self, options: RunOptions, binding: RunBinding, run_inputs: Mapping[str, Any]):
        self.options = options
        self.binding = binding
        self.services = options.services or Services()
        self.memory = RunMemory()
        self.records: list[StepResult] = []
        self.redactor = options.redactor or Redactor(options.redact)
        self.warnings: list[str] = []
        self.error: str | None = None
        #: the open subscriptions of each running workflow (by id of its WorkflowState)
        self.subscriptions: dict[int, Subscriptions] = {}
        #: the inputs the run was given, offered to dependencies that declare them
        self.run_inputs = dict(run_inputs)
        #: the secret step outputs of each workflow run, read from its plan once
        self.secrets: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
        #: outputs of called workflows that a caller's secret outputs read
        self.secret_seeds: dict[tuple[str, str], frozenset[str]] = {}

    def emit(self, event: RunEvent) -> None:
        if isinstance(event, StepFinished) and _log.isEnabledFor(logging.DEBUG):
            _log_step(event.record)
        if self.options.observer is not None:
            self.options.observer(event)

    def count_step(self, step: StepPlan, hint: str) -> None:
        self.memory.executed_steps += 1
        if self.memory.executed_steps > self.options.max_steps:
            raise _RunAborted(
                f"the run executed more than {self.options.max_steps} steps "
                f"(last: {step.step_id!r}); {hint} raise max_steps (--max-steps) if intended"
            )

    # -- workflows ------------------------------------------------------------------------

    def validate_inputs(self, plan: WorkflowPlan, given: Mapping[str, Any]) -> dict[str, Any]:
        inputs = with_defaults(plan, given)
        check = self.services.validate_inputs
        if not plan.inputs_schema or check is None:
            return inputs
        problems = check(plan, inputs)
        if problems:
            raise InputError(
                f"the inputs of workflow {plan.workflow_id!r} are invalid", problems, plan.location
            )
        return inputs

    def dependency_inputs(self, dependency: WorkflowPlan) -> dict[str, Any]:
        """What a dependency run on behalf of another receives: its own inputs when the caller
        gave some (``run_workflows``), else the run's inputs its inputs schema declares."""
        own = self.options.dependency_inputs.get(dependency.workflow_id)
        if own is not None:
            return dict(own)
        declared = ((dependency.inputs_schema or {}).get("properties")) or {}
        if not isinstance(declared, Mapping):
            return {}
        return {k: v for k, v in self.run_inputs.items() if k in declared}

    def workflow(
        self, plan: WorkflowPlan, inputs: dict[str, Any], depth: int
    ) -> Generator[Command, Result, WorkflowState]:
        if depth > MAX_DEPTH:
            raise _RunAborted(f"workflows nest deeper than {MAX_DEPTH} levels")
        state = WorkflowState(plan, inputs)
        for document, workflow_id in plan.depends_on:
            key = (document.uri, workflow_id)
            if key not in self.memory.workflows:
                dependency = document.plan(workflow_id)
                try:
                    given = self.validate_inputs(dependency, self.dependency_inputs(dependency))
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
        listening = None
        if any(step.message is not None for step in plan.steps):
            # Listen on every receive step's channel before the first step can cause a reply.
            listening = yield from open_subscriptions(
                plan,
                StepContext(self.memory, state),
                self.options.servers,
                self.options.server_variables,
            )
            self.subscriptions[id(state)] = listening
        # (A guard that aborts the run skips this: the driver closes what is left open.)
        outcome = yield from self.steps(plan, state, depth)
        if listening is not None:
            yield from close_subscriptions(listening)
            del self.subscriptions[id(state)]
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
    ) -> Generator[Command, Result, Outcome]:
        index = 0
        attempts: dict[int, int] = {}
        retries: dict[tuple[int, int], int] = {}
        while index < len(plan.steps):
            step = plan.steps[index]
            self.count_step(step, "a goto loop?")
            attempts[index] = attempts.get(index, 0) + 1
            record, ctx = yield from self.step(plan, step, state, attempts[index], depth)
            self.records.append(record)
            if record.success:  # a fresh retry budget the next time this step fails
                for key in [k for k in retries if k[0] == index]:
                    del retries[key]
            chosen = choose(plan, step, index, record, ctx, retries)
            if chosen is None:
                if not record.success:
                    return Outcome(False, f"step {step.step_id!r} failed: {record.error}")
                index += 1
                continue
            position, action = chosen
            record.action = describe_action(action)
            frame = Frame(
                self, plan, state, index, step, record, ctx, action, position, retries, depth
            )
            decision = yield from HANDLERS[action.type](frame)
            if decision.outcome is not None:
                return decision.outcome
            assert decision.index is not None
            index = decision.index
        return Outcome(True)

    # -- one step -------------------------------------------------------------------------

    def step(
        self, plan: WorkflowPlan, step: StepPlan, state: WorkflowState, attempt: int, depth: int
    ) -> Generator[Command, Result, tuple[StepResult, StepContext]]:
        if self.options.observer is not None:
            self.emit(StepStarted(plan.workflow_id, step.step_id, step.target, attempt, depth))
        started = yield from _now(step.step_id)
        key = (plan.document.uri, plan.workflow_id)
        if key not in self.secrets:
            self.secrets[key] = secret_outputs(plan, self.secret_seeds.get(key, ()))
        secret = self.secrets[key].get(step.step_id, frozenset())
        recorder = StepRecorder(plan, step, attempt, self.redactor, self.warnings, started, secret)
        if step.workflow is not None:
            ctx = yield from self.workflow_step(step, state, recorder, depth)
        elif step.message is not None:
            ctx = StepContext(self.memory, state)
            timeout = (
                step.timeout
                if step.timeout is not None
                else self.options.step_timeouts.get(step.step_id, self.options.timeout)
            )
            yield from message_step(
                plan,
                step,
                ctx,
                recorder,
                self.subscriptions.get(id(state)) or Subscriptions(),
                self.options.servers,
                self.options.server_variables,
                timeout,
            )
        else:
            ctx = yield from self.operation_step(plan, step, state, recorder)
        ended = yield from _now(step.step_id)
        response = ctx.exchange.response
        sent = ctx.exchange.sent
        check = self.services.check_contract
        if (
            self.options.contract != "off"
            and step.operation is not None
            and response is not None
            and sent is not None
            and check is not None
        ):
            # after the clock: a step's time is its own, not the checker's (built on first use)
            recorder.contract(check(plan, step, sent, response), self.options.contract == "fail")
        record = recorder.finish(ended)
        self.emit(StepFinished(record, depth))
        return record, ctx

    def operation_step(
        self, plan: WorkflowPlan, step: StepPlan, state: WorkflowState, recorder: StepRecorder
    ) -> Generator[Command, Result, StepContext]:
        exchange = Exchange()
        ctx = StepContext(self.memory, state, exchange)
        binding = self.binding.of(plan, step)
        try:
            exchange.call = build_request(step, ctx, binding.base_url)
        except (RequestBuildError, ArazzoError) as exc:
            recorder.fail(f"cannot build the request: {exc}")
            return ctx
        finally:
            recorder.trace([p.value for p in step.parameters], ctx)
            if step.body is not None:
                recorder.trace([step.body.payload, *(v for _, v in step.body.replacements)], ctx)
        call = exchange.call
        recorder.left_out(call.omitted)
        timeout = (
            step.timeout
            if step.timeout is not None
            else self.options.step_timeouts.get(step.step_id, self.options.timeout)
        )
        reply = yield HttpExchange(
            step.step_id,
            call.method,
            call.url,
            call.headers,
            call.content,
            binding.auth,
            timeout,
            self.options.connect_timeout,
            self.options.read_timeout,
            self.options.step_max_body.get(step.step_id, self.options.max_body),
        )
        if not isinstance(reply, HttpReply):
            if isinstance(reply, Failure):
                reason, sent = reply.reason, reply.sent
            else:
                reason, sent = f"no response (the driver answered {type(reply).__name__})", None
            fallback = SentRequest(call.method, call.url, call.headers, call.content)
            recorder.unanswered(sent or fallback, reason)
            return ctx
        exchange.sent = reply.sent
        exchange.response = reply
        state.last_exchange = exchange
        body = exchange.response_body()  # parsed once: for the record and the expressions
        recorder.answered(reply, body)
        content_type = next((v for k, v in reply.headers if k.lower() == "content-type"), None)
        if reply.body and is_json_media_type(content_type) and isinstance(body, str):
            self.warnings.append(
                f"step {step.step_id!r}: the response says {content_type} but its body is not "
                "valid JSON; expressions read it as text"
            )
        recorder.judge(
            ctx,
            lambda: 200 <= reply.status < 300,
            lambda: error_summary(reply.status, reply.body, content_type),
        )
        return ctx

    def workflow_step(
        self, step: StepPlan, state: WorkflowState, recorder: StepRecorder, depth: int
    ) -> Generator[Command, Result, StepContext]:
        assert step.workflow is not None
        ctx = StepContext(self.memory, state)
        inputs: dict[str, Any] = {}
        for parameter in step.parameters:
            try:
                inputs[parameter.name] = evaluate(parameter.value, ctx)
            except Unresolved as exc:
                recorder.fail(f"parameter {parameter.name!r}: {exc.reason}")
                return ctx
        target = step.workflow[0].plan(step.workflow[1])
        seeds = called_outputs(step, recorder.secret_outputs)
        key = (target.document.uri, target.workflow_id)
        if not seeds <= self.secret_seeds.get(key, frozenset()):
            self.secret_seeds[key] = self.secret_seeds.get(key, frozenset()) | seeds
            self.secrets.pop(key, None)
        try:
            inputs = self.validate_inputs(target, inputs)
        except InputError as exc:
            recorder.fail(str(exc))
            return ctx
        sub = yield from self.workflow(target, inputs, depth + 1)
        # $statusCode / $response / $request in a workflow step read the called workflow's
        # last HTTP exchange (the official pet-coupons example checks $statusCode there).
        state.last_exchange = sub.last_exchange
        ctx = StepContext(self.memory, state, sub.last_exchange, sub_outputs=sub.outputs or {})
        recorder.judge(
            ctx, lambda: bool(sub.success), lambda: f"workflow {target.workflow_id!r} failed"
        )
        return ctx


def _now(step_id: str = "") -> Generator[Command, Result, float]:
    """The time, asked of the driver (the core has no clock)."""
    answer = yield Now(step_id)
    if not isinstance(answer, Time):
        raise ArazzoError(f"the driver answered Now with {type(answer).__name__}, not Time")
    return answer.at


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


def with_defaults(plan: WorkflowPlan, given: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with the ``default`` of every top-level input property not given."""
    inputs = dict(given)
    for name, prop in ((plan.inputs_schema or {}).get("properties") or {}).items():
        if name not in inputs and isinstance(prop, Mapping) and "default" in prop:
            inputs[name] = prop["default"]
    return inputs


def learn_secret_inputs(
    plan: WorkflowPlan, inputs: Mapping[str, Any], redactor: Redactor
) -> list[str]:
    """Give the values of the inputs the schema marks secret (``format: password``,
    ``writeOnly``) to ``redactor``; their names."""
    secret = secret_input_values(plan.inputs_schema, inputs)
    for name in secret:
        for value in strings_of(inputs[name]):
            redactor.add_value(value)
    return secret


def check_inputs(
    plan: WorkflowPlan, inputs: Mapping[str, Any] | None, options: RunOptions
) -> dict[str, Any]:
    """The run's inputs with their defaults, validated by the options' services; raises
    InputError (secret values masked) when they break the inputs schema."""
    redactor = options.redactor or Redactor(options.redact)
    raw = dict(inputs or {})
    learn_secret_inputs(plan, raw, redactor)
    runner = _Runner(options, RunBinding(), raw)
    try:
        return runner.validate_inputs(plan, raw)
    except InputError as exc:
        if not redactor.enabled:
            raise
        raise InputError(
            redactor.text(exc.message),
            [redactor.text(v) for v in exc.violations],
            exc.location,
        ) from None


def execute(
    plan: WorkflowPlan,
    inputs: Mapping[str, Any] | None,
    options: RunOptions,
    memory: RunMemory | None = None,
    binding: RunBinding | None = None,
    *,
    checked: bool = False,
) -> Generator[Command, Result, RunResult]:
    """Run a workflow as a generator of commands (`HttpExchange`, `Wait`, `Now`), sent back
    results (`HttpReply` / `Failure`, `Time`). Raises InputError before the first command when
    the inputs are invalid; ``checked`` says they are what `check_inputs` returned (validated,
    defaults filled in), and are not validated again.

    ``binding`` is the run's binding (see
    [`arazzo_engine.run.setup.bind`][arazzo_engine.run.setup.bind]); an operation step not in
    it fails the run with ConfigurationError. ``memory`` shares what earlier
    workflows of the same run left (their inputs and outputs for ``$workflows``, and which
    dependencies already ran, so each runs once)."""
    raw_inputs = dict(inputs or {})
    runner = _Runner(options, binding or RunBinding(), raw_inputs)
    if memory is not None:
        runner.memory = memory
    secret_inputs = learn_secret_inputs(plan, raw_inputs, runner.redactor)
    try:
        given = raw_inputs if checked else runner.validate_inputs(plan, raw_inputs)
    except InputError as exc:
        if not runner.redactor.enabled:
            raise
        raise InputError(
            runner.redactor.text(exc.message),
            [runner.redactor.text(v) for v in exc.violations],
            exc.location,
        ) from None
    start = yield from _now()
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
    end = yield from _now()
    result.duration = max(0.0, end - start)
    redact_result(result, runner.redactor, secret_inputs)
    runner.emit(RunFinished(result))
    return result
