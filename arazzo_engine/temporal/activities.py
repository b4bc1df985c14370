"""The worker's side of a Temporal run: the activity that sends one HTTP exchange.

The workflow hands the activity a plain `HttpExchange` that *names* its auth; the activity, on
the worker, looks the name up in the worker's own credential sources (through the program's
``auth`` lookup), signs or authenticates the request, sends it with httpx, and answers the
reply. What it answers goes into Temporal's event history, so before answering it

- masks every credential the auth flow added to the request (headers, query parameters) in
  ``sent`` (the request as it went on the wire), the way a run's result masks them;
- masks those credential values wherever the response echoes them (headers, body);
- refuses a response body larger than ``max_payload`` bytes (Temporal refuses payloads over
  its blob limit, 2 MB by default): the exchange answers `Failure`, the step fails with a clear
  reason, and Arazzo's ``onFailure`` decides what happens next.

Response bodies otherwise pass through history as they are: the core needs them to evaluate
criteria and outputs. A body holding a secret (a login step returning a token) is in the
history: encrypt history with a payload codec ([`codec`][arazzo_engine.temporal.codec]) when
that matters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import httpx
from temporalio import activity

from ..errors import ArazzoError
from ..redact import REDACTED, SECRET_HEADERS, redact_headers
from ..run.commands import Failure, HttpExchange, HttpReply, SentRequest
from ..run.drivers import BodyTooLarge, read_body_async
from ..transport import Timeouts
from . import programs
from .wire import exchange_from_wire, result_to_wire

__all__ = ["ACTIVITY_NAME", "DEFAULT_MAX_PAYLOAD", "HttpExchanger"]

#: The activity's name (the workflow schedules it by name).
ACTIVITY_NAME = "arazzo.http_exchange"

#: The largest response body an activity answers (bytes): under Temporal's 2 MB blob limit,
#: with room for headers and base64 (4/3).
DEFAULT_MAX_PAYLOAD = 1_400_000

#: Headers an auth flow may add that are not secrets (SigV4's date and body hash, framing).
_PLAIN_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "x-amz-date",
        "x-amz-content-sha256",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "transfer-encoding",
    }
)

#: Shortest credential value masked where a response echoes it (shorter ones would mask noise).
_MIN_ECHO = 8


@dataclass(frozen=True)
class _Before:
    """The request's headers and query before auth (auth flows change the request in place)."""

    headers: frozenset[tuple[str, str]]
    query: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, request: httpx.Request) -> _Before:
        return cls(
            frozenset((k.lower(), v) for k, v in request.headers.multi_items()),
            frozenset(parse_qsl(request.url.query.decode(), keep_blank_values=True)),
        )


def _added_secrets(original: _Before, final: httpx.Request) -> tuple[set[str], set[str], list[str]]:
    """What the auth flow added: secret header names, secret query parameter names, and the
    raw secret values (to mask where echoed)."""
    before = original.headers
    names: set[str] = set()
    values: list[str] = []
    for key, value in final.headers.multi_items():
        lower = key.lower()
        if (lower, value) in before or (lower in _PLAIN_HEADERS and lower not in SECRET_HEADERS):
            continue
        names.add(lower)
        values.append(value)
        scheme, _, rest = value.partition(" ")
        if rest and scheme.isalpha():
            values.append(rest.strip())
    query: set[str] = set()
    for key, value in parse_qsl(final.url.query.decode(), keep_blank_values=True):
        if (key, value) not in original.query:
            query.add(key)
            values.append(value)
    return names, query, [v for v in values if len(v) >= _MIN_ECHO]


def _masked_url(url: str, query: set[str]) -> str:
    if not query:
        return url
    parts = urlsplit(url)
    pairs = [
        (k, REDACTED if k in query else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="*")))


def _mentions(command: HttpExchange, token: str) -> bool:
    return (
        token in command.url
        or token.encode() in command.body
        or any(token in value for _, value in command.headers)
    )


def _mask(data: bytes, values: list[str]) -> bytes:
    for value in values:
        data = data.replace(value.encode(), REDACTED.encode())
    return data


def _mask_text(text: str, values: list[str]) -> str:
    for value in values:
        text = text.replace(value, REDACTED)
    return text


