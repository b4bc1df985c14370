"""The run core's message steps: subscriptions at the start of a workflow, send and receive.

The core calls `open_subscriptions` when a workflow starts (before its first step, so before
its first send), `message_step` for a step bound to an AsyncAPI operation or channel, and
`close_subscriptions` when the workflow ends. Everything here yields plain commands; the
step's criteria, outputs and actions are the core's, as for an HTTP step.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..criteria import evaluate
from ..errors import ArazzoError
from ..expressions import Unresolved
from ..expressions.evaluate import render_text
from .commands import Command, Result

if TYPE_CHECKING:  # the AsyncAPI and broker modules load with the first message step
    from ..asyncapi.binding import MessageStep, MessageTarget

__all__ = ["Subscriptions", "close_subscriptions", "message_step", "open_subscriptions"]


@dataclass
class Subscriptions:
    """The open subscriptions of one workflow execution: receive stepId -> (name, target), and
    why a subscription could not be opened (the step fails with that reason when it runs)."""

    open: dict[str, tuple[str, MessageTarget]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def _channel_values(step: Any, ctx: Any) -> dict[str, str]:
    values: dict[str, str] = {}
    for parameter in step.parameters:
        if parameter.location == "path":
            values[parameter.name] = render_text(evaluate(parameter.value, ctx))
    return values


def _target(
    step: Any, message: MessageStep, ctx: Any, servers: Mapping[str, str], variables: Any
) -> MessageTarget:
    return message.target(
        server_url=servers.get(message.source),
        server_variables=variables.get(message.source),
        channel_values=_channel_values(step, ctx),
    )


def open_subscriptions(
    plan: Any,
    ctx: Any,
    servers: Mapping[str, str],
    server_variables: Mapping[str, Mapping[str, str]],
) -> Generator[Command, Result, Subscriptions]:
    """Subscribe for every receive step of ``plan`` whose channel is known now (its address
    parameters resolve from the inputs); the others subscribe when they start."""
    found = Subscriptions()
    for step in plan.steps:
        message: MessageStep | None = getattr(step, "message", None)
        if message is None or message.action != "receive":
            continue
        from .messaging import subscribe, subscription_name

        try:
            target = _target(step, message, ctx, servers, server_variables)
        except Unresolved:
            continue  # needs a value from a step: subscribes when it runs
        except ArazzoError as exc:
            found.failed[step.step_id] = exc.message
            continue
        name = subscription_name(plan.workflow_id, step.step_id)
        problem = yield from subscribe(name, target)
        if problem is None:
            found.open[step.step_id] = (name, target)
        else:
            found.failed[step.step_id] = f"cannot listen on {target.address!r}: {problem}"
    return found


def close_subscriptions(found: Subscriptions) -> Generator[Command, Result, None]:
    """Unsubscribe everything ``open_subscriptions`` opened."""
    if not found.open:
        return
    from .messaging import unsubscribe

    for name, _target in found.open.values():
        yield from unsubscribe(name)
    found.open.clear()


def message_step(
    plan: Any,
    step: Any,
    ctx: Any,
    recorder: Any,
    found: Subscriptions,
    servers: Mapping[str, str],
    server_variables: Mapping[str, Mapping[str, str]],
    timeout: float,
) -> Generator[Command, Result, None]:
    """Run one message step: ``ctx.message`` is set to the message sent or received, the
    record gets a ``message`` entry, and the recorder judges the criteria and outputs."""
    from .messaging import (
        receive,
        record_receive,
        record_send,
        send,
        subscribe,
        subscription_name,
    )

    message: MessageStep = step.message
    try:
        target = _target(step, message, ctx, servers, server_variables)
        headers = tuple(
            (p.name, render_text(evaluate(p.value, ctx)))
            for p in step.parameters
            if p.location == "header"
        )
    except Unresolved as exc:
        recorder.fail(f"cannot build the message: {exc.reason}")
        return
    except ArazzoError as exc:
        recorder.fail(exc.message)
        return
    finally:
        recorder.trace([p.value for p in step.parameters], ctx)
    if message.action == "send":
        body = step.body
        try:
            payload = evaluate(body.payload, ctx) if body is not None else None
        except Unresolved as exc:
            recorder.fail(f"cannot build the message payload: {exc.reason}")
            return
        content_type = body.content_type if body is not None else None
        sent = yield from send(step.step_id, target, headers, payload, content_type, timeout)
        recorder.result.message = record_send(target, sent)
        ctx.message = sent.message
        if sent.failure is not None:
            recorder.fail(f"the broker did not take the message: {sent.failure}")
            return
        recorder.judge(ctx, lambda: True, str)
        return
    if step.step_id in found.failed:
        recorder.fail(found.failed[step.step_id])
        return
    opened = found.open.get(step.step_id)
    if opened is None:  # its channel needed a step's output: listen from now on
        name = subscription_name(plan.workflow_id, step.step_id)
        problem = yield from subscribe(name, target)
        if problem is not None:
            recorder.fail(f"cannot listen on {target.address!r}: {problem}")
            return
        found.open[step.step_id] = opened = (name, target)
    expected = None
    if message.correlation is not None:
        try:
            expected = evaluate(message.correlation, ctx)
        except Unresolved as exc:
            recorder.fail(f"correlationId: {exc.reason}")
            return
    got = yield from receive(step.step_id, opened[0], opened[1], expected, timeout)
    recorder.result.message = record_receive(opened[1], got)
    if got.message is None:
        recorder.fail(got.failure or "no message")
        return
    ctx.message = got.message
    recorder.judge(ctx, lambda: True, str)
