"""The Temporal workflow that drives a program of run-core commands, durably.

Each command becomes what Temporal makes durable:

| command        | on Temporal                                                           |
|----------------|-----------------------------------------------------------------------|
| `HttpExchange` | the activity ``arazzo.http_exchange`` on a worker (auth applied there) |
| `Wait`         | ``workflow.sleep``: a durable timer (survives any worker's crash)      |
| `Now`          | ``workflow.now()``: the workflow's deterministic clock                 |

The program (see [`programs`][arazzo_engine.temporal.programs]) is a deterministic generator;
when a worker dies, another replays the history: the generator is made again and sent the
recorded results, and carries on from where the run was.

**Activity retries.** The activity is scheduled with ``maximum_attempts=1``: Temporal never
sends a request again on its own. A failed call (no response, a timeout, a worker lost during
the call) answers `Failure` to the core, and the step's Arazzo ``onFailure`` (``retry``,
``goto``, ``end``) decides what happens, exactly as in process. A worker lost *during* a call
is reported when the activity's start-to-close timeout (the call's own timeout plus
``ACTIVITY_MARGIN``) ends: the request may or may not have reached the server, and it is not
sent again unless the workflow's own ``retry`` says so.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from ..run.commands import Command, Failure, HttpExchange, Now, Result, Time, Wait
    from . import programs
    from .programs import ActivityCall
    from .wire import exchange_to_wire, result_from_wire

__all__ = ["ACTIVITY_MARGIN", "CommandsWorkflow", "drive"]

#: Seconds an activity may take beyond its call's own timeout (scheduling, auth, a token fetch).
ACTIVITY_MARGIN = 30.0

#: Temporal retries nothing: Arazzo's onFailure decides, and no request is silently sent twice.
NO_RETRY = RetryPolicy(maximum_attempts=1)


def _now() -> float:
    return workflow.now().timestamp()


async def _exchange(command: HttpExchange, context: Mapping[str, Any]) -> Result:
    try:
        data = await workflow.execute_activity(
            "arazzo.http_exchange",
            {"command": exchange_to_wire(command), "context": dict(context)},
            start_to_close_timeout=timedelta(seconds=command.timeout + ACTIVITY_MARGIN),
            retry_policy=NO_RETRY,
            result_type=dict,
        )
    except ActivityError as exc:
        cause = exc.cause or exc
        return Failure(
            f"the call of step {command.step_id!r} did not complete on a worker ({cause}); "
            "it was not sent again (the request may or may not have reached the server)",
            _now(),
        )
    return result_from_wire(data)


async def _call(call: ActivityCall) -> Any:
    try:
        return await workflow.execute_activity(
            call.name,
            dict(call.payload),
            start_to_close_timeout=timedelta(seconds=call.timeout),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
    except ActivityError as exc:
        return Failure(f"activity {call.name} failed: {exc.cause or exc}", _now())


async def drive(
    run: Generator[Command | ActivityCall, Result | Any, Any], context: Mapping[str, Any]
) -> Any:
    """Drive ``run`` to its end inside a Temporal workflow and return what it returns.

    ``context`` goes with every exchange to the worker (the program and its arguments, so that
    the worker's auth lookup knows which document and workflow a call belongs to)."""
    try:
        command = next(run)
        while True:
            result: Result | Any
            if isinstance(command, ActivityCall):  # no request: safe to retry
                result = await _call(command)
            elif isinstance(command, HttpExchange):
                result = await _exchange(command, context)
            elif isinstance(command, Wait):
                if command.seconds > 0:
                    await workflow.sleep(command.seconds)
                result = Time(_now())
            elif isinstance(command, Now):
                result = Time(_now())
            else:
                result = Failure(
                    f"{type(command).__name__} commands are not supported on Temporal yet", _now()
                )
            command = run.send(result)
    except StopIteration as stop:
        return stop.value


# an exception in workflow code (a bug) fails the run with its reason, rather than retrying
# the workflow task until a fixed worker is deployed: the client gets an answer
@workflow.defn(name="ArazzoCommands", failure_exception_types=[Exception])
class CommandsWorkflow:
    """Runs one program: input ``{"program": NAME, "args": {...}}`` (no secrets: the input is
    in the history), output whatever the program returns (JSON)."""

    @workflow.run
    async def run(self, request: dict[str, Any]) -> Any:
        """Make the program's generator and drive it."""
        name = str(request["program"])
        args = request.get("args") or {}
        program = programs.get(name)
        return await drive(program.start(args), {"program": name, "args": args})
