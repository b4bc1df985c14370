"""The rules of a message step that need its AsyncAPI description (the compiler reports them).

The JSON Schema of Arazzo 1.1 already says that ``channelPath`` needs ``action``, that
``correlationId`` needs ``action: receive`` and that ``operationId`` and ``channelPath`` exclude
each other. What it cannot see, checked here against the loaded descriptions:

- the operation or channel exists (``unknown-operation-id``, ``unknown-channel``);
- its broker speaks a protocol we have an adapter for (``unsupported-protocol``, naming the
  supported ones), so no run stops halfway on it;
- a ``correlationId`` has a place to be read from: the operation's messages declare a
  ``correlationId.location`` (``correlation-id-without-location``);
- parameters are message headers (``in: header``) or channel address parameters (``in: path``,
  named like the ``{parameter}`` of the address) (``unknown-channel-parameter``,
  ``parameter-location``); every address parameter gets a value (``missing-channel-parameter``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..document.loader import pointer_join
from ..errors import BindingError
from ..protocols import supported_protocols
from .binding import find_operation, parse_channel_path
from .description import AsyncAPIDescription, AsyncOperation, Channel

__all__ = ["StepCheck", "check_message_step", "resolve_message_step"]


@dataclass(frozen=True)
class StepCheck:
    """One finding: ``code``, a message, the JSON Pointer it is about, ``error``/``warning``."""

    code: str
    message: str
    pointer: str
    severity: str = "error"


def resolve_message_step(
    step: Mapping[str, Any], sources: Mapping[str, AsyncAPIDescription]
) -> tuple[AsyncAPIDescription, Channel, AsyncOperation | None]:
    """The source, channel and operation (None for a ``channelPath``) a message step names.

    Raises `BindingError` when it names none.
    """
    if isinstance(step.get("operationId"), str):
        operation = find_operation(sources, step["operationId"])
        return sources[operation.source_name], operation.channel, operation
    path = step.get("channelPath")
    if not isinstance(path, str):
        raise BindingError("a message step needs an operationId or a channelPath")
    name, pointer = parse_channel_path(path)
    description = sources.get(name)
    if description is None:
        raise BindingError(f"channelPath {path!r}: no AsyncAPI source named {name!r}")
    return description, description.channel_at(pointer), None


def check_message_step(
    step: Mapping[str, Any], at: str, sources: Mapping[str, AsyncAPIDescription]
) -> list[StepCheck]:
    """Every finding about the message step ``step`` at JSON Pointer ``at``."""
    found: list[StepCheck] = []
    field = "operationId" if "operationId" in step else "channelPath"
    try:
        description, channel, operation = resolve_message_step(step, sources)
    except BindingError as exc:
        code = "unknown-operation-id" if field == "operationId" else "unknown-channel"
        return [StepCheck(code, exc.message, pointer_join(at, field))]
    servers = channel.servers or tuple(description.servers.values())
    usable = [s for s in servers if s.protocol in supported_protocols()]
    if servers and not usable:
        listed = ", ".join(sorted({s.protocol for s in servers}))
        found.append(
            StepCheck(
                "unsupported-protocol",
                f"channel {channel.name!r} of source {description.name!r} is served over "
                f"{listed}; message steps support {', '.join(supported_protocols())}",
                pointer_join(at, field),
            )
        )
    messages = operation.messages if operation is not None else channel.messages
    if "correlationId" in step and not any(m.correlation_id for m in messages):
        found.append(
            StepCheck(
                "correlation-id-without-location",
                f"the messages of {channel.name!r} declare no correlationId location, so the "
                "step's correlationId cannot be compared with anything",
                pointer_join(at, "correlationId"),
            )
        )
    given: set[str] = set()
    parameters = step.get("parameters")
    for index, parameter in enumerate(parameters if isinstance(parameters, list) else []):
        if not isinstance(parameter, dict) or "reference" in parameter:
            continue  # reusable parameters are checked where they are resolved
        here = pointer_join(pointer_join(at, "parameters"), index)
        where, name = parameter.get("in"), parameter.get("name")
        if where == "path":
            if name not in channel.parameter_names:
                found.append(
                    StepCheck(
                        "unknown-channel-parameter",
                        f"channel {channel.name!r} (address {channel.address!r}) has no "
                        f"parameter {name!r}",
                        pointer_join(here, "name"),
                    )
                )
            given.add(str(name))
        elif where is not None and where != "header":
            found.append(
                StepCheck(
                    "parameter-location",
                    f"a message step's parameter is a message header (in: header) or a "
                    f"channel parameter (in: path), not in: {where}",
                    pointer_join(here, "in"),
                )
            )
    for name in channel.parameter_names:
        if name not in given:
            found.append(
                StepCheck(
                    "missing-channel-parameter",
                    f"channel address {channel.address!r} needs parameter {name!r} "
                    "(a step parameter with in: path)",
                    at,
                )
            )
    return found