class HttpExchanger:
    """The activity object a worker registers (``activities=[exchanger.http_exchange]``).

    ``client`` is the worker's ``httpx.AsyncClient`` (one made with default settings when
    None; closed by `aclose` when made here or ``own``); ``max_payload`` is the largest
    response body answered.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        own: bool = False,
    ) -> None:
        self._own = client is None or own
        self.client = client or httpx.AsyncClient(follow_redirects=False)
        self.max_payload = max_payload

    async def aclose(self) -> None:
        """Close the client when the exchanger made it."""
        if self._own:
            await self.client.aclose()

    @activity.defn(name=ACTIVITY_NAME)
    async def http_exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        """The activity: ``{"command": <HttpExchange>, "context": {"program", "args"}}`` in,
        an `HttpReply` or `Failure` (as JSON, credentials masked) out."""
        command = exchange_from_wire(request["command"])
        context = request.get("context") or {}
        return result_to_wire(await self.exchange(command, context))

    def _with_secrets(
        self, command: HttpExchange, context: Mapping[str, Any]
    ) -> tuple[HttpExchange, list[str]]:
        """The command with the program's placeholders replaced by the worker's secret values
        (encoded for where they stand), and every form of those values, to mask."""
        name = context.get("program")
        program = programs.get(str(name)) if name else None
        found = program.secrets(context.get("args") or {}) if program and program.secrets else {}
        used = {k: v for k, v in found.items() if _mentions(command, k)}
        if not used:
            return command, []
        content_type = next(
            (v.lower() for k, v in command.headers if k.lower() == "content-type"), ""
        )
        url, body, headers = command.url, command.body, list(command.headers)
        forms: list[str] = []
        for token, value in used.items():
            in_url = quote(value, safe="")
            if "json" in content_type:
                in_body = json.dumps(value)[1:-1]
            elif "x-www-form-urlencoded" in content_type:
                in_body = quote_plus(value)
            else:
                in_body = value
            url = url.replace(token, in_url)
            body = body.replace(token.encode(), in_body.encode())
            headers = [(k, v.replace(token, value)) for k, v in headers]
            forms += [value, in_url, in_body, json.dumps(value)[1:-1]]
        changed = dataclasses.replace(command, url=url, body=body, headers=tuple(headers))
        return changed, sorted({f for f in forms if f}, key=len, reverse=True)

    def _auth(self, command: HttpExchange, context: Mapping[str, Any]) -> httpx.Auth | None:
        if command.auth is None:
            return None
        program = programs.get(str(context.get("program")))
        flow = program.auth(context.get("args") or {}, command.auth) if program.auth else None
        if flow is None:
            raise LookupError(f"this worker has no credentials for auth {command.auth!r}")
        return flow

    async def exchange(
        self, command: HttpExchange, context: Mapping[str, Any]
    ) -> HttpReply | Failure:
        """Send ``command`` and answer its reply (masked) or a `Failure`."""
        at, start = time.time(), time.monotonic()
        command, secret_values = self._with_secrets(command, context)
        request = httpx.Request(
            command.method, command.url, headers=list(command.headers), content=command.body
        )
        timeouts = Timeouts(command.timeout, command.connect_timeout, command.read_timeout)
        request.extensions["timeout"] = timeouts.httpx().as_dict()
        limit = self.max_payload
        if command.max_body is not None:
            limit = min(limit, command.max_body)
        final: httpx.Request | None = None
        before = _Before.of(request)
        try:
            flow = self._auth(command, context)
            response = await asyncio.wait_for(
                self.client.send(request, auth=flow or httpx.USE_CLIENT_DEFAULT, stream=True),
                command.timeout,
            )
            final = response.request
            try:
                body = await asyncio.wait_for(
                    # the drivers' reader: at most ``limit`` bytes, gzip/deflate inflated in
                    # bounded pieces (a compression bomb stops at the limit)
                    read_body_async(response, limit),
                    max(0.0, start + command.timeout - time.monotonic()),
                )
            finally:
                await response.aclose()
        except (
            httpx.HTTPError,
            ArazzoError,
            LookupError,
            asyncio.TimeoutError,
            BodyTooLarge,
        ) as exc:
            elapsed = time.monotonic() - start
            failure = self._failure(command, exc, at, elapsed, before, final, limit, secret_values)
            return dataclasses.replace(failure, reason=_mask_text(failure.reason, secret_values))
        finally:
            self.client.cookies.clear()  # runs are independent: no cookie crosses runs
        names, query, values = _added_secrets(before, response.request)
        values = secret_values + values
        return HttpReply(
            response.status_code,
            tuple((k, _mask_text(v, values)) for k, v in response.headers.multi_items()),
            _mask(body, values),
            self._sent(response.request, names, query, secret_values),
            at,
            time.monotonic() - start,
            response.reason_phrase,
            response.http_version,
        )

    def _sent(
        self, request: httpx.Request, names: set[str], query: set[str], secrets: list[str]
    ) -> SentRequest:
        try:
            content = request.content
        except httpx.RequestNotRead:
            content = b""
        headers = redact_headers(request.headers.multi_items(), frozenset(names))
        return SentRequest(
            request.method,
            _mask_text(_masked_url(str(request.url), query), secrets),
            tuple((k, _mask_text(v, secrets)) for k, v in headers),
            _mask(content, secrets),
        )

    def _failure(
        self,
        command: HttpExchange,
        exc: BaseException,
        at: float,
        elapsed: float,
        original: _Before,
        final: httpx.Request | None,
        limit: int,
        secrets: list[str],
    ) -> Failure:
        sent = None
        if final is not None:
            names, query, _ = _added_secrets(original, final)
            sent = self._sent(final, names, query, secrets)
        if isinstance(exc, BodyTooLarge) and limit < self.max_payload:  # the step's own limit
            return Failure(
                f"the response body of {command.url} is larger than {limit} bytes "
                "(decompressed): the step fails (raise max_body / --max-body to read it)",
                at,
                elapsed,
                sent,
            )
        if isinstance(exc, BodyTooLarge):
            return Failure(
                f"the response body of {command.url} is larger than {limit} bytes, the most an "
                "exchange on Temporal may answer (its history payload limit): the step fails",
                at,
                elapsed,
                sent,
            )
        if isinstance(exc, (httpx.TimeoutException, asyncio.TimeoutError)):
            reason = f"timed out after {command.timeout:g} s ({type(exc).__name__})"
        elif isinstance(exc, (LookupError, ArazzoError)):  # no credentials, or auth failed
            return Failure(f"request not sent: {exc}", at, elapsed, None)
        else:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return Failure(f"no response from {command.url}: {reason}", at, elapsed, sent)
