"""The two front ends that drive the run loop over httpx: synchronous and asynchronous.

They share every line of run logic (`.core`); all they do is send, sleep, and turn
transport exceptions into `TransportFailure` replies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator

import httpx

from ..errors import ArazzoError
from ..results import RunResult
from ..transport import RunCookies, Timeouts
from .core import Command, Reply, Send, TransportFailure

__all__ = ["drive_async", "drive_sync"]


def _prepare(command: Send, cookies: RunCookies | None = None) -> httpx.Request:
    request = command.request
    timeouts = Timeouts(command.timeout, command.connect_timeout, command.read_timeout)
    request.extensions["timeout"] = timeouts.httpx().as_dict()
    if cookies is not None:
        cookies.apply(request)
    return request


def _total_exceeded(command: Send) -> httpx.TimeoutException:
    return httpx.ReadTimeout(
        f"the whole exchange took longer than {command.timeout:g} s", request=command.request
    )


def _failure(command: Send, exc: Exception) -> TransportFailure:
    if isinstance(exc, httpx.TimeoutException):
        reason = f"timed out after {command.timeout:g} s ({type(exc).__name__})"
    elif isinstance(exc, ArazzoError):  # the auth flow could not produce the request
        return TransportFailure(f"request not sent: {exc}", command.request)
    else:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return TransportFailure(f"no response from {command.request.url}: {reason}", command.request)


def drive_sync(
    run: Generator[Command, Reply, RunResult],
    client: httpx.Client,
    cookies: RunCookies | None = None,
) -> RunResult:
    """Drive a run to its end with a synchronous httpx client.

    ``cookies`` is the run's cookie jar (a new one when None). The total timeout of a call is
    checked while its body streams; connect and read timeouts bound the phases before.
    """
    reply: Reply = None
    jar = cookies if cookies is not None else RunCookies()
    try:
        command = next(run)
        while True:
            if isinstance(command, Send):
                try:
                    deadline = time.monotonic() + command.timeout
                    response = client.send(
                        _prepare(command, jar),
                        auth=command.auth or httpx.USE_CLIENT_DEFAULT,
                        stream=True,
                    )
                    try:
                        chunks = []
                        for chunk in response.iter_bytes():
                            chunks.append(chunk)
                            if time.monotonic() > deadline:
                                raise _total_exceeded(command)
                        # what Response.read() does, with the deadline checked per chunk
                        response._content = b"".join(chunks)
                    finally:
                        response.close()
                    jar.extract(response)
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


async def _send_async(client: httpx.AsyncClient, command: Send, jar: RunCookies) -> httpx.Response:
    response = await client.send(
        _prepare(command, jar), auth=command.auth or httpx.USE_CLIENT_DEFAULT, stream=True
    )
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


async def drive_async(
    run: Generator[Command, Reply, RunResult],
    client: httpx.AsyncClient,
    cookies: RunCookies | None = None,
) -> RunResult:
    """Drive a run to its end with an asynchronous httpx client (``cookies``: the run's jar,
    a new one when None). Each call is bounded by its total timeout."""
    reply: Reply = None
    jar = cookies if cookies is not None else RunCookies()
    try:
        command = next(run)
        while True:
            if isinstance(command, Send):
                try:
                    try:
                        response = await asyncio.wait_for(
                            _send_async(client, command, jar), command.timeout
                        )
                    except asyncio.TimeoutError:
                        raise _total_exceeded(command) from None
                    jar.extract(response)
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
