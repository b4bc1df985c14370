"""Programs a Temporal run can drive: named generators of run-core commands.

A program is what the Temporal workflow drives: ``start(args)`` makes a generator that yields
[commands][arazzo_engine.run.commands] and is sent results, deterministic (no clock, no I/O,
no randomness of its own), so that Temporal can replay it from the run's history. ``auth(args,
key)`` gives the worker the ``httpx.Auth`` named by an `HttpExchange`'s ``auth`` key: it runs
on the worker, in the activity, with the worker's own credentials, so no credential ever
enters the run's history.

The Arazzo run core registers itself as the program ``"arazzo"``; tests register small ones.
The registry is per process: register programs in the worker process before the worker starts.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..run.commands import Command, Result

if TYPE_CHECKING:
    import httpx

__all__ = ["ActivityCall", "Program", "get", "register"]


@dataclass(frozen=True)
class ActivityCall:
    """A step of a program that is not a run-core command: call the activity ``name`` with
    ``payload`` (JSON, no secrets: it enters the history) and be sent its JSON result, or a
    `Failure` when the activity fails. Used to prepare a run on a worker (load, check, bind)."""

    name: str
    payload: Mapping[str, Any]
    timeout: float = 60.0


Start = Callable[[Mapping[str, Any]], Generator[Command | ActivityCall, Result | Any, Any]]
AuthLookup = Callable[[Mapping[str, Any], str], "httpx.Auth | None"]
SecretsLookup = Callable[[Mapping[str, Any]], Mapping[str, str]]


@dataclass(frozen=True)
class Program:
    """A named program: its ``start`` and, when its exchanges name auth, the worker's
    ``auth`` lookup; ``secrets(args)`` maps placeholders the program puts in requests to the
    secret values the worker swaps in (and masks again in what it answers)."""

    name: str
    start: Start
    auth: AuthLookup | None = None
    secrets: SecretsLookup | None = None


_PROGRAMS: dict[str, Program] = {}


def register(
    name: str,
    start: Start,
    auth: AuthLookup | None = None,
    secrets: SecretsLookup | None = None,
) -> Program:
    """Register (or replace) the program ``name``."""
    program = Program(name, start, auth, secrets)
    _PROGRAMS[name] = program
    return program


def get(name: str) -> Program:
    """The program ``name``; LookupError names the known ones when there is none."""
    try:
        return _PROGRAMS[name]
    except KeyError:
        known = ", ".join(sorted(_PROGRAMS)) or "none"
        raise LookupError(
            f"no program {name!r} on this worker (known: {known}); start the worker with "
            "the module that registers it"
        ) from None
