"""The two front ends that drive the run loop over httpx: synchronous and asynchronous.

They share every line of run logic (:mod:`.core`); all they do is send, sleep, and turn
transport exceptions into :class:`~.core.TransportFailure` replies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator

import httpx

from ..errors import ArazzoError
from ..results import RunResult
from .core import Command, Reply, Send, TransportFailure

__all__ = ["drive_async", "drive_sync"]


def _prepare(command: Send) -> httpx.Request:
    request = command.request
    request.extensions["timeout"] = httpx.Timeout(command.timeout).as_dict()
    return request


def _failure(command: Send, exc: Exception) -> TransportFailure:
    if isinstance(exc, httpx.TimeoutException):
        reason = f"timed out after {command.timeout:g} s ({type(exc).__name__})"
    elif isinstance(exc, ArazzoError):
        reason = str(exc)
    else:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return TransportFailure(f"no response from {command.request.url}: {reason}", command.request)


def drive_sync(run: Generator[Command, Reply, RunResult], client: httpx.Client) -> RunResult:
    """Drive a run to its end with a synchronous httpx client."""
    reply: Reply = None
    try:
        command = next(run)
        while True:
            if isinstance(command, Send):
                try:
                    response = client.send(
                        _prepare(command), auth=command.auth or httpx.USE_CLIENT_DEFAULT
                    )
                    try:
                        response.read()
                    finally:
                        response.close()
                    reply = response
                except (httpx.HTTPError, ArazzoError) as exc:
                    reply = _failure(command, exc)
            else:
                time.sleep(command.seconds)
                reply = None
            command = run.send(reply)
    except StopIteration as stop:
        result: RunResult = stop.value
        return result


async def drive_async(
    run: Generator[Command, Reply, RunResult], client: httpx.AsyncClient
) -> RunResult:
    """Drive a run to its end with an asynchronous httpx client."""
    reply: Reply = None
    try:
        command = next(run)
        while True:
            if isinstance(command, Send):
                try:
                    response = await client.send(
                        _prepare(command), auth=command.auth or httpx.USE_CLIENT_DEFAULT
                    )
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
                    reply = response
                except (httpx.HTTPError, ArazzoError) as exc:
                    reply = _failure(command, exc)
            else:
                await asyncio.sleep(command.seconds)
                reply = None
            command = run.send(reply)
    except StopIteration as stop:
        result: RunResult = stop.value
        return result
