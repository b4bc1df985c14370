"""Success and failure actions as a table: choosing the action that applies, and one small
handler per type (``end``, ``goto``, ``retry``).

A handler is a generator like the core (it may start a workflow or wait) and returns a
`Decision`: go on at a step index, or end the workflow with an `Outcome`.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..criteria import check, evaluate
from ..document.plan import ActionPlan, StepPlan, WorkflowPlan
from ..errors import InputError
from ..expressions import Unresolved
from .commands import Command, HttpReply, Result, Wait, header_values
from .context import StepContext, WorkflowState
from .events import RetryWaiting

if TYPE_CHECKING:
    from ..results import StepResult
    from .core import _Runner

__all__ = ["HANDLERS", "ActionFailed", "Decision", "Outcome", "choose", "retry_after"]


@dataclass
class Outcome:
    """How a workflow's steps ended."""

    success: bool
    error: str | None = None


@dataclass
class Decision:
    """What the steps loop does after an action: go on at step ``index``, or end with
    ``outcome``."""

    index: int | None = None
    outcome: Outcome | None = None


class ActionFailed(Exception):
    """An action could not start its target workflow (its parameters or inputs are bad)."""


@dataclass
class Frame:
    """What a handler sees: the step that just ran and the chosen action."""

    runner: _Runner
    plan: WorkflowPlan
    state: WorkflowState
    index: int
    step: StepPlan
    record: StepResult
    ctx: StepContext
    action: ActionPlan
    position: int
    retries: dict[tuple[int, int], int] = field(default_factory=dict)
    depth: int = 0


Handler = Callable[[Frame], Generator[Command, Result, Decision]]


def effective_actions(
    own: tuple[ActionPlan, ...] | None, shared: tuple[ActionPlan, ...]
) -> tuple[ActionPlan, ...]:
    """The step's actions, then the workflow's actions whose names the step does not override."""
    if not own:
        return shared
    names = {a.name for a in own}
    return own + tuple(a for a in shared if a.name not in names)


def choose(
    plan: WorkflowPlan,
    step: StepPlan,
    index: int,
    record: StepResult,
    ctx: StepContext,
    retries: dict[tuple[int, int], int],
) -> tuple[int, ActionPlan] | None:
    """The first action (position in the effective list, action) whose criteria pass; a retry
    whose limit is used up is skipped."""
    own = step.on_success if record.success else step.on_failure
    shared = plan.success_actions if record.success else plan.failure_actions
    for position, action in enumerate(effective_actions(own, shared)):
        if action.type == "retry" and retries.get((index, position), 0) >= action.retry_limit:
            continue
        if all(check(c, ctx).passed for c in action.criteria):
            return position, action
    return None


def describe(action: ActionPlan) -> str:
    """``name: type target`` (as a step record shows the action that fired)."""
    target = f" {action.target}" if action.target else ""
    return f"{action.name}: {action.type}{target}"


def retry_after(reply: HttpReply | None) -> float | None:
    """The delay a ``Retry-After`` header asks for (seconds or an HTTP date, read against the
    time the reply arrived), or None."""
    if reply is None:
        return None
    values = header_values(reply.headers, "retry-after")
    value = values[0].strip() if values else ""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf", "nan" and negative numbers are not delays: ignore the header
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - (reply.at + reply.elapsed))
    except (TypeError, ValueError, OverflowError):
        return None


def action_inputs(
    runner: _Runner, target: WorkflowPlan, action: ActionPlan, ctx: StepContext
) -> Any:
    """The inputs an action passes to its target workflow (Arazzo 1.1 ``parameters``),
    validated against the target's inputs schema."""
    inputs: dict[str, Any] = {}
    for parameter in action.parameters:
        try:
            inputs[parameter.name] = evaluate(parameter.value, ctx)
        except Unresolved as exc:
            raise ActionFailed(f"parameter {parameter.name!r}: {exc.reason}") from None
    try:
        return runner.validate_inputs(target, inputs)
    except InputError as exc:
        raise ActionFailed(str(exc)) from None


def _end(frame: Frame) -> Generator[Command, Result, Decision]:
    record = frame.record
    if record.success:
        return Decision(outcome=Outcome(True))
    yield from ()
    return Decision(
        outcome=Outcome(False, f"step {frame.step.step_id!r} failed: {record.error} (action end)")
    )


def _goto(frame: Frame) -> Generator[Command, Result, Decision]:
    action, step = frame.action, frame.step
    if action.workflow is not None:
        target = action.workflow[0].plan(action.workflow[1])
        try:
            inputs = action_inputs(frame.runner, target, action, frame.ctx)
        except ActionFailed as exc:
            return Decision(outcome=Outcome(False, f"goto from {step.step_id!r}: {exc}"))
        sub = yield from frame.runner.workflow(target, inputs, frame.depth + 1)
        error = None
        if not sub.success:
            error = f"workflow {target.workflow_id!r} (goto from {step.step_id!r}) failed"
        return Decision(outcome=Outcome(bool(sub.success), error))
    assert action.step_id is not None
    return Decision(index=frame.plan.step_index[action.step_id])


def _retry(frame: Frame) -> Generator[Command, Result, Decision]:
    runner, action, step = frame.runner, frame.action, frame.step
    key = (frame.index, frame.position)
    frame.retries[key] = frame.retries.get(key, 0) + 1
    if action.step_id is not None or action.workflow is not None:
        ok = yield from _run_side(frame)
        if not ok:
            return Decision(
                outcome=Outcome(
                    False, f"retrying {step.step_id!r} first ran {action.target!r}, which failed"
                )
            )
    delay = retry_after(frame.ctx.exchange.response)
    if delay is None:
        delay = action.retry_after or 0.0
    max_wait = runner.options.max_wait
    if delay > max_wait:
        return Decision(
            outcome=Outcome(
                False,
                f"step {step.step_id!r} failed: {frame.record.error}; retrying it means waiting "
                f"{delay:g} s, more than the longest wait allowed ({max_wait:g} s"
                ", max_wait / --max-wait)",
            )
        )
    if delay > 0:
        runner.emit(
            RetryWaiting(
                frame.plan.workflow_id, step.step_id, delay, frame.retries[key], action.retry_limit
            )
        )
        yield Wait(step.step_id, delay)
    return Decision(index=frame.index)


def _run_side(frame: Frame) -> Generator[Command, Result, bool]:
    """Run the step or workflow a retry names before retrying."""
    runner, action = frame.runner, frame.action
    if action.workflow is not None:
        target = action.workflow[0].plan(action.workflow[1])
        try:
            inputs = action_inputs(runner, target, action, frame.ctx)
        except ActionFailed as exc:
            runner.warnings.append(f"retry action {action.name!r}: {exc}")
            return False
        sub = yield from runner.workflow(target, inputs, frame.depth + 1)
        return bool(sub.success)
    assert action.step_id is not None
    step = frame.plan.steps[frame.plan.step_index[action.step_id]]
    runner.count_step(step, "a retry loop?")
    record, _ = yield from runner.step(frame.plan, step, frame.state, 1, frame.depth)
    runner.records.append(record)
    return record.success


#: The handler of each action type.
HANDLERS: dict[str, Handler] = {"end": _end, "goto": _goto, "retry": _retry}
