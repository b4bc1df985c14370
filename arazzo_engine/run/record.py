"""Recording one step execution: its request and response (redacted), criteria, outputs,
the values of its runtime expressions, and its timing, as a
[`StepResult`][arazzo_engine.results.StepResult]."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..criteria import Composite, CriterionOutcome, Selector, check, evaluate
from ..document.plan import StepPlan, WorkflowPlan
from ..expressions import Unresolved, UnresolvedOperand, evaluate_expression, references
from ..redact import Redactor
from ..results import RecordedRequest, RecordedResponse, StepResult, redact_step
from .commands import HttpReply, SentRequest
from .context import StepContext

__all__ = ["StepRecorder"]


def _references(value: Any) -> list[Any]:
    """The runtime expressions of a compiled value, Selector Objects included."""
    if isinstance(value, Selector):
        return references(value.context)
    if isinstance(value, Composite):
        return [e for _, item in value.items for e in _references(item)]
    return references(value)


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
    ) -> None:
        self.step = step
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
        for expression in (e for value in values for e in _references(value)):
            try:
                found: Any = evaluate_expression(expression, ctx)
            except Unresolved as exc:
                found = UnresolvedOperand(exc.reason)
            self.result.trace.append((expression.text, found))

    def unanswered(self, sent: SentRequest, reason: str) -> None:
        """The request got no HTTP response."""
        self.result.request = RecordedRequest.from_sent(sent, self.redactor)
        self.result.error = reason

    def answered(self, reply: HttpReply) -> None:
        """The request and its response (the credentials sent are learned as secrets)."""
        self.redactor.add_sent_headers(reply.sent.headers)
        self.result.request = RecordedRequest.from_sent(reply.sent, self.redactor)
        self.result.response = RecordedResponse.from_reply(reply, self.redactor)
        self.result.status_code = reply.status

    def contract(self, findings: list[str], fail: bool) -> None:
        """Contract-check findings; with ``fail`` the first fails a successful step."""
        self.result.contract = findings
        if findings and fail and self.result.success:
            self.result.success = False
            self.result.error = f"contract check failed: {findings[0]}"

    def judge(
        self, ctx: StepContext, default_success: Callable[[], bool], failure_detail: str
    ) -> None:
        """Check the success criteria (or the default rule) and evaluate the outputs."""
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
        self.trace(list(step.outputs.values()), ctx)
        for name, value in step.outputs.items():
            try:
                record.outputs[name] = evaluate(value, ctx)
            except Unresolved as exc:
                self.warnings.append(f"step {step.step_id!r} output {name!r}: {exc.reason}")
        ctx.state.step_outputs[step.step_id] = record.outputs

    def finish(self, ended_at: float) -> StepResult:
        """The record, timed and redacted."""
        self.result.duration = max(0.0, ended_at - self.result.started_at)
        redact_step(self.result, self.redactor)
        return self.result
