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

__all__ = ["Program", "get", "register"]

Start = Callable[[Mapping[str, Any]], Generator[Command, Result, Any]]
AuthLookup = Callable[[Mapping[str, Any], str], "httpx.Auth | None"]


@dataclass(frozen=True)
class Program:
    """A named program: its ``start`` and, when its exchanges name auth, the worker's
    ``auth`` lookup."""

    name: str
    start: Start
    auth: AuthLookup | None = None


_PROGRAMS: dict[str, Program] = {}


def register(name: str, start: Start, auth: AuthLookup | None = None) -> Program:
    """Register (or replace) the program ``name``."""
    program = Program(name, start, auth)
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
