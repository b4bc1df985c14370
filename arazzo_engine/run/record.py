"""Recording one step execution: its request and response (redacted), criteria, outputs,
the values of its runtime expressions, and its timing, as a
[`StepResult`][arazzo_engine.results.StepResult]."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..criteria import CriterionOutcome, check, computed_references, evaluate
from ..document.plan import StepPlan, WorkflowPlan
from ..expressions import Expression, Unresolved, UnresolvedOperand, evaluate_expression
from ..redact import Redactor, strings_of
from ..results import RecordedRequest, RecordedResponse, StepResult, redact_exchange, redact_step
from .commands import HttpReply, SentRequest
from .context import StepContext

__all__ = ["StepRecorder"]


class StepRecorder:
    """Builds the record of one execution of one step. ``started_at`` is the time the core
    was given when the step began (epoch seconds); ``warnings`` collects the run's warnings."""

    def __init__(
        self,
        plan: WorkflowPlan,
        step: StepPlan,
        attempt: int,
        redactor: Redactor,
        warnings: list[str],
        started_at: float,
        secret_outputs: frozenset[str] = frozenset(),
    ) -> None:
        self.step = step
        #: outputs that are secret from the moment they are produced (see
        #: `arazzo_engine.compile.secrets`)
        self.secret_outputs = secret_outputs
        #: the redactor's version when the exchange was recorded
        self._recorded_at = redactor.version
        self.redactor = redactor
        self.warnings = warnings
        self.result = StepResult(step.step_id, plan.workflow_id, False, step.target, attempt)
        self.result.started_at = started_at

    @property
    def error(self) -> str | None:
        """Why the step failed, so far."""
        return self.result.error

    def fail(self, reason: str) -> None:
        """The step failed for ``reason``."""
        self.result.error = reason

    def trace(self, values: list[Any], ctx: StepContext) -> None:
        """Record what each runtime expression in ``values`` evaluates to (verbose output)."""
        for expression in (e for value in values for e in computed_references(value)):
            try:
                found: Any = evaluate_expression(expression, ctx)
            except Unresolved as exc:
                found = UnresolvedOperand(exc.reason)
            self.result.trace.append((expression.text, found))

    def left_out(self, omitted: tuple[tuple[str, str], ...]) -> None:
        """Required parameters the call goes without (none given, no OpenAPI default or
        example): a run warning each, and a trace entry in the step's record."""
        for location, name in omitted:
            what = f"required {location} parameter {name!r}"
            self.warnings.append(
                f"step {self.step.step_id!r}: {what} of {self.step.target} is not given and has "
                "no OpenAPI default or example; the call goes without it"
            )
            self.result.trace.append(
                (
                    f"{location} parameter {name}",
                    UnresolvedOperand(
                        "required, not given, no OpenAPI default or example: left out of the call"
                    ),
                )
            )

    def unanswered(self, sent: SentRequest, reason: str) -> None:
        """The request got no HTTP response."""
        self.result.request = RecordedRequest.from_sent(sent, self.redactor)
        self._recorded_at = self.redactor.version
        self.result.error = reason

    def answered(self, reply: HttpReply, body: Any) -> None:
        """The request and its response (the credentials sent are learned as secrets).
        ``body`` is the response body as the run decoded it (`decode_body`)."""
        self.redactor.add_sent_headers(reply.sent.headers)
        self.result.request = RecordedRequest.from_sent(reply.sent, self.redactor)
        self.result.response = RecordedResponse.from_reply(reply, self.redactor, (body,))
        self.result.status_code = reply.status
        self._recorded_at = self.redactor.version

    def contract(self, findings: list[str], fail: bool) -> None:
        """Contract-check findings; with ``fail`` the first fails a successful step."""
        self.result.contract = findings
        if findings and fail and self.result.success:
            self.result.success = False
            self.result.error = f"contract check failed: {findings[0]}"

    def judge(
        self,
        ctx: StepContext,
        default_success: Callable[[], bool],
        failure_detail: Callable[[], str],
    ) -> None:
        """Check the success criteria (or the default rule) and evaluate the outputs.
        ``failure_detail`` says what went wrong (read only when the step failed)."""
        step, record = self.step, self.result
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
                    f"; {failure_detail()}"
                    if record.status_code is not None and record.status_code >= 300
                    else ""
                )
        else:
            record.success = bool(default_success())
            if not record.success:
                detail = failure_detail()
                record.error = (
                    f"{detail} (no successCriteria: a 2xx status is success)"
                    if record.status_code is not None
                    else detail
                )
        for name, value in step.outputs.items():
            if isinstance(value, Expression):  # one expression: its trace entry is the output
                try:
                    record.outputs[name] = found = evaluate_expression(value.expression, ctx)
                except Unresolved as exc:
                    self.result.trace.append((value.expression.text, UnresolvedOperand(exc.reason)))
                    self.warnings.append(f"step {step.step_id!r} output {name!r}: {exc.reason}")
                else:
                    self.result.trace.append((value.expression.text, found))
                continue
            self.trace([value], ctx)
            try:
                record.outputs[name] = evaluate(value, ctx)
            except Unresolved as exc:
                self.warnings.append(f"step {step.step_id!r} output {name!r}: {exc.reason}")
        for name in self.secret_outputs & record.outputs.keys():
            for text in strings_of(record.outputs[name]):
                self.redactor.add_value(text)
        ctx.state.step_outputs[step.step_id] = record.outputs

    def finish(self, ended_at: float) -> StepResult:
        """The record, timed and redacted."""
        self.result.duration = max(0.0, ended_at - self.result.started_at)
        redact_step(self.result, self.redactor)
        if self.redactor.version != self._recorded_at:  # e.g. a token this response carried
            redact_exchange(self.result, self.redactor)
        return self.result
